import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BroadcastSocket,
  CLOSE_CONNECT_TIMEOUT,
  type BroadcastSocketOptions,
  type CloseEventLike,
  type OnlineSource,
  type StatusSnapshot,
  type WebSocketLike,
} from './broadcastSocket';

/** In-memory WebSocket whose lifecycle the test drives explicitly. */
class FakeWebSocket implements WebSocketLike {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: CloseEventLike) => void) | null = null;
  onmessage: ((event: { readonly data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: string[] = [];
  closedWith: { code: number | undefined; reason: string | undefined } | undefined;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }
  // Test controls:
  serverOpen(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  serverClose(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onerror?.({});
    this.onclose?.({ code, reason, wasClean: code !== 1006 });
  }
  serverSend(data: unknown): void {
    this.onmessage?.({ data });
  }
}

class FakeOnline implements OnlineSource {
  private listeners = new Set<() => void>();
  addEventListener(_type: 'online', l: () => void): void {
    this.listeners.add(l);
  }
  removeEventListener(_type: 'online', l: () => void): void {
    this.listeners.delete(l);
  }
  fire(): void {
    for (const l of this.listeners) l();
  }
  get count(): number {
    return this.listeners.size;
  }
}

let sockets: FakeWebSocket[];
let online: FakeOnline;

function latest(): FakeWebSocket {
  const ws = sockets.at(-1);
  if (!ws) throw new Error('no socket created');
  return ws;
}

function make(overrides: Partial<BroadcastSocketOptions> = {}) {
  const client = new BroadcastSocket({
    url: 'ws://test/ws/events',
    createSocket: (url) => {
      const ws = new FakeWebSocket(url);
      sockets.push(ws);
      return ws;
    },
    random: () => 0.5, // deterministic: half of each backoff window
    onlineSource: online,
    ...overrides,
  });
  const statuses: StatusSnapshot[] = [];
  client.on('status', (s) => statuses.push(s));
  return { client, statuses };
}

beforeEach(() => {
  vi.useFakeTimers();
  sockets = [];
  online = new FakeOnline();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('BroadcastSocket connection lifecycle', () => {
  it('is idle until connect(), then connecting, then open', () => {
    const { client } = make();
    expect(client.status.state).toBe('idle');
    expect(sockets).toHaveLength(0);

    client.connect();
    expect(client.status.state).toBe('connecting');
    expect(latest().url).toBe('ws://test/ws/events');

    latest().serverOpen();
    expect(client.status.state).toBe('open');
    expect(client.status.openedAt).toBe(Date.now());
  });

  it('connect() while connecting or open does not open a second socket', () => {
    const { client } = make();
    client.connect();
    client.connect();
    expect(sockets).toHaveLength(1);
    latest().serverOpen();
    client.connect();
    expect(sockets).toHaveLength(1);
  });

  it('sends {"message": text} only while open', () => {
    const { client } = make();
    expect(client.send('early')).toBe('not-connected');
    client.connect();
    expect(client.send('still connecting')).toBe('not-connected');
    latest().serverOpen();
    expect(client.send('hello')).toBe('sent');
    expect(latest().sent).toEqual(['{"message":"hello"}']);
  });

  it('refuses frames larger than the limit instead of getting closed with 1009', () => {
    const { client } = make({ maxFrameBytes: 32 });
    client.connect();
    latest().serverOpen();
    expect(client.send('x'.repeat(100))).toBe('too-large');
    expect(latest().sent).toEqual([]);
    expect(client.send('ok')).toBe('sent');
  });

  it('emits parsed messages and server errors, ignoring junk and binary frames', () => {
    const { client } = make();
    const messages: unknown[] = [];
    const errors: unknown[] = [];
    client.on('message', (m) => messages.push(m));
    client.on('serverError', (e) => errors.push(e));
    client.connect();
    latest().serverOpen();

    latest().serverSend('{"message":"hi","timestamp":"2025-01-01T00:00:00Z","extra":1}');
    latest().serverSend('{"error":"Message is empty","code":"empty"}');
    latest().serverSend('garbage');
    latest().serverSend(new ArrayBuffer(4));

    expect(messages).toEqual([{ message: 'hi', timestamp: '2025-01-01T00:00:00Z' }]);
    expect(errors).toEqual([{ error: 'Message is empty', code: 'empty' }]);
  });
});

describe('BroadcastSocket reconnection', () => {
  it('schedules a retry after an unexpected close, using the backoff delay', () => {
    const { client } = make();
    client.connect();
    latest().serverOpen();
    latest().serverClose(1001, 'server shutting down');

    const status = client.status;
    expect(status.state).toBe('reconnecting');
    expect(status.lastClose).toEqual({ code: 1001, reason: 'server shutting down', wasClean: true });
    // attempt 0: window 500 ms, rng 0.5 -> 250 ms
    expect(status.retryAt).toBe(Date.now() + 250);
    expect(sockets).toHaveLength(1);

    vi.advanceTimersByTime(249);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    expect(client.status.state).toBe('connecting');
  });

  it('reconnects after every kind of close code (1008, 1009, 1011, 1006)', () => {
    const { client } = make();
    client.connect();
    for (const code of [1008, 1009, 1011, 1006]) {
      latest().serverClose(code);
      expect(client.status.state).toBe('reconnecting');
      vi.runOnlyPendingTimers();
      expect(client.status.state).toBe('connecting');
    }
    expect(sockets).toHaveLength(5);
  });

  it('never loops tightly: delays grow while the server stays down, up to the cap', () => {
    const { client } = make({ random: () => 0.999 });
    client.connect();
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      latest().serverClose(1006);
      const retryAt = client.status.retryAt;
      if (retryAt === undefined) throw new Error('expected a scheduled retry');
      delays.push(retryAt - Date.now());
      const before = sockets.length;
      // Nothing happens before the delay has elapsed...
      vi.advanceTimersByTime(retryAt - Date.now() - 1);
      expect(sockets).toHaveLength(before);
      vi.advanceTimersByTime(1);
      expect(sockets).toHaveLength(before + 1);
    }
    expect(delays.slice(0, 6)).toEqual([499, 999, 1998, 3996, 7992, 15_984]);
    expect(delays.slice(6)).toEqual([19_980, 19_980, 19_980, 19_980]);
  });

  it('even with rng() === 0 waits at least the floor before retrying', () => {
    const { client } = make({ random: () => 0 });
    client.connect();
    for (let i = 0; i < 5; i++) {
      latest().serverClose(1006);
      const before = sockets.length;
      vi.advanceTimersByTime(99);
      expect(sockets).toHaveLength(before);
      vi.advanceTimersByTime(1);
      expect(sockets).toHaveLength(before + 1);
    }
  });

  it('does not reset the backoff when a connection opens and drops right away', () => {
    const { client } = make({ stableAfterMs: 5000 });
    client.connect();
    latest().serverClose(1006); // attempt 0 -> 250
    vi.runOnlyPendingTimers();
    latest().serverClose(1006); // attempt 1 -> 500
    vi.runOnlyPendingTimers();
    latest().serverOpen();
    vi.advanceTimersByTime(1000); // open, but not for long enough
    latest().serverClose(1008);
    expect(client.status.attempt).toBe(3);
    expect(client.status.retryAt).toBe(Date.now() + 1000); // attempt 2: window 2000 * 0.5
  });

  it('resets the backoff once a connection has stayed open for stableAfterMs', () => {
    const { client } = make({ stableAfterMs: 5000 });
    client.connect();
    for (let i = 0; i < 4; i++) {
      latest().serverClose(1006);
      vi.runOnlyPendingTimers();
    }
    expect(client.status.attempt).toBe(4);
    latest().serverOpen();
    vi.advanceTimersByTime(5000);
    expect(client.status.attempt).toBe(0);
    latest().serverClose(1001);
    expect(client.status.retryAt).toBe(Date.now() + 250); // back to the first window
  });

  it('retries immediately when the browser comes back online', () => {
    const { client } = make({ random: () => 0.999 });
    client.connect();
    for (let i = 0; i < 6; i++) {
      latest().serverClose(1006);
      vi.runOnlyPendingTimers();
    }
    latest().serverClose(1006);
    expect(client.status.state).toBe('reconnecting');
    const before = sockets.length;

    online.fire();
    expect(sockets).toHaveLength(before + 1);
    expect(client.status.state).toBe('connecting');

    // The cancelled timer must not open yet another socket later.
    latest().serverOpen();
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(before + 1);
    expect(client.status.state).toBe('open');
  });

  it('ignores online events unless it is waiting to reconnect', () => {
    const { client } = make();
    online.fire();
    expect(sockets).toHaveLength(0); // idle: user has not asked to connect
    client.connect();
    online.fire();
    expect(sockets).toHaveLength(1); // already connecting
    latest().serverOpen();
    online.fire();
    expect(sockets).toHaveLength(1); // already open
  });

  it('manual disconnect closes the socket and stops retrying for good', () => {
    const { client, statuses } = make();
    client.connect();
    const ws = latest();
    ws.serverOpen();

    client.disconnect();
    expect(ws.closedWith).toEqual({ code: 1000, reason: 'client disconnect' });
    expect(client.status.state).toBe('idle');
    expect(statuses.at(-1)?.state).toBe('idle');

    // A late close event from the old socket, timers and online events change nothing.
    ws.serverClose(1000);
    online.fire();
    vi.advanceTimersByTime(120_000);
    expect(sockets).toHaveLength(1);
    expect(client.status.state).toBe('idle');
    expect(client.send('x')).toBe('not-connected');
  });

  it('manual disconnect while waiting cancels the pending retry; connect() starts fresh', () => {
    const { client } = make();
    client.connect();
    latest().serverClose(1006);
    vi.runOnlyPendingTimers();
    latest().serverClose(1006);
    expect(client.status.state).toBe('reconnecting');

    client.disconnect();
    vi.advanceTimersByTime(120_000);
    expect(sockets).toHaveLength(2);

    client.connect();
    expect(sockets).toHaveLength(3);
    latest().serverClose(1006);
    expect(client.status.retryAt).toBe(Date.now() + 250); // attempt counter was reset
  });

  it('connect() while waiting skips the remaining delay', () => {
    const { client } = make();
    client.connect();
    latest().serverClose(1006);
    client.connect();
    expect(sockets).toHaveLength(2);
    latest().serverOpen();
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(2);
  });

  it('abandons an attempt that never opens and retries with backoff', () => {
    const closes: CloseEventLike[] = [];
    const { client } = make({ connectTimeoutMs: 3000 });
    client.on('close', (c) => closes.push(c));
    client.connect();
    const hung = latest();
    vi.advanceTimersByTime(2999);
    expect(client.status.state).toBe('connecting');
    vi.advanceTimersByTime(1);
    expect(hung.closedWith).toBeDefined();
    expect(closes.at(-1)?.code).toBe(CLOSE_CONNECT_TIMEOUT);
    expect(client.status.state).toBe('reconnecting');
    vi.runOnlyPendingTimers();
    expect(sockets).toHaveLength(2);
  });

  it('treats a throwing WebSocket constructor as a failed attempt', () => {
    let calls = 0;
    const client = new BroadcastSocket({
      url: 'ws://bad',
      createSocket: () => {
        calls += 1;
        throw new Error('SyntaxError');
      },
      random: () => 0.5,
      onlineSource: null,
    });
    client.connect();
    expect(client.status.state).toBe('reconnecting');
    vi.advanceTimersByTime(250);
    expect(calls).toBe(2);
    client.dispose();
  });

  it('dispose() removes the online listener', () => {
    const { client } = make();
    expect(online.count).toBe(1);
    client.dispose();
    expect(online.count).toBe(0);
    expect(() => client.connect()).toThrow();
  });
});
