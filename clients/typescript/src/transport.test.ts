import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CloseCode } from './codes.js';
import { FakeOnlineSource, FakeSocketFactory, type FakeWebSocket } from './testing/index.js';
import { ReconnectingSocket, socketFactory, type CloseEventLike, type ConnectionStatus, type TransportOptions } from './transport.js';

let factory: FakeSocketFactory;
let online: FakeOnlineSource;

const latest = (): FakeWebSocket => factory.latest;

/** Opens the latest socket and completes the (here: empty) handshake. */
function ready(t: ReconnectingSocket): void {
  latest().serverOpen();
  t.markReady();
}

function make(overrides: Partial<TransportOptions> = {}) {
  const t = new ReconnectingSocket({
    url: 'ws://test/ws/events',
    protocols: ['broadcast.v2'],
    createSocket: factory.create,
    random: () => 0.5, // deterministic: half of each backoff window
    onlineSource: online,
    ...overrides,
  });
  const statuses: ConnectionStatus[] = [];
  t.on('status', (s) => statuses.push(s));
  return { t, statuses };
}

beforeEach(() => {
  vi.useFakeTimers();
  factory = new FakeSocketFactory();
  online = new FakeOnlineSource();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ReconnectingSocket lifecycle', () => {
  it('is idle until connect(), connecting until markReady(), then open', () => {
    const { t } = make();
    const opened: unknown[] = [];
    t.on('socketOpen', () => opened.push(1));
    expect(t.status.state).toBe('idle');
    expect(factory.sockets).toHaveLength(0);

    t.connect();
    expect(t.status.state).toBe('connecting');
    expect(latest().url).toBe('ws://test/ws/events');
    expect(latest().protocols).toEqual(['broadcast.v2']);

    latest().serverOpen();
    expect(opened).toHaveLength(1);
    expect(t.status.state).toBe('connecting'); // handshake not done yet
    t.markReady();
    expect(t.status.state).toBe('open');
    expect(t.status.openedAt).toBe(Date.now());
  });

  it('connect() while connecting or open does not open a second socket', () => {
    const { t } = make();
    t.connect();
    t.connect();
    expect(factory.sockets).toHaveLength(1);
    ready(t);
    t.connect();
    expect(factory.sockets).toHaveLength(1);
  });

  it('send() hands text to an open socket only', () => {
    const { t } = make();
    expect(t.send('x')).toBe(false);
    t.connect();
    expect(t.send('x')).toBe(false);
    latest().serverOpen();
    expect(t.send('hello')).toBe(true);
    expect(latest().sent).toEqual(['hello']);
  });

  it('emits text frames and the bytes of binary ones (MessagePack), asking for ArrayBuffers, not Blobs', () => {
    const { t } = make();
    const got: unknown[] = [];
    t.on('message', (m) => got.push(m));
    t.connect();
    ready(t);
    expect(latest().binaryType).toBe('arraybuffer');
    latest().serverSend('{"type":"x"}');
    const bytes = new ArrayBuffer(3);
    latest().onmessage?.({ data: bytes });
    latest().onmessage?.({ data: { not: 'a frame' } });
    expect(got).toEqual(['{"type":"x"}', bytes]);
  });
});

describe('ReconnectingSocket reconnection', () => {
  it('schedules a retry after an unexpected close, with the delay in the status', () => {
    const { t, statuses } = make();
    t.connect();
    ready(t);
    latest().serverClose(1001, 'server shutting down');

    const status = t.status;
    expect(status.state).toBe('reconnecting');
    expect(status.lastClose).toEqual({ code: 1001, reason: 'server shutting down', wasClean: true });
    // attempt 0: window 500 ms, rng 0.5 -> 250 ms
    expect(status.retryDelayMs).toBe(250);
    expect(status.retryAt).toBe(Date.now() + 250);
    expect(statuses.at(-1)).toEqual(status);

    vi.advanceTimersByTime(249);
    expect(factory.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(factory.sockets).toHaveLength(2);
    expect(t.status.state).toBe('connecting');
    expect(t.status.retryDelayMs).toBeUndefined();
  });

  it('reconnects after every kind of close code (1008, 1009, 1011, 1006)', () => {
    const { t } = make();
    t.connect();
    for (const code of [1008, 1009, 1011, 1006]) {
      latest().serverClose(code);
      expect(t.status.state).toBe('reconnecting');
      vi.runOnlyPendingTimers();
      expect(t.status.state).toBe('connecting');
    }
    expect(factory.sockets).toHaveLength(5);
  });

  it('never loops tightly: delays grow while the server stays down, up to the 20 s cap', () => {
    const { t } = make({ random: () => 0.999 });
    t.connect();
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      latest().serverClose(1006);
      const delay = t.status.retryDelayMs;
      if (delay === undefined) throw new Error('expected a scheduled retry');
      delays.push(delay);
      const before = factory.sockets.length;
      vi.advanceTimersByTime(delay - 1);
      expect(factory.sockets).toHaveLength(before);
      vi.advanceTimersByTime(1);
      expect(factory.sockets).toHaveLength(before + 1);
    }
    expect(delays.slice(0, 6)).toEqual([499, 999, 1998, 3996, 7992, 15_984]);
    expect(delays.slice(6)).toEqual([19_980, 19_980, 19_980, 19_980]);
  });

  it('even with rng() === 0 waits at least the floor before retrying', () => {
    const { t } = make({ random: () => 0 });
    t.connect();
    for (let i = 0; i < 5; i++) {
      latest().serverClose(1006);
      const before = factory.sockets.length;
      vi.advanceTimersByTime(99);
      expect(factory.sockets).toHaveLength(before);
      vi.advanceTimersByTime(1);
      expect(factory.sockets).toHaveLength(before + 1);
    }
  });

  it('a server that accepts and drops at once (even after the handshake) still gets backoff', () => {
    const { t } = make({ stableAfterMs: 5000 });
    t.connect();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      ready(t);
      latest().serverClose(1000);
      delays.push(t.status.retryDelayMs ?? -1);
      vi.runOnlyPendingTimers();
    }
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000]);
  });

  it('resets the backoff once a connection has stayed ready for stableAfterMs', () => {
    const { t } = make({ stableAfterMs: 5000 });
    t.connect();
    for (let i = 0; i < 4; i++) {
      latest().serverClose(1006);
      vi.runOnlyPendingTimers();
    }
    expect(t.status.attempt).toBe(4);
    ready(t);
    vi.advanceTimersByTime(4999);
    expect(t.status.attempt).toBe(4);
    vi.advanceTimersByTime(1);
    expect(t.status.attempt).toBe(0);
    latest().serverClose(1001);
    expect(t.status.retryDelayMs).toBe(250); // back to the first window
  });

  it('an open socket whose handshake never completes times out and backs off', () => {
    const closes: CloseEventLike[] = [];
    const { t } = make({ connectTimeoutMs: 3000 });
    t.on('close', (c) => closes.push(c));
    t.connect();
    const hung = latest();
    hung.serverOpen(); // opened, but markReady() never comes
    vi.advanceTimersByTime(2999);
    expect(t.status.state).toBe('connecting');
    vi.advanceTimersByTime(1);
    expect(hung.closedWith).toBeDefined();
    expect(closes.at(-1)?.code).toBe(CloseCode.ConnectTimeout);
    expect(t.status.state).toBe('reconnecting');
    vi.runOnlyPendingTimers();
    expect(factory.sockets).toHaveLength(2);
  });

  it('fail() abandons the socket (closing it with a code browsers accept) and backs off', () => {
    const { t } = make();
    t.connect();
    const ws = latest();
    ws.serverOpen();
    t.fail('bad handshake');
    expect(ws.closedWith).toEqual({ code: undefined, reason: undefined });
    expect(t.status.state).toBe('reconnecting');
    expect(t.status.lastClose?.code).toBe(CloseCode.ProtocolError);
    // Late events of the abandoned socket change nothing.
    ws.serverClose(1006);
    expect(t.status.attempt).toBe(1);
  });

  it('retries immediately when the browser comes back online, without resetting the attempt count', () => {
    const { t } = make({ random: () => 0.999 });
    t.connect();
    for (let i = 0; i < 6; i++) {
      latest().serverClose(1006);
      vi.runOnlyPendingTimers();
    }
    latest().serverClose(1006);
    expect(t.status.state).toBe('reconnecting');
    const before = factory.sockets.length;

    online.fire();
    expect(factory.sockets).toHaveLength(before + 1);
    expect(t.status.state).toBe('connecting');
    expect(t.status.attempt).toBe(7);

    // The cancelled timer must not open yet another socket later.
    ready(t);
    vi.advanceTimersByTime(60_000);
    expect(factory.sockets).toHaveLength(before + 1);
    expect(t.status.state).toBe('open');
  });

  it('ignores online events unless it is waiting to reconnect', () => {
    const { t } = make();
    online.fire();
    expect(factory.sockets).toHaveLength(0); // idle: nobody asked to connect
    t.connect();
    online.fire();
    expect(factory.sockets).toHaveLength(1); // already connecting
    ready(t);
    online.fire();
    expect(factory.sockets).toHaveLength(1); // already open
  });

  it('manual disconnect closes with 1000 and stops retrying for good', () => {
    const { t, statuses } = make();
    const closes: CloseEventLike[] = [];
    t.on('close', (c) => closes.push(c));
    t.connect();
    const ws = latest();
    ready(t);

    t.disconnect();
    expect(ws.closedWith).toEqual({ code: 1000, reason: 'client disconnect' });
    expect(closes).toEqual([{ code: 1000, reason: 'client disconnect', wasClean: true }]);
    expect(t.status.state).toBe('idle');
    expect(statuses.at(-1)?.state).toBe('idle');

    ws.serverClose(1000);
    online.fire();
    vi.advanceTimersByTime(120_000);
    expect(factory.sockets).toHaveLength(1);
    expect(t.status.state).toBe('idle');
    expect(t.send('x')).toBe(false);
  });

  it('manual disconnect while waiting cancels the retry; connect() starts fresh', () => {
    const { t } = make();
    t.connect();
    latest().serverClose(1006);
    vi.runOnlyPendingTimers();
    latest().serverClose(1006);
    expect(t.status.state).toBe('reconnecting');

    t.disconnect();
    vi.advanceTimersByTime(120_000);
    expect(factory.sockets).toHaveLength(2);

    t.connect();
    expect(factory.sockets).toHaveLength(3);
    latest().serverClose(1006);
    expect(t.status.retryDelayMs).toBe(250); // attempt counter was reset
  });

  it('connect() while waiting skips the remaining delay', () => {
    const { t } = make();
    t.connect();
    latest().serverClose(1006);
    t.connect();
    expect(factory.sockets).toHaveLength(2);
    ready(t);
    vi.advanceTimersByTime(60_000);
    expect(factory.sockets).toHaveLength(2);
  });

  it('treats a throwing WebSocket constructor as a failed attempt', () => {
    let calls = 0;
    const t = new ReconnectingSocket({
      url: 'ws://bad',
      createSocket: () => {
        calls += 1;
        throw new Error('SyntaxError');
      },
      random: () => 0.5,
      onlineSource: null,
    });
    t.connect();
    expect(t.status.state).toBe('reconnecting');
    vi.advanceTimersByTime(250);
    expect(calls).toBe(2);
    t.dispose();
  });

  it('dispose() removes the online listener and forbids reuse', () => {
    const { t } = make();
    expect(online.count).toBe(1);
    t.dispose();
    expect(online.count).toBe(0);
    expect(() => t.connect()).toThrow();
  });
});

describe('socketFactory', () => {
  it('passes the subprotocols to the given constructor', () => {
    const calls: unknown[][] = [];
    class Ctor {
      constructor(...args: unknown[]) {
        calls.push(args);
      }
    }
    socketFactory(Ctor)('ws://x/ws/events', ['broadcast.v2']);
    expect(calls).toEqual([['ws://x/ws/events', ['broadcast.v2']]]);
  });

  it('explains what to do when there is no WebSocket at all', () => {
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = undefined;
    try {
      expect(() => socketFactory()('ws://x', [])).toThrow(/ws/);
    } finally {
      (globalThis as { WebSocket?: unknown }).WebSocket = saved;
    }
  });
});
