import { describe, expect, it } from 'vitest';
import { ChannelStore, type IncomingPublication } from './channels';

const t0 = new Date('2025-01-01T00:00:00Z');
let next = 0;
/** A live publication at the next offset of epoch e1 (or the one given). */
const pub = (text: string, origin?: string, offset = ++next, epoch = 'e1'): IncomingPublication => ({ text, time: t0, origin, epoch, offset });
const hist = (offset: number, message: string, origin = 'other') => ({ offset, origin, timestamp: '2025-01-01T00:00:00.000Z', message });

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
    s.addReceived('a', pub('x', 'o1'));
    s.addOwn('a', 'mine', t0);
    s.addReceived('b', pub('y', 'o2'));
    s.addReceived('b', pub('z', 'o2'));
    expect(s.get('a')?.broadcasts.map((e) => e.text)).toEqual(['x']);
    expect(s.get('a')?.chat.map((e) => [e.text, e.own, e.state])).toEqual([
      ['x', false, 'received'],
      ['mine', true, 'pending'],
    ]);
    expect(s.get('a')?.unread).toBe(0);
    expect(s.get('b')?.unread).toBe(2);
    s.select('b');
    expect(s.get('b')?.unread).toBe(0);
    expect(s.addReceived('nope', pub('q'))).toBeUndefined();
  });

  it('never shows the same position twice', () => {
    const s = new ChannelStore();
    s.join('a');
    expect(s.addReceived('a', pub('x', 'o', 7))).toBeDefined();
    expect(s.addReceived('a', pub('x again', 'o', 7))).toBeUndefined();
    expect(s.addReceived('a', pub('other epoch', 'o', 7, 'e2'))).toBeDefined();
    expect(s.get('a')?.chat.map((e) => e.text)).toEqual(['x', 'other epoch']);
  });

  it('caps each list', () => {
    const s = new ChannelStore(3);
    s.join('a');
    for (let i = 0; i < 5; i++) s.addReceived('a', pub(String(i)));
    expect(s.get('a')?.broadcasts.map((e) => e.text)).toEqual(['2', '3', '4']);
  });

  it('tracks presence, marks lists outdated, and remembers names of members who left', () => {
    const s = new ChannelStore();
    s.join('a');
    expect(s.get('a')?.membersFresh).toBe(false);
    s.setMembers('a', [
      { session: 's1', name: 'ana' },
      { session: 's2', name: null },
    ]);
    expect(s.get('a')?.membersFresh).toBe(true);
    s.memberJoined('a', { session: 's3', name: 'bo' });
    s.memberLeft('a', 's3');
    expect([...(s.get('a')?.members.keys() ?? [])]).toEqual(['s1', 's2']);
    expect(s.addReceived('a', pub('late', 's3'))?.author).toBe('bo');
    expect(s.addReceived('a', pub('anon', 's2'))?.author).toBeUndefined();
    s.membersOutdated();
    expect(s.get('a')?.membersFresh).toBe(false);
    expect(s.get('a')?.members.size).toBe(2); // still shown, as the last list known
  });
});

describe('ChannelStore history', () => {
  it('puts history before live publications that came after it, without duplicates', () => {
    const s = new ChannelStore();
    s.join('a');
    s.addReceived('a', pub('live 11', 'o', 11));
    const added = s.addHistory('a', 'e1', [hist(9, 'h9'), hist(10, 'h10'), hist(11, 'live 11')], 'me');
    expect(added).toBe(2);
    expect(s.get('a')?.chat.map((e) => e.text)).toEqual(['h9', 'h10', 'live 11']);
    expect(s.get('a')?.broadcasts.map((e) => [e.text, e.source])).toEqual([
      ['h9', 'history'],
      ['h10', 'history'],
      ['live 11', 'live'],
    ]);
    // A live copy of a position read from history is dropped.
    expect(s.addReceived('a', pub('h10', 'o', 10))).toBeUndefined();
    // Read again: nothing new.
    expect(s.addHistory('a', 'e1', [hist(9, 'h9'), hist(10, 'h10')], 'me')).toBe(0);
  });

  it('appends another epoch’s history after the old epoch’s entries', () => {
    const s = new ChannelStore();
    s.join('a');
    s.addReceived('a', pub('old 40', 'o', 40, 'old'));
    s.addHistory('a', 'new', [hist(1, 'new 1'), hist(2, 'new 2')], 'me');
    s.addReceived('a', pub('new 3', 'o', 3, 'new'));
    expect(s.get('a')?.chat.map((e) => e.text)).toEqual(['old 40', 'new 1', 'new 2', 'new 3']);
  });

  it('shows own publications once: matched by ack offset, or to a pending entry with the same text', () => {
    const s = new ChannelStore();
    s.join('a');
    const acked = s.addOwn('a', 'mine 1', t0)!;
    s.acknowledged('a', acked, 'e1', 5);
    s.addOwn('a', 'mine 2', t0); // sent, ack not back yet
    const added = s.addHistory('a', 'e1', [hist(5, 'mine 1', 'me'), hist(6, 'mine 2', 'me'), hist(7, 'theirs')], 'me');
    expect(added).toBe(1);
    expect(s.get('a')?.chat.map((e) => [e.text, e.own, e.offset])).toEqual([
      ['mine 1', true, 5],
      ['mine 2', true, 6],
      ['theirs', false, 7],
    ]);
    expect(s.get('a')?.broadcasts.map((e) => e.text)).toEqual(['theirs']);
  });

  it('shows this session’s earlier publications (before a reload) as its own, in Chat only', () => {
    const s = new ChannelStore();
    s.join('a');
    s.addHistory('a', 'e1', [hist(1, 'before reload', 'me'), hist(2, 'from B')], 'me');
    expect(s.get('a')?.chat.map((e) => [e.text, e.own, e.state])).toEqual([
      ['before reload', true, 'sent'],
      ['from B', false, 'received'],
    ]);
    expect(s.get('a')?.broadcasts.map((e) => e.text)).toEqual(['from B']);
  });

  it('shows a filled gap as replayed and unread on other channels; history on open as neither', () => {
    const s = new ChannelStore();
    s.join('a');
    s.join('b');
    s.addHistory('b', 'e1', [hist(1, 'x')], 'me');
    expect(s.get('b')?.unread).toBe(0);
    s.addHistory('b', 'e1', [hist(2, 'y'), hist(3, 'z')], 'me', true);
    expect(s.get('b')?.unread).toBe(2);
    expect(s.get('b')?.chat.map((e) => e.source)).toEqual(['history', 'replay', 'replay']);
  });
});
