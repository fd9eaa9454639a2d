import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BroadcastClient, type PublicationEvent, type SubscribedInfo, type UnrecoveredEvent } from './client.js';
import { ClientErrorCode } from './codes.js';
import { BroadcastError } from './errors.js';
import { FakeSocketFactory, type FakeWebSocket } from './testing/index.js';

/** What the application's backend adds to the protocol: rpc, and the subscriptions the server makes by itself. */
let factory: FakeSocketFactory;
let client: BroadcastClient;

function start(): FakeWebSocket {
  client = new BroadcastClient({ url: 'ws://test/ws/events', createSocket: factory.create, random: () => 0.5, onlineSource: null });
  client.connect();
  return welcome();
}

function welcome(ws = factory.latest): FakeWebSocket {
  ws.serverOpen();
  ws.serverSend({ type: 'welcome', session: 'session-1', resumed: false, protocol: 2, node: 'n', limits: { maxMessageBytes: 65536, maxChannels: 64 } });
  return ws;
}

function reconnect(ws: FakeWebSocket): FakeWebSocket {
  ws.serverClose(1006);
  vi.advanceTimersByTime(client.status.retryDelayMs ?? 0);
  return welcome();
}

const pub = (ws: FakeWebSocket, channel: string, offset: number) =>
  ws.serverSend({ type: 'pub', channel, epoch: 'E1', offset, origin: 'other', message: `m${offset}` });

beforeEach(() => {
  vi.useFakeTimers();
  factory = new FakeSocketFactory();
});

afterEach(() => {
  client?.close();
  vi.useRealTimers();
});

describe('rpc', () => {
  it('sends the method and data and resolves with the answer data', async () => {
    const ws = start();
    const answer = client.rpc<{ orders: number[] }>('orders.list', { page: 2 });
    const request = ws.framesOf('rpc').at(-1)!;
    expect(request).toMatchObject({ type: 'rpc', method: 'orders.list', data: { page: 2 } });
    ws.serverSend({ type: 'rpc', id: request['id'], data: { orders: [1, 2] } });
    await expect(answer).resolves.toEqual({ orders: [1, 2] });
  });

  it('rejects with the backend code, and with connection_lost (not sent again) when the connection drops first', async () => {
    const ws = start();
    const refused = client.rpc('orders.cancel');
    ws.serverSend({ type: 'error', id: ws.framesOf('rpc').at(-1)!['id'], code: 'not_yours', error: 'Not your order' });
    await expect(refused).rejects.toMatchObject({ code: 'not_yours', message: 'Not your order' });

    const lost = client.rpc('orders.cancel', { id: 7 });
    const next = reconnect(ws);
    await expect(lost).rejects.toMatchObject({ code: ClientErrorCode.ConnectionLost });
    expect(next.framesOf('rpc')).toEqual([]);
  });

  it('waits for the connection when made while disconnected, and checks the method before sending', async () => {
    client = new BroadcastClient({ url: 'ws://test/ws/events', createSocket: factory.create, random: () => 0.5, onlineSource: null });
    const early = client.rpc('time');
    client.connect();
    const ws = welcome();
    const request = ws.framesOf('rpc').at(-1)!;
    expect(request['method']).toBe('time');
    expect('data' in request).toBe(false);
    ws.serverSend({ type: 'rpc', id: request['id'] });
    await expect(early).resolves.toBeNull();
    await expect(client.rpc('no spaces')).rejects.toBeInstanceOf(BroadcastError);
  });
});

describe('subscriptions the server makes', () => {
  it('surface as subscribed (server: true) and deliver their publications', () => {
    const ws = start();
    const subscribed: SubscribedInfo[] = [];
    const got: PublicationEvent[] = [];
    client.on('subscribed', (s) => subscribed.push(s));
    client.on('publication', (p) => got.push(p));
    ws.serverSend({ type: 'subscribed', channel: '@user:alice', epoch: 'E1', offset: 3 });
    pub(ws, '@user:alice', 4);
    expect(subscribed).toEqual([{ channel: '@user:alice', epoch: 'E1', offset: 3, recovered: false, missed: 0, resumed: false, server: true }]);
    expect(got.map((p) => p.message)).toEqual(['m4']);
    expect(client.isSubscribed('@user:alice')).toBe(true);
    expect(ws.framesOf('subscribe')).toEqual([]);
  });

  it('after a reconnect are not subscribed by the client, but resumed from the last position when the server starts past it', () => {
    let ws = start();
    const got: number[] = [];
    const unrecovered: UnrecoveredEvent[] = [];
    client.on('publication', (p) => got.push(p.offset));
    client.on('unrecovered', (u) => unrecovered.push(u));
    ws.serverSend({ type: 'subscribed', channel: 'news', epoch: 'E1', offset: 3 });
    pub(ws, 'news', 4);
    ws = reconnect(ws);
    expect(ws.framesOf('subscribe')).toEqual([]);

    // The server's fresh subscription starts at 6: 5 and 6 were missed. The client resumes from 4.
    ws.serverSend({ type: 'subscribed', channel: 'news', epoch: 'E1', offset: 6 });
    const resume = ws.framesOf('subscribe').at(-1)!;
    expect(resume).toMatchObject({ channel: 'news', since: { epoch: 'E1', offset: 4 } });
    pub(ws, 'news', 7); // live on the fresh one before the resume's reply: comes again in the replay
    ws.serverSend({ type: 'subscribed', id: resume['id'], channel: 'news', epoch: 'E1', offset: 7, recovered: true, missed: 3 });
    for (const offset of [5, 6, 7]) pub(ws, 'news', offset);
    pub(ws, 'news', 8);
    expect(got).toEqual([4, 5, 6, 7, 8]);
    expect(unrecovered).toEqual([]);
  });

  it('with no gap after a reconnect are simply confirmed again', () => {
    let ws = start();
    ws.serverSend({ type: 'subscribed', channel: 'news', epoch: 'E1', offset: 3 });
    ws = reconnect(ws);
    ws.serverSend({ type: 'subscribed', channel: 'news', epoch: 'E1', offset: 3 });
    expect(ws.framesOf('subscribe')).toEqual([]);
    expect(client.position('news')).toEqual({ epoch: 'E1', offset: 3 });
  });
});
