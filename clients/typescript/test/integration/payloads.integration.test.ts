/**
 * Structured and binary payloads against the real server: a JSON client and a MessagePack client on one channel.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { BroadcastClient, ClientOptions, PublicationEvent } from '../../src/index.js';
import { FAST, connected, nodeClient, until } from './helpers.js';
import { ServerProcess } from './server.js';

const clients: BroadcastClient[] = [];
function make(url: string, options: Partial<ClientOptions> = {}): BroadcastClient {
  const c = nodeClient(url, { ...FAST, ...options });
  clients.push(c);
  c.connect();
  return c;
}

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

interface Order {
  readonly id: number;
  readonly items: readonly string[];
  readonly paid: boolean;
  readonly note: string | null;
}

describe('payloads against the real server', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await ServerProcess.start({});
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a JSON and a MessagePack client exchange messages, typed data and bytes, each getting every publication in order', async () => {
    const json = make(server.wsUrl);
    const pack = make(server.wsUrl, { encoding: 'msgpack' });
    await connected(json);
    await connected(pack);
    expect((pack.socket as WebSocket).protocol).toBe('broadcast.v2.msgpack');

    const seenByJson: unknown[] = [];
    const seenByPack: unknown[] = [];
    const kinds: PublicationEvent['payload'][] = [];
    await json.subscribe<unknown>('it-payloads', { onPublication: (value, event) => (seenByJson.push(value), kinds.push(event.payload)) });
    await pack.subscribe<unknown>('it-payloads', { onPublication: (value) => seenByPack.push(value) });

    const order: Order = { id: 7, items: ['tea', 'scone'], paid: false, note: null };
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const sent = [
      await json.publish<Order>('it-payloads', order),
      await pack.publish<Order>('it-payloads', { ...order, id: 8, paid: true }),
      await json.publish('it-payloads', bytes),
      await pack.publish('it-payloads', bytes),
      await pack.publish('it-payloads', 'plain text'),
    ];
    expect(sent.map((r) => r.offset)).toEqual([1, 2, 3, 4, 5]);

    // Each sees the others' publications (never its own), in order, in its own encoding.
    await until(() => seenByJson.length === 3 && seenByPack.length === 2, 10_000, 'publications');
    expect(seenByJson).toEqual([{ ...order, id: 8, paid: true }, bytes, 'plain text']);
    expect(kinds).toEqual(['data', 'bytes', 'message']);
    expect(seenByPack).toEqual([order, bytes]);

    const history = await pack.history('it-payloads', 0, 10);
    expect(history.publications.map((p) => p.payload)).toEqual(['data', 'data', 'bytes', 'bytes', 'message']);
    expect(history.publications[2]?.bytes).toEqual(bytes);
  });
});
