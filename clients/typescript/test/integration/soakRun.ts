/**
 * The soak check shared by the transports' soak tests (see soak.integration.test.ts for what it checks):
 * clients publish and subscribe while they are dropped at random and resume; afterwards every client's
 * received offsets plus its own acked ones are exactly 1..N per channel, in order, never its own.
 */
import { expect } from 'vitest';
import type { BroadcastClient } from '../../src/index.js';
import { connected, seeded, until } from './helpers.js';

/** The channels of a run: fresh ones per run (`prefix`), since the check counts offsets from 1. */
export const channelsOf = (prefix: string): string[] => ['a', 'b', 'c', 'd'].map((x) => `${prefix}-${x}`);
/** Publishes a client may have in flight (unacknowledged) at once. */
const IN_FLIGHT = 4;

export interface SoakOptions {
  readonly clients: number;
  readonly seed: number;
  readonly targetCycles: number;
  readonly minCycles: number;
  readonly maxChurnMs: number;
  /** Names this run's channels (default `soak`). */
  readonly channelPrefix?: string;
  /** A client of the run (not connected yet); id `clients` is the one that publishes the last publications. */
  makeClient(id: number): BroadcastClient;
  /** Drops a client's connection abruptly; false if it had none open. */
  terminate(client: BroadcastClient): boolean;
  /** Called once when half the churn is done (e.g. to make WebSocket unavailable). */
  midway?(peers: readonly BroadcastClient[]): void;
}

interface Peer {
  readonly id: number;
  readonly client: BroadcastClient;
  /** channel → offsets received, in delivery order */
  readonly received: Map<string, number[]>;
  /** channel → offset → message, as received */
  readonly seen: Map<string, Map<number, string>>;
  /** channel → offsets of own acknowledged publications */
  readonly own: Map<string, number[]>;
  inFlight: number;
  welcomes: number;
  published: number;
  duplicates: number;
  drops: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSoak(options: SoakOptions): Promise<{ cycles: number; peers: readonly BroadcastClient[] }> {
    const CLIENTS = options.clients;
    const SEED = options.seed;
    const TARGET_CYCLES = options.targetCycles;
    const MAX_CHURN_MS = options.maxChurnMs;
    const CHANNELS = channelsOf(options.channelPrefix ?? 'soak');
    const rng = seeded(SEED);
    const started = Date.now();
    const peers: Peer[] = [];
    const failures: string[] = [];
    let midwayDone = options.midway === undefined;

    for (let id = 0; id < CLIENTS; id++) {
      const client = options.makeClient(id);

      const peer: Peer = {
        id,
        client,
        received: new Map(CHANNELS.map((c) => [c, []])),
        seen: new Map(CHANNELS.map((c) => [c, new Map()])),
        own: new Map(CHANNELS.map((c) => [c, []])),
        inFlight: 0,
        welcomes: 0,
        published: 0,
        duplicates: 0,
        drops: 0,
      };
      client.on('publication', (p) => {
        peer.received.get(p.channel)?.push(p.offset);
        peer.seen.get(p.channel)?.set(p.offset, p.message);
      });
      client.on('connected', () => (peer.welcomes += 1));
      client.on('unrecovered', (u) => failures.push(`client ${id}: unrecovered on ${u.channel}`));
      client.on('subscriptionError', (e) => failures.push(`client ${id}: subscription error ${e.code}`));
      client.on('error', (e) => failures.push(`client ${id}: error ${e.code} ${e.message}`));
      client.connect();
      peers.push(peer);
    }
    await Promise.all(peers.map((p) => connected(p.client)));
    await Promise.all(peers.flatMap((p) => CHANNELS.map((c) => p.client.subscribe(c))));

    // Publishers: each client keeps publishing sequenced messages to random channels.
    let publishing = true;
    const publishers = peers.map(async (peer) => {
      const pending: Promise<void>[] = [];
      let seq = 0;
      while (publishing) {
        if (peer.inFlight >= IN_FLIGHT) {
          await sleep(2);
          continue;
        }
        const channel = CHANNELS[Math.floor(rng() * CHANNELS.length)] ?? 'soak-a';
        const message = `${peer.id}:${++seq}`;
        peer.inFlight += 1;
        peer.published += 1;
        pending.push(
          peer.client.publish(channel, message).then(
            (ack) => {
              peer.inFlight -= 1;
              if (ack.duplicate) peer.duplicates += 1;
              peer.own.get(channel)?.push(ack.offset);
              peer.seen.get(channel)?.set(ack.offset, message);
            },
            (error: unknown) => {
              peer.inFlight -= 1;
              failures.push(`client ${peer.id}: publish ${message} failed: ${String(error)}`);
            },
          ),
        );
        await sleep(3 + rng() * 12);
      }
      await Promise.all(pending);
    });

    // Churn: drop a random connected client every few milliseconds.
    let cycles = 0;
    while (cycles < TARGET_CYCLES && Date.now() - started < MAX_CHURN_MS) {
      await sleep(5 + rng() * 40);
      const peer = peers[Math.floor(rng() * peers.length)];
      if (!midwayDone && (cycles >= TARGET_CYCLES / 2 || Date.now() - started >= MAX_CHURN_MS / 2)) {
        midwayDone = true;
        options.midway?.(peers.map((p) => p.client));
      }
      if (peer && peer.client.status.state === 'open' && options.terminate(peer.client)) {
        peer.drops += 1;
        cycles += 1;
      }
    }
    const churnMs = Date.now() - started;
    publishing = false;
    await Promise.all(publishers);

    // A last publication on each channel, from a client outside the run so that every peer receives it,
    // awaited instead of a pause: each channel arrives in order, so a duplicate of anything earlier (or
    // anything still missing) would have come before it. Every peer publish has been acked by now.
    const closer = options.makeClient(CLIENTS);
    closer.connect();
    await connected(closer);
    const lastOffset = new Map<string, number>();
    for (const channel of CHANNELS) lastOffset.set(channel, (await closer.publish(channel, 'last')).offset);
    const ended = (p: Peer, channel: string) => p.received.get(channel)?.at(-1) === lastOffset.get(channel);
    await until(() => peers.every((p) => CHANNELS.every((c) => ended(p, c))), 30_000, 'every peer to receive the last publication of every channel').catch((error: unknown) => {
      const behind = peers
        .filter((p) => !CHANNELS.every((c) => ended(p, c)))
        .map((p) => `client ${p.id} (${p.client.transportName}, ${p.client.status.state}, attempt ${p.client.status.attempt}): ${CHANNELS.map((c) => `${c} ${(p.received.get(c)?.length ?? 0) + (p.own.get(c)?.length ?? 0)}/${lastOffset.get(c) ?? 0} last ${p.received.get(c)?.at(-1) ?? '-'}`).join(' ')}`);
      throw new Error(`${String(error)}; behind: ${behind.join('; ')}; failures: ${failures.slice(0, 5).join('; ')}`);
    });
    closer.close();

    // ---- verification ------------------------------------------------------
    expect(failures).toEqual([]);
    let deliveries = 0;
    for (const channel of CHANNELS) {
      const n = lastOffset.get(channel) ?? 0;
      const history = await peers[0]!.client.history(channel, 0, 1);
      expect(history.offset, `${channel}: server's latest offset`).toBe(n);

      // Every publication is at exactly one offset: retries did not publish twice.
      const messageAt = new Map<number, string>();
      for (const p of peers) {
        for (const [offset, message] of p.seen.get(channel) ?? []) {
          const known = messageAt.get(offset);
          if (known !== undefined) expect(message, `${channel}@${offset} differs between clients`).toBe(known);
          messageAt.set(offset, message);
        }
      }
      expect(messageAt.size, `${channel}: offsets with a message`).toBe(n);
      expect(new Set(messageAt.values()).size, `${channel}: a message appears at two offsets`).toBe(n);

      for (const p of peers) {
        const received = p.received.get(channel) ?? [];
        const own = p.own.get(channel) ?? [];
        deliveries += received.length;
        for (let i = 1; i < received.length; i++) {
          if (received[i]! <= received[i - 1]!) {
            throw new Error(`client ${p.id} ${channel}: offset ${received[i]} after ${received[i - 1]} (duplicate or out of order)`);
          }
        }
        const ownSet = new Set(own);
        const echoed = received.filter((o) => ownSet.has(o));
        expect(echoed, `client ${p.id} ${channel}: received its own publications`).toEqual([]);
        const all = [...received, ...own].sort((x, y) => x - y);
        expect(all.length, `client ${p.id} ${channel}: received + own`).toBe(n);
        expect(all.every((o, i) => o === i + 1), `client ${p.id} ${channel}: received ∪ own = 1..${n}`).toBe(true);
      }
    }

    const publications = [...lastOffset.values()].reduce((a, b) => a + b, 0);
    const published = peers.reduce((a, p) => a + p.published, 0);
    const duplicates = peers.reduce((a, p) => a + p.duplicates, 0);
    // The closer's last publications are the only ones no peer made.
    expect(published + CHANNELS.length).toBe(publications);
    expect(cycles).toBeGreaterThanOrEqual(options.minCycles);
    // Every drop was followed by a new welcome (a resumed connection), besides the first connections.
    const resumes = peers.reduce((a, p) => a + p.welcomes, 0) - CLIENTS;
    expect(resumes).toBeGreaterThanOrEqual(cycles);
    const stats = peers.map((p) => p.client.stats);
    const sum = (k: 'duplicatesDropped' | 'ownDropped' | 'publishRetries') => stats.reduce((a, s) => a + s[k], 0);
    // The client's safety nets should never have had to act: the server sends no duplicates and no own publications.
    expect(sum('ownDropped'), 'own publications sent by the server').toBe(0);
    expect(sum('duplicatesDropped'), 'duplicate offsets sent by the server').toBe(0);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `soak: cycles=${cycles} resumes=${resumes} publications=${publications} deliveries=${deliveries} publish-retries=${sum('publishRetries')} acked-as-duplicate=${duplicates} ` +
        `clients=${CLIENTS} channels=${CHANNELS.length} churn=${(churnMs / 1000).toFixed(1)}s total=${seconds}s seed=${SEED}`,
    );
    return { cycles, peers: peers.map((p) => p.client) };
}
