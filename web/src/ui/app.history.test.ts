// @vitest-environment happy-dom
import { BroadcastClient } from '@broadcast/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppHarness, all, body, q, settle, texts, typeAndSubmit } from './appTestHarness';

let h: AppHarness;

beforeEach(() => {
  vi.useFakeTimers();
  document.body.innerHTML = body; // trusted static markup from index.html
  h = new AppHarness();
});

afterEach(() => {
  h.stop();
  vi.useRealTimers();
});

describe('structured payloads', () => {
  it('shows data as indented JSON and bytes as their size, live and from history', async () => {
    h.server.publish('events', { data: { order: 7, items: ['tea'] } });
    await h.start();
    h.server.publish('events', { data: [1, null, true] });
    h.server.publish('events', { bytes: 'AAEC' });
    h.server.publish('events', 'plain');
    expect(texts('broadcast-item')).toEqual([
      '{\n  "order": 7,\n  "items": [\n    "tea"\n  ]\n}',
      '[\n  1,\n  null,\n  true\n]',
      '3 bytes: AAEC',
      'plain',
    ]);
    const items = all('broadcast-item');
    expect(items.map((li) => li.querySelector('.message-text')?.getAttribute('data-kind') ?? null)).toEqual(['data', 'data', 'bytes', null]);
    expect(items[0]?.querySelector('pre.message-data')).not.toBeNull();
  });
});

describe('history on open', () => {
  it('shows the channel’s recent publications when the page opens, oldest first, marked as history', async () => {
    for (let i = 1; i <= 3; i++) h.server.publish('events', `earlier ${i}`);
    await h.start();
    expect(texts('broadcast-item')).toEqual(['earlier 1', 'earlier 2', 'earlier 3']);
    expect(all('broadcast-item').map((li) => li.dataset['source'])).toEqual(['history', 'history', 'history']);
    expect(texts('chat-item')).toEqual(['earlier 1', 'earlier 2', 'earlier 3']);
    // History is not news: not counted as received now, nor as unread.
    expect(q('count-received').textContent).toBe('0');
    const read = h.socket.framesOf('history');
    expect(read).toEqual([expect.objectContaining({ channel: 'events', since: 0, limit: 3 })]);
  });

  it('asks only for the latest 50 of a long history', async () => {
    for (let i = 1; i <= 80; i++) h.server.publish('events', `m${i}`);
    await h.start();
    expect(h.socket.framesOf('history')).toEqual([expect.objectContaining({ since: 30, limit: 50 })]);
    expect(texts('broadcast-item')).toHaveLength(50);
    expect(texts('broadcast-item')[0]).toBe('m31');
    expect(texts('broadcast-item').at(-1)).toBe('m80');
  });

  it('shows each publication once when live ones arrive while history is read', async () => {
    h.server.publish('events', 'old');
    // Hold the history request until a live publication has arrived.
    let held: string | undefined;
    let released = false;
    await h.start({
      refuse: (frame) => {
        if (frame['type'] !== 'history' || released) return undefined;
        held ??= JSON.stringify(frame);
        return { type: 'noop' };
      },
    });
    h.server.publish('events', 'live');
    expect(texts('broadcast-item')).toEqual(['live']);
    released = true;
    h.socket.onSend?.(held ?? '');
    await settle();
    expect(texts('broadcast-item')).toEqual(['old', 'live']);
  });

  it('after a reload in the same tab (same session), shows its own earlier publications as its own, once', async () => {
    const before = new BroadcastClient({ url: 'ws://x', createSocket: h.server.create, onlineSource: null, session: 'tab-session-1' });
    before.connect();
    await settle();
    await before.publish('events', 'mine, before the reload');
    before.close();
    h.server.publish('events', 'from someone else');

    await h.start({ session: 'tab-session-1' });
    expect(all('chat-item').map((li) => [li.querySelector('.message-text')?.textContent, li.dataset['own']])).toEqual([
      ['mine, before the reload', 'true'],
      ['from someone else', 'false'],
    ]);
    expect(texts('broadcast-item')).toEqual(['from someone else']);

    typeAndSubmit('mine, after the reload');
    await settle();
    expect(texts('chat-item')).toEqual(['mine, before the reload', 'from someone else', 'mine, after the reload']);
  });

  it('does not read history again when a channel resumes after a reconnect', async () => {
    h.server.publish('events', 'old');
    await h.start();
    h.socket.serverClose(1006);
    await vi.advanceTimersByTimeAsync(1000);
    expect(q('status-badge').dataset['status']).toBe('open');
    expect(h.socket.framesOf('history')).toEqual([]);
    expect(texts('broadcast-item')).toEqual(['old']);
  });
});

describe('presence while disconnected', () => {
  it('shows the last known list as stale while disconnected, and a fresh one after reconnecting', async () => {
    await h.start({ name: 'ana' });
    const other = new BroadcastClient({ url: 'ws://x', createSocket: h.server.create, onlineSource: null, name: 'bo' });
    other.connect();
    await settle();
    void other.subscribe('events');
    await settle();
    expect(q('presence-count').textContent).toBe('2 online');
    expect(q('presence-panel').dataset['stale']).toBe('false');
    expect(q('presence-stale').hidden).toBe(true);

    q<HTMLButtonElement>('connection-toggle').click(); // disconnect
    expect(q('presence-panel').dataset['stale']).toBe('true');
    expect(q('presence-count').textContent).toBe('last known: 2 online');
    expect(q('presence-stale').hidden).toBe(false);

    other.close(); // bo leaves while this page is away: nothing tells it
    await settle();
    expect(q('presence-count').textContent).toBe('last known: 2 online');

    q<HTMLButtonElement>('connection-toggle').click(); // connect
    await settle();
    expect(q('presence-panel').dataset['stale']).toBe('false');
    expect(q('presence-count').textContent).toBe('1 online');
    expect(all('presence-item').map((li) => li.querySelector('.member-name')?.textContent)).toEqual(['ana (you)']);
  });

  it('says so in Portuguese too', async () => {
    await h.start({ locale: 'pt-BR' });
    q<HTMLButtonElement>('connection-toggle').click();
    expect(q('presence-count').textContent).toBe('último visto: 1 online');
    expect(q('presence-stale').textContent).toBe('Sem conexão: estes são os que estavam aqui quando a conexão caiu.');
  });
});
