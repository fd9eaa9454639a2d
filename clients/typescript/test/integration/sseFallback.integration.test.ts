/**
 * The 'sse' end of the transport list on the real server: a receive-only client starts on WebSocket; midway
 * upgrades start to be refused and HTTP streaming is unavailable (a fetch that refuses /stream, as a proxy
 * that buffers it would), so the client falls back to SSE by itself, subscribes to one more channel there
 * (the stream is reopened) and is cut once more. Another client publishes all along: the receiver gets
 * every offset of every channel exactly once, in order, and publishing from it fails with receive_only.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientErrorCode, SseSocket, type FetchLike, type TransportName } from '../../src/index.js';
import { FAST, connected, nodeClient, terminate, until } from './helpers.js';
import { ServerProcess } from './server.js';

const PER_PHASE = 40;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("fallback to 'sse'", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await ServerProcess.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('loses and doubles nothing from WebSocket to SSE, across a new subscription and a cut on SSE', { timeout: 120_000 }, async () => {
    let upgradesRefused = false;
    const createSocket = (url: string, protocols: readonly string[]) =>
      new WebSocket(upgradesRefused ? url.replace('/ws/events', '/ws/refused') : url, [...protocols]) as never;
    const streamRequests: string[] = [];
    const fetch: FetchLike = (input, init) => {
      if (new URL(input).pathname.startsWith('/stream')) {
        streamRequests.push(input);
        return Promise.reject(new TypeError('fetch failed'));
      }
      return globalThis.fetch(input, init);
    };
    const receiver = nodeClient(server.wsUrl, { ...FAST, createSocket, fetch, transports: ['websocket', 'http-stream', 'sse'], name: 'reader' });
    const transports: TransportName[] = [];
    receiver.on('transport', (t) => transports.push(t));
    const received = new Map<string, number[]>([['chain-a', []], ['chain-b', []]]);
    receiver.on('publication', (p) => received.get(p.channel)?.push(p.offset));
    const lost: string[] = [];
    receiver.on('unrecovered', (u) => lost.push(u.channel));
    const subscribed = receiver.subscribe('chain-a');
    receiver.connect();
    await subscribed;

    const publisher = nodeClient(server.wsUrl, { ...FAST, name: 'writer' });
    publisher.connect();
    await connected(publisher);
    const acked = new Map<string, number>([['chain-a', 0], ['chain-b', 0]]);
    const publish = async (channel: string, count: number) => {
      for (let i = 0; i < count; i++) {
        const ack = await publisher.publish(channel, `${channel}:${i}`);
        acked.set(channel, ack.offset);
        await sleep(3);
      }
    };

    // On WebSocket, then cut while publishing goes on: the upgrade is refused, /stream too, SSE it is.
    await publish('chain-a', PER_PHASE);
    upgradesRefused = true;
    const publishing = publish('chain-a', PER_PHASE);
    expect(terminate(receiver)).toBe(true);
    await until(() => receiver.status.state === 'open' && receiver.transportName === 'sse', 30_000, 'the fallback to sse');
    await publishing;
    expect(streamRequests.length).toBeGreaterThan(0);
    expect(receiver.socket).toBeInstanceOf(SseSocket);

    // A new channel while on SSE (the stream reopens) as chain-a keeps being published.
    const more = publish('chain-a', PER_PHASE);
    await receiver.subscribe('chain-b');
    await Promise.all([more, publish('chain-b', PER_PHASE)]);

    // A cut on SSE: the client reconnects on SSE and resumes both channels.
    const last = Promise.all([publish('chain-a', PER_PHASE), publish('chain-b', PER_PHASE)]);
    await until(() => terminate(receiver), 10_000, 'an open sse stream to cut');
    await last;

    await expect(receiver.publish('chain-a', 'from a reader')).rejects.toMatchObject({ code: ClientErrorCode.ReceiveOnly });
    // A last publication on each channel, awaited instead of a pause: each channel arrives in order, so a
    // duplicate of anything earlier would have come before it.
    await Promise.all([publish('chain-a', 1), publish('chain-b', 1)]);
    const ended = () => [...acked].every(([c, n]) => received.get(c)?.at(-1) === n);
    await until(ended, 30_000, 'the receiver to catch up to the last publications');

    expect(lost).toEqual([]);
    const a = received.get('chain-a') ?? [];
    expect(a).toEqual(Array.from({ length: acked.get('chain-a') ?? 0 }, (_, i) => i + 1));
    // chain-b was subscribed fresh before anything was published on it: all of it, once, in order.
    const b = received.get('chain-b') ?? [];
    expect(b).toEqual(Array.from({ length: acked.get('chain-b') ?? 0 }, (_, i) => i + 1));
    expect(transports[0]).toBe('websocket');
    expect(transports.at(-1)).toBe('sse');
    expect(transports.filter((t) => t === 'sse').length).toBeGreaterThanOrEqual(2);
    receiver.close();
    publisher.close();
  });
});
