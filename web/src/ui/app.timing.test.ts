// @vitest-environment happy-dom
import { ClockOffset } from '../timing/clockOffset';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppHarness, all, body, q, settle, typeAndSubmit } from './appTestHarness';

// The server's clock runs 5 s ahead of the page's: the latency must not include that difference.
const AHEAD_MS = 5000;
const serverClock = (lagMs = 0) => () => new Date(Date.now() + AHEAD_MS - lagMs);

let h: AppHarness;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-01-01T12:00:00Z'));
  document.body.innerHTML = body; // trusted static markup from index.html
  h = new AppHarness();
});

afterEach(() => {
  h.stop();
  vi.useRealTimers();
});

const latencies = () => all('message-latency').map((s) => s.textContent);

describe('delivery latency', () => {
  it('is shown per event and for the last one, corrected by the clock offset of the welcome’s "time"', async () => {
    h.server.now = serverClock();
    await h.start({ welcomeExtras: () => ({ time: new Date(Date.now() + AHEAD_MS).toISOString() }) });
    // Stamped 12 ms before it reached the page (by the server's clock).
    h.server.now = serverClock(12);
    h.server.publish('events', 'twelve');
    expect(latencies()).toEqual(['12 ms', '12 ms']); // Broadcasts and Chat
    expect(q('latency').textContent).toBe('12 ms');
    expect(q('latency').dataset['accuracyMs']).toBe('0.0');
  });

  it('without the server’s time, measures the offset from a publish round trip and its timestamp in history', async () => {
    h.server.now = serverClock();
    await h.start();
    h.server.now = serverClock(12);
    h.server.publish('events', 'before any measurement');
    // Nothing bounds the offset from above yet: no latency can honestly be given.
    expect(latencies()).toEqual([]);
    expect(q('latency').textContent).toBe('—');

    h.server.now = serverClock();
    typeAndSubmit('timing probe');
    await settle();
    const lookups = h.socket.framesOf('history');
    expect(lookups.at(-1)).toMatchObject({ channel: 'events', limit: 1 });

    h.server.now = serverClock(30);
    h.server.publish('events', 'thirty');
    expect(q('latency').textContent).toBe('30 ms');
  });

  it('uses the ack’s "time" when the server sends it, without reading history', async () => {
    h.server.now = serverClock();
    await h.start({
      refuse: (frame) => {
        if (frame['type'] !== 'publish') return undefined;
        // Answer as a server with the addition would: the fake's ack plus the server's time.
        const offset = h.server.publish(String(frame['channel']), String(frame['message']), 'p_other');
        const epoch = h.server.channels.get(String(frame['channel']))?.epoch;
        return { type: 'ack', id: frame['id'], channel: frame['channel'], epoch, offset, duplicate: false, time: new Date(Date.now() + AHEAD_MS).toISOString() };
      },
    });
    typeAndSubmit('timed by its ack');
    await settle();
    expect(h.socket.framesOf('history')).toEqual([]);
    h.server.now = serverClock(7);
    h.server.publish('events', 'seven');
    expect(q('latency').textContent).toBe('7.0 ms');
  });

  it('shows only an upper bound while the offset is coarse (an HTTP Date header: whole, cached seconds)', async () => {
    const clock = new ClockOffset();
    await h.start({ clock });
    // A Date header naming the server's current second, for a request sent and answered at this instant.
    const serverNow = Date.now() + AHEAD_MS;
    clock.addHttpDate(Math.floor(serverNow / 1000) * 1000, Date.now(), Date.now());
    h.server.now = serverClock(12);
    h.server.publish('events', 'coarse');
    // θ is known within two seconds only: the latency is at most 2,012 ms, and that is all the page claims.
    expect(q('latency').textContent).toBe('≤ 2.0 s');
    expect(latencies()).toEqual(['≤ 2.0 s', '≤ 2.0 s']);
  });
});

describe('events per minute', () => {
  it('counts live events of the last minute, not replays after a reconnect', async () => {
    await h.start();
    for (let i = 0; i < 3; i++) h.server.publish('events', `e${i}`);
    await vi.advanceTimersByTimeAsync(250);
    expect(q('events-per-minute').textContent).toBe('3');

    h.socket.serverClose(1006);
    h.server.publish('events', 'missed');
    await vi.advanceTimersByTimeAsync(1000);
    expect(q('recovery-notice').dataset['kind']).toBe('recovered');
    expect(all('broadcast-item').map((li) => li.dataset['source'])).toEqual(['live', 'live', 'live', 'replay']);
    expect(q('events-per-minute').textContent).toBe('3');

    await vi.advanceTimersByTimeAsync(61_000);
    expect(q('events-per-minute').textContent).toBe('0');
  });
});
