import { describe, expect, it } from 'vitest';
import type { PubFrame, SubscribedFrame } from './protocol.js';
import { SubscriptionRegistry } from './subscriptions.js';

const reply = (fields: Partial<SubscribedFrame>): SubscribedFrame => ({
  type: 'subscribed', id: 'r', channel: 'c', epoch: 'E', offset: 0, recovered: false, missed: 0, ...fields,
});
const pub = (offset: number, epoch = 'E'): PubFrame => ({
  type: 'pub', channel: 'c', epoch, offset, origin: 'o', timestamp: undefined, message: 'm', payload: 'message', data: undefined, bytes: undefined,
});

describe('SubscriptionRegistry', () => {
  it('a fresh subscription starts at the reply offset; since is the last offset seen', () => {
    const r = new SubscriptionRegistry();
    const sub = r.add('c', false);
    expect(r.requested(sub, 'r1')).toBeUndefined();
    expect(r.confirmed(sub, reply({ offset: 5 }))).toEqual({ kind: 'fresh', position: { epoch: 'E', offset: 5 } });
    expect(r.accept(pub(6))).toBe(true);
    expect(r.accept(pub(7))).toBe(true);
    r.connectionLost();
    expect(sub.subscribed).toBe(false);
    expect(r.requested(sub, 'r2')).toEqual({ epoch: 'E', offset: 7 });
  });

  it('recovered keeps the position so the replay continues from it; unrecovered jumps to the reply', () => {
    const r = new SubscriptionRegistry();
    const sub = r.add('c', false, { epoch: 'E', offset: 3 });
    r.requested(sub, 'r1');
    expect(r.confirmed(sub, reply({ offset: 9, recovered: true, missed: 6 }))).toEqual({
      kind: 'recovered', position: { epoch: 'E', offset: 3 }, missed: 6,
    });
    expect(r.accept(pub(3))).toBe(false);
    expect(r.accept(pub(4))).toBe(true);

    r.requested(sub, 'r2');
    expect(r.confirmed(sub, reply({ epoch: 'F', offset: 2, recovered: false }))).toEqual({
      kind: 'unrecovered', position: { epoch: 'F', offset: 2 }, previous: { epoch: 'E', offset: 4 },
    });
    expect(r.accept(pub(2, 'F'))).toBe(false);
    expect(r.accept(pub(3, 'F'))).toBe(true);
  });

  it('never moves backwards on a fresh reply when publications were already seen', () => {
    const r = new SubscriptionRegistry();
    const sub = r.add('c', false);
    r.requested(sub, 'r1');
    r.confirmed(sub, reply({ offset: 1 }));
    r.accept(pub(2));
    sub.position = { epoch: 'E', offset: 2 };
    sub.requestId = 'r2';
    sub.sentSince = undefined;
    expect(r.confirmed(sub, reply({ offset: 1 })).position).toEqual({ epoch: 'E', offset: 2 });
  });

  it('ignores publications for channels it does not have', () => {
    const r = new SubscriptionRegistry();
    expect(r.accept(pub(1))).toBe(false);
    r.add('c', true);
    expect(r.accept(pub(1))).toBe(true);
    r.remove('c');
    expect(r.accept(pub(2))).toBe(false);
  });
});
