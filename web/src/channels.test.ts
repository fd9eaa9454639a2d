import { describe, expect, it } from 'vitest';
import { ChannelStore } from './channels';

const t0 = new Date('2025-01-01T00:00:00Z');

describe('ChannelStore', () => {
  it('selects the first joined channel and moves the selection when it is left', () => {
    const s = new ChannelStore();
    expect(s.join('events')).toBe(true);
    expect(s.join('room')).toBe(true);
    expect(s.join('events')).toBe(false);
    expect(s.selected).toBe('events');
    s.leave('events');
    expect(s.selected).toBe('room');
    s.leave('room');
    expect(s.selected).toBeUndefined();
  });

  it('keeps broadcasts (others only) and chat (everything) per channel, with unread counts', () => {
    const s = new ChannelStore();
    s.join('a');
    s.join('b');
    s.addReceived('a', 'x', t0, 'o1');
    s.addOwn('a', 'mine', t0);
    s.addReceived('b', 'y', t0, 'o2');
    s.addReceived('b', 'z', t0, 'o2');
    expect(s.get('a')?.broadcasts.map((e) => e.text)).toEqual(['x']);
    expect(s.get('a')?.chat.map((e) => [e.text, e.own, e.state])).toEqual([
      ['x', false, 'received'],
      ['mine', true, 'pending'],
    ]);
    expect(s.get('a')?.unread).toBe(0);
    expect(s.get('b')?.unread).toBe(2);
    s.select('b');
    expect(s.get('b')?.unread).toBe(0);
    expect(s.addReceived('nope', 'q', t0, undefined)).toBeUndefined();
  });

  it('caps each list', () => {
    const s = new ChannelStore(3);
    s.join('a');
    for (let i = 0; i < 5; i++) s.addReceived('a', String(i), t0, undefined);
    expect(s.get('a')?.broadcasts.map((e) => e.text)).toEqual(['2', '3', '4']);
  });

  it('tracks presence and remembers names of members who left for older messages', () => {
    const s = new ChannelStore();
    s.join('a');
    s.setMembers('a', [
      { session: 's1', name: 'ana' },
      { session: 's2', name: null },
    ]);
    s.memberJoined('a', { session: 's3', name: 'bo' });
    s.memberLeft('a', 's3');
    expect([...(s.get('a')?.members.keys() ?? [])]).toEqual(['s1', 's2']);
    expect(s.addReceived('a', 'late', t0, 's3')?.author).toBe('bo');
    expect(s.addReceived('a', 'anon', t0, 's2')?.author).toBeUndefined();
  });
});
