import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BroadcastClient, type ClientOptions, type ResumedEvent } from './client.js';
import { ClientErrorCode } from './codes.js';
import { BroadcastError } from './errors.js';
import { FakeBroadcastServer, FakeOnlineSource, FakeSocketFactory, type FakeWebSocket } from './testing/index.js';

let factory: FakeSocketFactory;
let client: BroadcastClient;

const latest = (): FakeWebSocket => factory.latest;

function make(overrides: Partial<ClientOptions> = {}): BroadcastClient {
  client = new BroadcastClient({
    url: 'ws://test/ws/events',
    createSocket: factory.create,
    random: () => 0.5,
    onlineSource: null,
    ...overrides,
  });
  return client;
}

/** Opens the latest socket and answers its hello with a welcome. */
function welcome(session = 'session-1', resumed = false, ws = latest()): FakeWebSocket {
  ws.serverOpen();
  ws.serverSend({ type: 'welcome', session, resumed, protocol: 2, node: 'n', limits: { maxMessageBytes: 65536, maxChannels: 64 } });
  return ws;
}

/** Drops the connection and lets the backoff timer open the next socket. */
function drop(ws = latest()): void {
  ws.serverClose(1006);
  vi.advanceTimersByTime(client.status.retryDelayMs ?? 0);
}

/** For promises a test does not await: keeps their rejection (e.g. by close()) from going unhandled. */
function bg(promise: Promise<unknown>): void {
  promise.catch(() => {});
}

function lastOf(type: string, ws = latest()): Record<string, unknown> {
  const f = ws.framesOf(type).at(-1);
  if (!f) throw new Error(`no ${type} frame sent`);
  return f;
}

/** Answers the latest subscribe on `ws`. */
function subscribed(channel: string, fields: Record<string, unknown>, ws = latest()): void {
  const req = ws.framesOf('subscribe').filter((f) => f['channel'] === channel).at(-1);
  if (!req) throw new Error(`no subscribe for ${channel}`);
  ws.serverSend({ type: 'subscribed', id: req['id'], channel, recovered: false, missed: 0, ...fields });
}

function pub(channel: string, offset: number, message = `m${offset}`, epoch = 'E1', origin = 'other', ws = latest()): void {
  ws.serverSend({ type: 'pub', channel, offset, epoch, origin, timestamp: '2026-11-26T10:15:30.123456+00:00', message });
}

beforeEach(() => {
  vi.useFakeTimers();
  factory = new FakeSocketFactory();
});

afterEach(() => {
  client?.close();
  vi.useRealTimers();
});

describe('session', () => {
  it('offers broadcast.v2, sends hello with the name, and is open only after welcome', () => {
    make({ name: 'ana' });
    const connected: unknown[] = [];
    client.on('connected', (c) => connected.push(c));
    client.connect();
    const ws = latest();
    expect(ws.protocols).toEqual(['broadcast.v2']);
    ws.serverOpen();
    expect(ws.frames).toEqual([{ type: 'hello', name: 'ana' }]);
    expect(client.status.state).toBe('connecting');
    ws.serverSend({ type: 'welcome', session: 'k3J9abcd', publicId: 'p_Zx81abcdefghijklmnopqr', resumed: false, protocol: 2, node: 'n1', limits: { maxMessageBytes: 1000, maxChannels: 4 } });
    expect(client.status.state).toBe('open');
    expect(client.session).toBe('k3J9abcd');
    expect(client.publicId).toBe('p_Zx81abcdefghijklmnopqr');
    expect(client.serverLimits).toEqual({ maxMessageBytes: 1000, maxChannels: 4 });
    expect(connected).toEqual([
      { session: 'k3J9abcd', publicId: 'p_Zx81abcdefghijklmnopqr', resumed: false, node: 'n1', limits: { maxMessageBytes: 1000, maxChannels: 4 } },
    ]);
  });

  it('from a server without public ids, the session is its own public id', () => {
    make();
    client.connect();
    welcome('k3J9abcd');
    expect(client.publicId).toBe('k3J9abcd');
  });

  it('a session the server refuses as another user\'s is dropped, reported, and a new one started', () => {
    make({ session: 'someone-elses' });
    const errors: BroadcastError[] = [];
    client.on('error', (e) => errors.push(e));
    client.connect();
    latest().serverOpen();
    expect(latest().frames[0]).toEqual({ type: 'hello', session: 'someone-elses' });
    latest().serverSend({ type: 'error', code: 'session_forbidden', error: 'not yours' });
    expect(latest().frames[1]).toEqual({ type: 'hello' });
    expect(errors.map((e) => e.code)).toEqual(['session_forbidden']);
    expect(client.status.state).toBe('connecting');
    welcome('fresh-session', false, latest());
    expect(client.session).toBe('fresh-session');
    expect(client.status.state).toBe('open');
  });

  it('re-sends the session in hello after a reconnect, and the new name after setName()', () => {
    make();
    client.connect();
    welcome('k3J9abcd');
    client.setName('bo');
    drop();
    latest().serverOpen();
    expect(latest().frames[0]).toEqual({ type: 'hello', session: 'k3J9abcd', name: 'bo' });
  });

  it('starts from a session given in the options; drops it if the server calls it invalid', () => {
    make({ session: 'saved-session-1' });
    const errors: BroadcastError[] = [];
    client.on('error', (e) => errors.push(e));
    client.connect();
    latest().serverOpen();
    expect(latest().frames[0]).toEqual({ type: 'hello', session: 'saved-session-1' });
    latest().serverSend({ type: 'error', code: 'session_invalid', error: 'bad session' });
    expect(latest().frames[1]).toEqual({ type: 'hello' });
    welcome('fresh-session', false, latest());
    expect(client.session).toBe('fresh-session');
    expect(errors).toEqual([]);
  });

  it('a refused hello (other codes) is reported and the attempt is retried with backoff', () => {
    make();
    const errors: BroadcastError[] = [];
    client.on('error', (e) => errors.push(e));
    client.connect();
    latest().serverOpen();
    latest().serverSend({ type: 'error', code: 'hello_required', error: '?' });
    expect(errors.map((e) => e.code)).toEqual(['hello_required']);
    expect(client.status.state).toBe('reconnecting');
  });

  it('reports a server that does not accept broadcast.v2 and keeps retrying with backoff', () => {
    make();
    const errors: BroadcastError[] = [];
    client.on('error', (e) => errors.push(e));
    client.connect();
    latest().serverOpen(''); // legacy server: no subprotocol
    expect(latest().sent).toEqual([]);
    expect(errors.map((e) => e.code)).toEqual([ClientErrorCode.ProtocolUnsupported]);
    expect(client.status.state).toBe('reconnecting');
  });

  it('a welcome that never comes times out like a failed connection attempt', () => {
    make({ connectTimeoutMs: 2000 });
    client.connect();
    latest().serverOpen();
    vi.advanceTimersByTime(2000);
    expect(client.status.state).toBe('reconnecting');
  });
});

describe('subscriptions and resume', () => {
  it('subscribes after welcome, resolves with the reply and delivers publications', async () => {
    make();
    const got: unknown[] = [];
    client.on('publication', (p) => got.push(p));
    const result = client.subscribe('room', { presence: true });
    client.connect();
    welcome();
    expect(lastOf('subscribe')).toEqual({ type: 'subscribe', id: expect.any(String), channel: 'room', presence: true });
    subscribed('room', { epoch: 'E1', offset: 7 });
    await expect(result).resolves.toEqual({ channel: 'room', epoch: 'E1', offset: 7, recovered: false, missed: 0, resumed: false });
    expect(client.isSubscribed('room')).toBe(true);
    pub('room', 8, 'hi');
    expect(got).toEqual([
      { channel: 'room', epoch: 'E1', offset: 8, origin: 'other', timestamp: '2026-11-26T10:15:30.123456+00:00', message: 'hi', payload: 'message', data: undefined, bytes: undefined },
    ]);
    expect(client.position('room')).toEqual({ epoch: 'E1', offset: 8 });
  });

  it('after a reconnect re-subscribes with since = last position and reports recovered', async () => {
    make();
    const recovered: unknown[] = [];
    const resumed: ResumedEvent[] = [];
    const got: number[] = [];
    client.on('recovered', (r) => recovered.push(r));
    client.on('resumed', (r) => resumed.push(r));
    client.on('publication', (p) => got.push(p.offset));
    client.connect();
    welcome('sess-0001');
    bg(client.subscribe('a'));
    bg(client.subscribe('b'));
    subscribed('a', { epoch: 'EA', offset: 3 });
    subscribed('b', { epoch: 'EB', offset: 0 });
    pub('a', 4, 'x', 'EA');
    pub('b', 1, 'y', 'EB');

    drop();
    welcome('sess-0001', true);
    expect(latest().framesOf('subscribe').map((f) => [f['channel'], f['since']])).toEqual([
      ['a', { epoch: 'EA', offset: 4 }],
      ['b', { epoch: 'EB', offset: 1 }],
    ]);
    subscribed('a', { epoch: 'EA', offset: 6, recovered: true, missed: 2 });
    expect(resumed).toEqual([]); // still waiting for b
    pub('a', 5, 'r1', 'EA');
    pub('a', 6, 'r2', 'EA');
    subscribed('b', { epoch: 'EB', offset: 1, recovered: true, missed: 0 });
    expect(recovered).toEqual([
      { channel: 'a', epoch: 'EA', missed: 2 },
      { channel: 'b', epoch: 'EB', missed: 0 },
    ]);
    expect(resumed).toEqual([
      { recovered: [{ channel: 'a', missed: 2 }, { channel: 'b', missed: 0 }], unrecovered: [], failed: [], missed: 2 },
    ]);
    expect(got).toEqual([4, 1, 5, 6]);
  });

  it('emits unrecovered (and continues live) when the server cannot recover the position', () => {
    make();
    const unrecovered: unknown[] = [];
    const resumed: ResumedEvent[] = [];
    const got: number[] = [];
    client.on('unrecovered', (u) => unrecovered.push(u));
    client.on('resumed', (r) => resumed.push(r));
    client.on('publication', (p) => got.push(p.offset));
    client.connect();
    welcome();
    bg(client.subscribe('room'));
    subscribed('room', { epoch: 'E1', offset: 40 });
    pub('room', 41);

    drop();
    welcome('session-2'); // e.g. the server restarted: new session, new epoch
    subscribed('room', { epoch: 'E2', offset: 3, recovered: false });
    expect(unrecovered).toEqual([{ channel: 'room', epoch: 'E2', offset: 3, previous: { epoch: 'E1', offset: 41 } }]);
    expect(resumed).toEqual([{ recovered: [], unrecovered: ['room'], failed: [], missed: 0 }]);
    expect(client.position('room')).toEqual({ epoch: 'E2', offset: 3 });
    pub('room', 4, 'live', 'E2');
    expect(got).toEqual([41, 4]);
  });

  it('emits unrecovered when the server reports publications it lost while the subscription was live', () => {
    make();
    const unrecovered: unknown[] = [];
    const got: Array<[string, number]> = [];
    client.on('unrecovered', (u) => unrecovered.push(u));
    client.on('publication', (p) => got.push([p.epoch, p.offset]));
    client.connect();
    welcome();
    bg(client.subscribe('room'));
    subscribed('room', { epoch: 'E1', offset: 7 });
    pub('room', 8);
    latest().serverSend({ type: 'unrecovered', channel: 'room', epoch: 'E2', offset: 0 });
    expect(unrecovered).toEqual([{ channel: 'room', epoch: 'E2', offset: 0, previous: { epoch: 'E1', offset: 8 } }]);
    expect(client.position('room')).toEqual({ epoch: 'E2', offset: 0 });
    pub('room', 1, 'after', 'E2');
    expect(got).toEqual([['E1', 8], ['E2', 1]]);
  });

  it('emits dropped when the server skipped publications of a slow subscription, and keeps delivering', () => {
    make();
    const dropped: unknown[] = [];
    const got: number[] = [];
    client.on('dropped', (d) => dropped.push(d));
    client.on('publication', (p) => got.push(p.offset));
    client.connect();
    welcome();
    bg(client.subscribe('ticker'));
    subscribed('ticker', { epoch: 'E1', offset: 0 });
    pub('ticker', 1);
    latest().serverSend({ type: 'dropped', channel: 'ticker', count: 5 });
    latest().serverSend({ type: 'dropped', channel: 'not-mine', count: 2 });
    pub('ticker', 7);
    expect(dropped).toEqual([{ channel: 'ticker', count: 5 }]);
    expect(got).toEqual([1, 7]);
  });

  it('treats recovered:true with a different epoch as unrecovered', () => {
    make();
    const unrecovered: unknown[] = [];
    client.on('unrecovered', (u) => unrecovered.push(u));
    client.connect();
    welcome();
    bg(client.subscribe('room', { since: { epoch: 'OLD', offset: 5 } }));
    subscribed('room', { epoch: 'NEW', offset: 9, recovered: true, missed: 0 });
    expect(unrecovered).toHaveLength(1);
  });

  it('drops publications at or below the last offset seen (safety net), and own publications', () => {
    make();
    const got: number[] = [];
    client.on('publication', (p) => got.push(p.offset));
    client.connect();
    latest().serverOpen();
    latest().serverSend({ type: 'welcome', session: 'me-session', publicId: 'p_me', resumed: false, limits: {} });
    bg(client.subscribe('room'));
    subscribed('room', { epoch: 'E1', offset: 10 });
    pub('room', 9); // older than the subscription start
    pub('room', 10);
    pub('room', 11);
    pub('room', 11); // duplicate
    pub('room', 12, 'mine', 'E1', 'p_me'); // the server never sends these; skipped anyway
    pub('room', 12);
    pub('room', 13);
    pub('other-channel', 14); // not subscribed
    expect(got).toEqual([11, 13]);
    expect(client.position('room')).toEqual({ epoch: 'E1', offset: 13 });
  });

  it('a replay that repeats offsets already seen is deduplicated', () => {
    make();
    const got: number[] = [];
    client.on('publication', (p) => got.push(p.offset));
    client.connect();
    welcome();
    bg(client.subscribe('room'));
    subscribed('room', { epoch: 'E1', offset: 0 });
    pub('room', 1);
    pub('room', 2);
    drop();
    welcome('session-1', true);
    subscribed('room', { epoch: 'E1', offset: 4, recovered: true, missed: 4 });
    for (const o of [1, 2, 3, 4]) pub('room', o);
    expect(got).toEqual([1, 2, 3, 4]);
  });

  it('subscribe() on a subscribed channel resolves at once; changing presence re-runs it in place', async () => {
    make();
    client.connect();
    welcome();
    const first = client.subscribe('room');
    subscribed('room', { epoch: 'E1', offset: 2 });
    await first;
    await expect(client.subscribe('room')).resolves.toMatchObject({ channel: 'room', offset: 2 });
    expect(latest().framesOf('subscribe')).toHaveLength(1);
    const again = client.subscribe('room', { presence: true });
    expect(lastOf('subscribe')).toMatchObject({ channel: 'room', presence: true, since: { epoch: 'E1', offset: 2 } });
    subscribed('room', { epoch: 'E1', offset: 2, recovered: true, missed: 0 });
    await expect(again).resolves.toMatchObject({ recovered: true, resumed: true });
  });

  it('a refused subscribe rejects with the server code and drops the subscription', async () => {
    make();
    client.connect();
    welcome();
    const p = client.subscribe('room');
    const req = lastOf('subscribe');
    latest().serverSend({ type: 'error', id: req['id'], channel: 'room', code: 'too_many_channels', error: 'limit' });
    await expect(p).rejects.toMatchObject({ name: 'BroadcastError', code: 'too_many_channels', channel: 'room' });
    expect(client.channels).toEqual([]);
  });

  it('a resubscribe refused after a reconnect is reported as subscriptionError and in resumed.failed', () => {
    make();
    const errs: BroadcastError[] = [];
    const resumed: ResumedEvent[] = [];
    client.on('subscriptionError', (e) => errs.push(e));
    client.on('resumed', (r) => resumed.push(r));
    client.connect();
    welcome();
    bg(client.subscribe('room'));
    subscribed('room', { epoch: 'E1', offset: 0 });
    drop();
    welcome();
    const req = lastOf('subscribe');
    latest().serverSend({ type: 'error', id: req['id'], channel: 'room', code: 'too_many_channels', error: 'limit' });
    expect(errs.map((e) => e.code)).toEqual(['too_many_channels']);
    expect(resumed).toEqual([{ recovered: [], unrecovered: [], failed: ['room'], missed: 0 }]);
  });

  it('rejects invalid channel names without sending anything', async () => {
    make();
    client.connect();
    welcome();
    await expect(client.subscribe('has space')).rejects.toMatchObject({ code: ClientErrorCode.BadRequest });
    await expect(client.publish('', 'x')).rejects.toMatchObject({ code: ClientErrorCode.BadRequest });
    expect(latest().frames).toHaveLength(1); // the hello
  });

  it('unsubscribe stops delivery at once and resolves on the reply', async () => {
    make();
    const got: number[] = [];
    client.on('publication', (p) => got.push(p.offset));
    client.connect();
    welcome();
    bg(client.subscribe('room'));
    subscribed('room', { epoch: 'E1', offset: 0 });
    const done = client.unsubscribe('room');
    pub('room', 1);
    const req = lastOf('unsubscribe');
    latest().serverSend({ type: 'unsubscribed', id: req['id'], channel: 'room' });
    await done;
    expect(got).toEqual([]);
    drop();
    welcome();
    expect(latest().framesOf('subscribe')).toEqual([]); // not renewed
  });

  it('unsubscribe resolves when the connection drops (no subscription survives it) or on not_subscribed', async () => {
    make();
    client.connect();
    welcome();
    bg(client.subscribe('a'));
    bg(client.subscribe('b'));
    subscribed('a', { epoch: 'E', offset: 0 });
    subscribed('b', { epoch: 'E', offset: 0 });
    const a = client.unsubscribe('a');
    latest().serverSend({ type: 'error', id: lastOf('unsubscribe')['id'], channel: 'a', code: 'not_subscribed', error: '' });
    await a;
    const b = client.unsubscribe('b');
    latest().serverClose(1006);
    await b;
  });

  it('delivers join/leave only for channels subscribed with presence', () => {
    make();
    const events: unknown[] = [];
    client.on('join', (e) => events.push(['join', e]));
    client.on('leave', (e) => events.push(['leave', e]));
    client.connect();
    welcome();
    bg(client.subscribe('p', { presence: true }));
    bg(client.subscribe('q'));
    latest().serverSend({ type: 'join', channel: 'p', session: 'Zx81abcd', name: 'bo' });
    latest().serverSend({ type: 'join', channel: 'q', session: 'Zx81abcd', name: 'bo' });
    latest().serverSend({ type: 'leave', channel: 'p', session: 'Zx81abcd', name: null });
    expect(events).toEqual([
      ['join', { channel: 'p', session: 'Zx81abcd', name: 'bo' }],
      ['leave', { channel: 'p', session: 'Zx81abcd', name: null }],
    ]);
  });

  it('a subscribe that gets no reply rejects with timeout but stays registered', async () => {
    make({ requestTimeoutMs: 1000 });
    const p = client.subscribe('room');
    client.connect(); // never opens
    const assertion = expect(p).rejects.toMatchObject({ code: ClientErrorCode.Timeout });
    vi.advanceTimersByTime(1000);
    await assertion;
    expect(client.channels).toEqual(['room']);
  });
});

describe('publish', () => {
  it('sends a unique id per publish and resolves with the ack', async () => {
    make();
    client.connect();
    welcome();
    const a = client.publish('room', 'one');
    const b = client.publish('room', 'two');
    const [fa, fb] = latest().framesOf('publish');
    expect(fa).toEqual({ type: 'publish', id: expect.any(String), channel: 'room', message: 'one' });
    expect(fa?.['id']).not.toBe(fb?.['id']);
    latest().serverSend({ type: 'ack', id: fb?.['id'], channel: 'room', epoch: 'E', offset: 2, duplicate: false });
    latest().serverSend({ type: 'ack', id: fa?.['id'], channel: 'room', epoch: 'E', offset: 1, duplicate: false });
    await expect(a).resolves.toEqual({ id: fa?.['id'], channel: 'room', epoch: 'E', offset: 1, duplicate: false });
    await expect(b).resolves.toMatchObject({ offset: 2 });
  });

  it('re-sends an unacknowledged publish with the same id after reconnect until acked', async () => {
    make();
    client.connect();
    welcome('sess-0001');
    const p = client.publish('room', 'hello');
    const id = lastOf('publish')['id'];
    drop();
    drop(); // a second attempt fails before the welcome
    welcome('sess-0001', true);
    expect(latest().framesOf('publish')).toEqual([{ type: 'publish', id, channel: 'room', message: 'hello' }]);
    latest().serverSend({ type: 'ack', id, channel: 'room', epoch: 'E', offset: 5, duplicate: true });
    await expect(p).resolves.toMatchObject({ offset: 5, duplicate: true });
    drop();
    welcome('sess-0001', true);
    expect(latest().framesOf('publish')).toEqual([]);
  });

  it('queues publishes made while connecting and sends them after the welcome, in order', () => {
    make();
    bg(client.publish('room', 'early-1'));
    bg(client.publish('room', 'early-2'));
    client.connect();
    latest().serverOpen();
    expect(latest().framesOf('publish')).toEqual([]);
    welcome('s-1234567', false, latest());
    expect(latest().framesOf('publish').map((f) => f['message'])).toEqual(['early-1', 'early-2']);
  });

  it('re-sends subscriptions before pending publishes after a reconnect', () => {
    make();
    client.connect();
    welcome();
    bg(client.subscribe('room'));
    subscribed('room', { epoch: 'E', offset: 0 });
    bg(client.publish('room', 'x'));
    drop();
    welcome();
    expect(latest().frames.map((f) => f['type'])).toEqual(['hello', 'subscribe', 'publish']);
  });

  it('rejects with the server code from an error frame, and is not retried', async () => {
    make();
    client.connect();
    welcome();
    const p = client.publish('room', 'x');
    const id = lastOf('publish')['id'];
    latest().serverSend({ type: 'error', id, channel: 'room', code: 'channel_invalid', error: 'no' });
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BroadcastError);
    expect(err).toMatchObject({ code: 'channel_invalid', channel: 'room', requestId: id, message: 'no' });
    drop();
    welcome();
    expect(latest().framesOf('publish')).toEqual([]);
  });

  it('keeps a publish the server refused with shutting_down and sends it again (same id) after the 1001 reconnect', async () => {
    make();
    client.connect();
    welcome('sess-0001');
    const p = client.publish('room', 'during the drain');
    const id = lastOf('publish')['id'];
    latest().serverSend({ type: 'error', id, channel: 'room', code: 'shutting_down', error: 'nothing was published' });
    latest().serverClose(1001);
    vi.advanceTimersByTime(client.status.retryDelayMs ?? 0);
    welcome('sess-0001', true);
    expect(latest().framesOf('publish')).toEqual([{ type: 'publish', id, channel: 'room', message: 'during the drain' }]);
    latest().serverSend({ type: 'ack', id, channel: 'room', epoch: 'E2', offset: 1, duplicate: false });
    await expect(p).resolves.toMatchObject({ offset: 1, duplicate: false });
  });

  it('an unknown outcome (publish_unknown) is sent again with the same id after a backoff, and resolves with that ack', async () => {
    make();
    client.connect();
    welcome();
    const p = client.publish('room', 'x');
    const first = lastOf('publish');
    latest().serverSend({ type: 'error', id: first['id'], channel: 'room', code: 'publish_unknown', error: 'maybe' });
    expect(latest().framesOf('publish')).toHaveLength(1);
    vi.advanceTimersByTime(20_000);
    const again = latest().framesOf('publish');
    expect(again).toEqual([first, first]);
    // It had been published after all: the server says so, and the promise resolves with the original offset.
    latest().serverSend({ type: 'ack', id: first['id'], channel: 'room', epoch: 'E1', offset: 7, duplicate: true });
    await expect(p).resolves.toMatchObject({ offset: 7, duplicate: true });
  });

  it('rejects on timeout, and a late ack is ignored', async () => {
    make({ publishTimeoutMs: 5000 });
    client.connect();
    welcome();
    const p = client.publish('room', 'x');
    const id = lastOf('publish')['id'];
    const assertion = expect(p).rejects.toMatchObject({ code: ClientErrorCode.Timeout });
    vi.advanceTimersByTime(5000);
    await assertion;
    latest().serverSend({ type: 'ack', id, channel: 'room', epoch: 'E', offset: 1, duplicate: false });
  });

  it('close() rejects everything pending with client_closed', async () => {
    make();
    client.connect();
    const p = client.publish('room', 'x');
    const s = client.subscribe('room');
    const h = client.history('room');
    client.close();
    await expect(p).rejects.toMatchObject({ code: ClientErrorCode.ClientClosed });
    await expect(s).rejects.toMatchObject({ code: ClientErrorCode.ClientClosed });
    await expect(h).rejects.toMatchObject({ code: ClientErrorCode.ClientClosed });
    expect(() => client.publish('room', 'y')).toThrow();
  });

  it('disconnect() keeps pending publishes; connect() sends them again', () => {
    make();
    client.connect();
    welcome();
    bg(client.publish('room', 'x'));
    const id = lastOf('publish')['id'];
    client.disconnect();
    expect(client.status.state).toBe('idle');
    client.connect();
    welcome();
    expect(lastOf('publish')['id']).toBe(id);
  });

  it('refuses messages over the announced limit and empty messages without sending', async () => {
    make();
    client.connect();
    latest().serverOpen();
    latest().serverSend({ type: 'welcome', session: 'abcdefgh', resumed: false, limits: { maxMessageBytes: 100 } });
    await expect(client.publish('room', 'x'.repeat(100))).rejects.toMatchObject({ code: ClientErrorCode.MessageTooBig });
    await expect(client.publish('room', '')).rejects.toMatchObject({ code: 'message_empty' });
    expect(latest().framesOf('publish')).toEqual([]);
  });
});

describe('history, presence and stray errors', () => {
  it('history and presence resolve with their replies', async () => {
    make();
    client.connect();
    welcome();
    const h = client.history('room', 40, 100);
    const req = lastOf('history');
    expect(req).toEqual({ type: 'history', id: expect.any(String), channel: 'room', since: 40, limit: 100 });
    latest().serverSend({
      type: 'history', id: req['id'], channel: 'room', epoch: 'E', offset: 57, truncated: false,
      publications: [{ offset: 41, origin: 'o', timestamp: '2026-11-26T10:15:30.123456+00:00', message: 'm', payload: 'message', data: undefined, bytes: undefined }],
    });
    await expect(h).resolves.toEqual({
      channel: 'room', epoch: 'E', offset: 57, truncated: false,
      publications: [{ offset: 41, origin: 'o', timestamp: '2026-11-26T10:15:30.123456+00:00', message: 'm', payload: 'message', data: undefined, bytes: undefined }],
    });

    const pr = client.presence('room');
    const preq = lastOf('presence');
    latest().serverSend({ type: 'presence', id: preq['id'], channel: 'room', count: 1, members: [{ session: 'a', name: null }] });
    await expect(pr).resolves.toEqual({ channel: 'room', count: 1, members: [{ session: 'a', name: null }] });
  });

  it('history follows the server\'s pages until it has the limit, and stops at a gap between pages', async () => {
    make();
    client.connect();
    welcome();
    const pub = (offset: number) => ({ offset, origin: 'o', timestamp: '2026-11-26T10:15:30.123456+00:00', message: `m${offset}`, payload: 'message', data: undefined, bytes: undefined });
    const h = client.history('room', 10, 5);
    const first = lastOf('history');
    expect(first).toMatchObject({ since: 10, limit: 5 });
    latest().serverSend({ type: 'history', id: first['id'], channel: 'room', epoch: 'E', offset: 50, truncated: false, more: true, publications: [pub(11), pub(12)] });
    await vi.waitFor(() => expect(lastOf('history')['id']).not.toBe(first['id']));
    const second = lastOf('history');
    expect(second).toMatchObject({ type: 'history', channel: 'room', since: 12, limit: 3 });
    latest().serverSend({ type: 'history', id: second['id'], channel: 'room', epoch: 'E', offset: 51, truncated: false, more: true, publications: [pub(13), pub(14), pub(15)] });
    await expect(h).resolves.toEqual({ channel: 'room', epoch: 'E', offset: 51, truncated: false, publications: [11, 12, 13, 14, 15].map(pub) });
    expect(latest().framesOf('history')).toHaveLength(2);

    // The history was lost between two pages (a new epoch): what the first page had, marked truncated.
    const g = client.history('room', 0, 100);
    const one = lastOf('history');
    latest().serverSend({ type: 'history', id: one['id'], channel: 'room', epoch: 'E', offset: 50, truncated: false, more: true, publications: [pub(1)] });
    await vi.waitFor(() => expect(lastOf('history')['id']).not.toBe(one['id']));
    const two = lastOf('history');
    latest().serverSend({ type: 'history', id: two['id'], channel: 'room', epoch: 'F', offset: 3, truncated: true, more: false, publications: [pub(1)] });
    await expect(g).resolves.toEqual({ channel: 'room', epoch: 'E', offset: 50, truncated: true, publications: [pub(1)] });
  });

  it('validates history arguments and maps error frames to BroadcastError', async () => {
    make();
    client.connect();
    welcome();
    await expect(client.history('room', -1)).rejects.toMatchObject({ code: ClientErrorCode.BadRequest });
    await expect(client.history('room', 0, 1001)).rejects.toMatchObject({ code: ClientErrorCode.BadRequest });
    const h = client.history('room', 0, 10);
    latest().serverSend({ type: 'error', id: lastOf('history')['id'], channel: 'room', code: 'limit_invalid', error: 'x' });
    await expect(h).rejects.toMatchObject({ code: 'limit_invalid' });
  });

  it('requests in flight when the connection drops are sent again after the reconnect', async () => {
    make();
    client.connect();
    welcome();
    const pr = client.presence('room');
    const id = lastOf('presence')['id'];
    drop();
    welcome();
    expect(lastOf('presence')['id']).toBe(id);
    latest().serverSend({ type: 'presence', id, channel: 'room', count: 0, members: [] });
    await expect(pr).resolves.toMatchObject({ count: 0 });
  });

  it('error frames that answer nothing pending become error events', () => {
    make();
    const errors: BroadcastError[] = [];
    client.on('error', (e) => errors.push(e));
    client.connect();
    welcome();
    latest().serverSend({ type: 'error', code: 'invalid_json', error: 'bad json' });
    latest().serverSend({ type: 'error', id: 'nobody', code: 'type_unknown', error: '?' });
    expect(errors.map((e) => [e.code, e.requestId])).toEqual([
      ['invalid_json', undefined],
      ['type_unknown', 'nobody'],
    ]);
  });
});

describe('reconnect behaviour', () => {
  it('reports the scheduled delay and retries at once on online', () => {
    const online = new FakeOnlineSource();
    make({ onlineSource: online });
    const delays: (number | undefined)[] = [];
    client.on('status', (s) => s.state === 'reconnecting' && delays.push(s.retryDelayMs));
    client.connect();
    welcome();
    latest().serverClose(1006);
    expect(delays).toEqual([250]);
    const before = factory.sockets.length;
    online.fire();
    expect(factory.sockets).toHaveLength(before + 1);
  });

  it('exposes the current socket for tests and diagnostics', () => {
    make();
    client.connect();
    expect(client.socket).toBe(latest());
  });
});

describe('against the in-memory fake server', () => {
  it('two clients: publish, receive, presence, and resume with replay after a drop', async () => {
    vi.useRealTimers();
    const server = new FakeBroadcastServer();
    const a = new BroadcastClient({ url: 'ws://fake', createSocket: server.create, name: 'ana', onlineSource: null, random: () => 0 });
    const b = new BroadcastClient({ url: 'ws://fake', createSocket: server.create, name: 'bo', onlineSource: null, random: () => 0 });
    const got: string[] = [];
    const recovered: number[] = [];
    b.on('publication', (p) => got.push(p.message));
    b.on('recovered', (r) => recovered.push(r.missed));
    a.connect();
    b.connect();
    await Promise.all([a.subscribe('room'), b.subscribe('room', { presence: true })]);
    const presence = await a.presence('room');
    expect(presence.members.map((m) => m.name).sort()).toEqual(['ana', 'bo']);

    await a.publish('room', 'one');
    await vi.waitFor(() => expect(got).toEqual(['one']));
    const bSocket = b.socket as FakeWebSocket;
    bSocket.serverClose(1006);
    const r1 = await a.publish('room', 'two');
    const r2 = await a.publish('room', 'three');
    expect([r1.offset, r2.offset]).toEqual([2, 3]);
    await vi.waitFor(() => expect(got).toEqual(['one', 'two', 'three']), { timeout: 3000 });
    expect(recovered).toEqual([2]);
    a.close();
    b.close();
  });
});

describe('withAccessToken', () => {
  it('adds the token as access_token, replacing one the address carries', async () => {
    const { withAccessToken } = await import('./client.js');
    expect(withAccessToken('ws://h/ws/events', undefined)).toBe('ws://h/ws/events');
    expect(withAccessToken('ws://h/ws/events', 'a.b c')).toBe('ws://h/ws/events?access_token=a.b%20c');
    expect(withAccessToken('ws://h/ws/events?x=1&access_token=old#f', 'new')).toBe('ws://h/ws/events?x=1&access_token=new#f');
  });
});
