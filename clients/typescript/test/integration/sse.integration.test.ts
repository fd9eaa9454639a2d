/**
 * The soak check over Server-Sent Events (receive-only): WebSocket publishers publish sequenced messages on
 * several channels while EventStreamReaders, subscribed to all of them, are cut at random and reconnect
 * with Last-Event-ID as a browser's EventSource would. Afterwards every reader has every offset of every
 * channel exactly once, in order, across all its reconnects; none was ever told `recovered: false`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStreamReader } from '../../src/index.js';
import { FAST, connected, nodeClient, seeded, until } from './helpers.js';
import { ServerProcess } from './server.js';

const CHANNELS = ['sse-a', 'sse-b', 'sse-c'];
const READERS = 6;
const PUBLISHERS = 3;
const TARGET_CUTS = Number(process.env['SOAK_CYCLES'] ?? 120);
const MAX_CHURN_MS = Number(process.env['SOAK_MAX_MS'] ?? 30_000);
const SEED = Number(process.env['SOAK_SEED'] ?? Date.now() % 1_000_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('soak over SSE', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await ServerProcess.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('readers cut at random resume by Last-Event-ID and receive every offset exactly once, in order', { timeout: 120_000 }, async () => {
    const rng = seeded(SEED);
    const failures: string[] = [];
    const readers = Array.from({ length: READERS }, (_, id) => {
      const reader = new EventStreamReader({ url: server.wsUrl, channels: CHANNELS, backoff: FAST.backoff, random: seeded(SEED + id + 1) });
      const received = new Map<string, number[]>(CHANNELS.map((c) => [c, []]));
      let opens = 0;
      reader.on('open', () => (opens += 1));
      reader.on('publication', (p) => received.get(p.channel)?.push(p.offset));
      reader.on('subscribed', (s) => {
        if (s.recovered === false) failures.push(`reader ${id}: ${s.channel} not recovered`);
      });
      reader.on('unrecovered', (u) => failures.push(`reader ${id}: unrecovered on ${u.channel}`));
      reader.on('event', (e) => {
        if (e.name === 'broadcast-error') failures.push(`reader ${id}: ${JSON.stringify(e.data)}`);
      });
      reader.start();
      return { id, reader, received, opens: () => opens };
    });
    await until(() => readers.every((r) => r.opens() >= 1), 15_000, 'every reader to open');
    // Each reader's subscriptions are live once its subscribed events came with ids (positions) for all channels.
    await until(() => readers.every((r) => CHANNELS.every((c) => r.reader.lastEventId?.includes(`${c}=`) ?? false)), 15_000, 'every reader to subscribe');

    const publishers = Array.from({ length: PUBLISHERS }, (_, id) => nodeClient(server.wsUrl, { ...FAST, name: `sse-pub-${id}`, random: seeded(SEED + 100 + id) }));
    for (const p of publishers) p.connect();
    await Promise.all(publishers.map((p) => connected(p)));
    const acked = new Map<string, number>(CHANNELS.map((c) => [c, 0]));
    let publishing = true;
    const publishing$ = publishers.map(async (client, id) => {
      let seq = 0;
      while (publishing) {
        const channel = CHANNELS[Math.floor(rng() * CHANNELS.length)] ?? 'sse-a';
        try {
          const ack = await client.publish(channel, `${id}:${++seq}`);
          acked.set(channel, Math.max(acked.get(channel) ?? 0, ack.offset));
        } catch (error) {
          failures.push(`publisher ${id}: ${String(error)}`);
        }
        await sleep(2 + rng() * 6);
      }
    });

    const started = Date.now();
    let cuts = 0;
    while (cuts < TARGET_CUTS && Date.now() - started < MAX_CHURN_MS) {
      await sleep(20 + rng() * 60);
      const r = readers[Math.floor(rng() * readers.length)];
      if (r?.reader.terminate()) cuts += 1;
    }
    publishing = false;
    await Promise.all(publishing$);

    // A last publication on each channel, awaited instead of a pause: each channel arrives in order, so a
    // duplicate of anything earlier would have come before it.
    const closer = publishers[0];
    if (closer === undefined) throw new Error('no publisher');
    for (const channel of CHANNELS) {
      const ack = await closer.publish(channel, 'last');
      acked.set(channel, ack.offset);
    }
    const ended = (r: (typeof readers)[number]) => CHANNELS.every((c) => r.received.get(c)?.at(-1) === acked.get(c));
    await until(() => readers.every(ended), 30_000, 'readers to catch up to the last publications');

    expect(failures).toEqual([]);
    let deliveries = 0;
    for (const r of readers) {
      for (const channel of CHANNELS) {
        const offsets = r.received.get(channel) ?? [];
        deliveries += offsets.length;
        const n = acked.get(channel) ?? 0;
        expect(offsets.length, `reader ${r.id} ${channel}: received`).toBe(n);
        expect(offsets.every((o, i) => o === i + 1), `reader ${r.id} ${channel}: offsets 1..${n} in order, once each`).toBe(true);
      }
    }
    expect(cuts).toBeGreaterThanOrEqual(40);
    const reopens = readers.reduce((a, r) => a + r.opens(), 0) - READERS;
    expect(reopens).toBeGreaterThanOrEqual(cuts);
    console.log(`sse soak: cuts=${cuts} reopens=${reopens} publications=${[...acked.values()].reduce((a, b) => a + b, 0)} deliveries=${deliveries} seed=${SEED}`);
    for (const r of readers) r.reader.stop();
    for (const p of publishers) p.close();
  });
});
