import { describe, expect, it } from 'vitest';
import { BroadcastClient } from './client.js';
import { ClientErrorCode } from './codes.js';
import type { FetchLike } from './httpStream.js';
import { FakeSocketFactory } from './testing/index.js';
import { SseSocket } from './sseSocket.js';

/** A fetch answering every GET /sse with a stream the test writes events into; requests are recorded. */
function fakeSse() {
  const encoder = new TextEncoder();
  const streams: { url: URL; headers: Record<string, string>; write: (name: string, data: object, id?: string) => void; end: () => void; aborted: boolean }[] = [];
  const fetch: FetchLike = async (url, init) => {
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    const entry = {
      url: new URL(url),
      headers: init?.headers ?? {},
      aborted: false,
      write: (name: string, data: object, id?: string) => {
        const head = (name === 'message' ? '' : `event: ${name}\n`) + (id !== undefined ? `id: ${id}\n` : '');
        controller.enqueue(encoder.encode(`${head}data: ${JSON.stringify(data)}\n\n`));
      },
      end: () => controller.close(),
    };
    init?.signal?.addEventListener('abort', () => {
      entry.aborted = true;
      controller.error(new Error('aborted'));
    });
    streams.push(entry);
    return { ok: true, status: 200, body, text: async () => '' };
  };
  return { fetch, streams, latest: () => streams.at(-1) as (typeof streams)[number] };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await tick();
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

const WELCOME = { type: 'welcome', session: 's1', publicId: 'p1', resumed: false, protocol: 2, node: 'n', limits: { maxMessageBytes: 65536, maxChannels: 64 } };
const pub = (channel: string, offset: number) => ({ type: 'pub', channel, epoch: 'E', offset, origin: 'other', timestamp: '2026-12-02T10:00:00Z', message: `${channel}${offset}` });

describe('SseSocket', () => {
  it('opens /sse with the channels, their positions as since, name, presence and token; answers subscribes from the stream', async () => {
    const f = fakeSse();
    const socket = new SseSocket('ws://h:8/ws/events?access_token=tok', {
      channels: [
        { channel: 'a', position: { epoch: 'E', offset: 4 }, presence: false },
        { channel: 'b', position: undefined, presence: true },
      ],
      name: 'ann',
    }, f.fetch);
    const got: Record<string, unknown>[] = [];
    socket.onmessage = (e) => got.push(JSON.parse(String(e.data)) as Record<string, unknown>);
    let opened = false;
    socket.onopen = () => (opened = true);
    await until(() => opened, 'open');
    const url = f.latest().url;
    expect(`${url.origin}${url.pathname}`).toBe('http://h:8/sse');
    expect(url.searchParams.getAll('channel')).toEqual(['a', 'b']);
    expect(url.searchParams.get('since')).toBe('a=E:4');
    expect(url.searchParams.get('presence')).toBe('true');
    expect(url.searchParams.get('name')).toBe('ann');
    expect(url.searchParams.get('access_token')).toBe('tok');

    f.latest().write('welcome', WELCOME);
    await until(() => got.length === 1, 'welcome');
    socket.send(JSON.stringify({ type: 'subscribe', id: 'r1', channel: 'a', since: { epoch: 'E', offset: 4 } }));
    socket.send(JSON.stringify({ type: 'subscribe', id: 'r2', channel: 'b', presence: true }));
    f.latest().write('subscribed', { type: 'subscribed', id: 'a', channel: 'a', epoch: 'E', offset: 6, recovered: true, missed: 2 }, 'a=E:6');
    f.latest().write('message', pub('a', 5), 'a=E:5');
    await until(() => got.length === 3, 'subscribed and pub');
    expect(got[1]).toMatchObject({ type: 'subscribed', id: 'r1', channel: 'a', recovered: true });
    expect(got[2]).toMatchObject({ type: 'pub', channel: 'a', offset: 5 });
    expect(f.streams.length).toBe(1); // both channels were in the URL: no reopen
  });

  it('answers publish, history, presence, rpc and auth with receive_only instead of leaving them waiting', async () => {
    const f = fakeSse();
    const socket = new SseSocket('ws://h/ws/events', { channels: [{ channel: 'a', position: undefined, presence: false }] }, f.fetch);
    const got: Record<string, unknown>[] = [];
    socket.onmessage = (e) => got.push(JSON.parse(String(e.data)) as Record<string, unknown>);
    await until(() => socket.readyState === 1, 'open');
    for (const [i, type] of ['publish', 'history', 'presence', 'rpc', 'auth'].entries()) socket.send(JSON.stringify({ type, id: `q${i}`, channel: 'a' }));
    await until(() => got.length === 5, 'five errors');
    expect(got.map((g) => [g['type'], g['id'], g['code']])).toEqual(['q0', 'q1', 'q2', 'q3', 'q4'].map((id) => ['error', id, 'receive_only']));
  });

  it('a subscribe to a new channel reopens the stream with it, resuming the others from what was passed on', async () => {
    const f = fakeSse();
    const socket = new SseSocket('ws://h/ws/events', { channels: [{ channel: 'a', position: undefined, presence: false }] }, f.fetch);
    const got: Record<string, unknown>[] = [];
    socket.onmessage = (e) => got.push(JSON.parse(String(e.data)) as Record<string, unknown>);
    await until(() => socket.readyState === 1, 'open');
    const first = f.latest();
    first.write('welcome', WELCOME);
    await until(() => got.length === 1, 'welcome');
    socket.send(JSON.stringify({ type: 'subscribe', id: 'r1', channel: 'a' }));
    first.write('subscribed', { type: 'subscribed', id: 'a', channel: 'a', epoch: 'E', offset: 0 }, 'a=E:0');
    first.write('message', pub('a', 1), 'a=E:1');
    first.write('message', pub('a', 2), 'a=E:2');
    await until(() => got.length === 4, 'two pubs');

    socket.send(JSON.stringify({ type: 'subscribe', id: 'r2', channel: 'b' }));
    await until(() => f.streams.length === 2, 'the stream reopened');
    expect(first.aborted).toBe(true);
    const second = f.latest();
    expect(second.url.searchParams.getAll('channel')).toEqual(['a', 'b']);
    expect(second.url.searchParams.get('since')).toBe('a=E:2');
    // The new server session's welcome and the resumed subscription of `a` are the socket's own business.
    second.write('welcome', { ...WELCOME, session: 's2' });
    second.write('subscribed', { type: 'subscribed', id: 'a', channel: 'a', epoch: 'E', offset: 3, recovered: true, missed: 1 }, 'a=E:3');
    second.write('subscribed', { type: 'subscribed', id: 'b', channel: 'b', epoch: 'F', offset: 0 }, 'a=E:3,b=F:0');
    second.write('message', pub('a', 3), 'a=E:3,b=F:0');
    await until(() => got.length === 6, 'b subscribed and a3');
    expect(got.slice(4)).toMatchObject([{ type: 'subscribed', id: 'r2', channel: 'b' }, { type: 'pub', channel: 'a', offset: 3 }]);
    expect(socket.readyState).toBe(1);
  });

  it('a subscription the server ended is passed on and left out when the stream reopens', async () => {
    const f = fakeSse();
    const socket = new SseSocket('ws://h/ws/events', { channels: ['a', 'b'].map((channel) => ({ channel, position: undefined, presence: false })) }, f.fetch);
    const got: Record<string, unknown>[] = [];
    socket.onmessage = (e) => got.push(JSON.parse(String(e.data)) as Record<string, unknown>);
    await until(() => socket.readyState === 1, 'open');
    f.latest().write('unsubscribed', { type: 'unsubscribed', channel: 'b', code: 'unsubscribed_by_server', error: 'by the application' });
    await until(() => got.length === 1, 'unsubscribed');
    expect(got[0]).toMatchObject({ type: 'unsubscribed', channel: 'b', code: 'unsubscribed_by_server' });
    socket.send(JSON.stringify({ type: 'subscribe', id: 'r3', channel: 'c' }));
    await until(() => f.streams.length === 2, 'the stream reopened');
    expect(f.latest().url.searchParams.getAll('channel')).toEqual(['a', 'c']);
  });

  it("closes with the server's close event, and with 1006 when the response is cut", async () => {
    const f = fakeSse();
    const closes: string[] = [];
    const a = new SseSocket('ws://h/ws/events', { channels: [{ channel: 'a', position: undefined, presence: false }] }, f.fetch);
    a.onclose = (e) => closes.push(`${e.code} ${e.reason}`);
    await until(() => a.readyState === 1, 'open');
    f.latest().write('close', { type: 'close', code: 4001, reason: 'kicked' });
    const b = new SseSocket('ws://h/ws/events', { channels: [{ channel: 'a', position: undefined, presence: false }] }, f.fetch);
    b.onclose = (e) => closes.push(`${e.code} ${e.reason}`);
    await until(() => b.readyState === 1, 'open');
    f.latest().end();
    await until(() => closes.length === 2, 'two closes');
    expect(closes).toEqual(['4001 kicked', '1006 stream ended']);
  });
});

describe("BroadcastClient with 'sse' in its transports", () => {
  it('falls back to SSE, delivers each publication once across a cut, and rejects publish with receive_only', async () => {
    const f = fakeSse();
    const client = new BroadcastClient({
      url: 'ws://h/ws/events',
      transports: ['websocket', 'sse'],
      createSocket: () => {
        throw new Error('No WebSocket available');
      },
      fetch: f.fetch,
      backoff: { baseMs: 1, capMs: 1, minMs: 1 },
      onlineSource: null,
    });
    const offsets: number[] = [];
    client.on('publication', (p) => offsets.push(p.offset));
    const subscribed = client.subscribe('a');
    client.connect();
    await until(() => f.streams.length === 1 && client.transportName === 'sse', 'the sse stream');
    f.latest().write('welcome', WELCOME);
    f.latest().write('subscribed', { type: 'subscribed', id: 'a', channel: 'a', epoch: 'E', offset: 0 }, 'a=E:0');
    await subscribed;
    f.latest().write('message', pub('a', 1), 'a=E:1');
    f.latest().write('message', pub('a', 2), 'a=E:2');
    await until(() => offsets.length === 2, 'two publications');
    await expect(client.publish('a', 'hi')).rejects.toMatchObject({ code: ClientErrorCode.ReceiveOnly });

    f.latest().end();
    await until(() => f.streams.length === 2, 'the reconnect');
    expect(f.latest().url.searchParams.get('since')).toBe('a=E:2');
    f.latest().write('welcome', WELCOME);
    f.latest().write('subscribed', { type: 'subscribed', id: 'a', channel: 'a', epoch: 'E', offset: 3, recovered: true, missed: 1 }, 'a=E:2');
    f.latest().write('message', pub('a', 2), 'a=E:2'); // a replay overlapping what was seen is dropped
    f.latest().write('message', pub('a', 3), 'a=E:3');
    await until(() => offsets.length === 3, 'the third publication');
    expect(offsets).toEqual([1, 2, 3]);
    expect(client.transportName).toBe('sse');
    client.close();
  });

  it('a publish sent on WebSocket before the drop, and not acked, is connection_lost on SSE (its outcome is unknown)', async () => {
    const f = fakeSse();
    const sockets = new FakeSocketFactory();
    let refuse = false;
    const client = new BroadcastClient({
      url: 'ws://h/ws/events',
      transports: ['websocket', 'sse'],
      createSocket: (url, protocols) => {
        if (refuse) throw new Error('upgrade refused');
        return sockets.create(url, protocols);
      },
      fetch: f.fetch,
      backoff: { baseMs: 1, capMs: 1, minMs: 1 },
      onlineSource: null,
    });
    const subscribed = client.subscribe('a');
    client.connect();
    const ws = sockets.latest;
    ws.serverOpen();
    ws.serverSend(WELCOME);
    ws.serverSend({ type: 'subscribed', id: ws.framesOf('subscribe')[0]?.['id'], channel: 'a', epoch: 'E', offset: 0 });
    await subscribed;
    const sentBefore = client.publish('a', 'maybe');
    const fresh = (async () => {
      await until(() => client.transportName === 'sse' && client.status.state === 'open', 'sse');
      return client.publish('a', 'never');
    })();
    expect(ws.framesOf('publish')).toHaveLength(1);
    refuse = true;
    ws.serverClose(1006);
    await until(() => f.streams.length === 1, 'the sse stream');
    f.latest().write('welcome', WELCOME);
    f.latest().write('subscribed', { type: 'subscribed', id: 'a', channel: 'a', epoch: 'E', offset: 0, recovered: true, missed: 0 }, 'a=E:0');
    await expect(sentBefore).rejects.toMatchObject({ code: ClientErrorCode.ConnectionLost });
    await expect(fresh).rejects.toMatchObject({ code: ClientErrorCode.ReceiveOnly });
    client.close();
  });
});
