/**
 * The soak check over HTTP streaming, and across a fallback in the middle of a run: clients start on
 * WebSocket, then upgrades start to be refused (as a proxy that breaks them would) and every WebSocket is
 * dropped; the clients fall back to HTTP streaming by themselves and resume there. Either way every
 * client's received offsets plus its own acked ones are exactly 1..N per channel, in order, never its own.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BroadcastClient, TransportName } from '../../src/index.js';
import { FAST, nodeClient, seeded, terminate } from './helpers.js';
import { ServerProcess } from './server.js';
import { runSoak } from './soakRun.js';

const CLIENTS = 6;
const TARGET_CYCLES = Number(process.env['SOAK_CYCLES'] ?? 120);
const MAX_CHURN_MS = Number(process.env['SOAK_MAX_MS'] ?? 30_000);
const SEED = Number(process.env['SOAK_SEED'] ?? Date.now() % 1_000_000);

describe('soak over HTTP streaming', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await ServerProcess.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('loses and doubles nothing while streams are cut and resume', { timeout: 120_000 }, async () => {
    const transports: TransportName[] = [];
    const { peers } = await runSoak({
      clients: CLIENTS,
      seed: SEED,
      targetCycles: TARGET_CYCLES,
      minCycles: 40,
      maxChurnMs: MAX_CHURN_MS,
      channelPrefix: 'stream',
      makeClient: (id) => {
        const client = nodeClient(server.wsUrl, { ...FAST, transports: ['http-stream'], name: `stream-${id}`, random: seeded(SEED + id + 1) });
        client.on('transport', (t) => transports.push(t));
        return client;
      },
      terminate,
    });
    expect(new Set(transports)).toEqual(new Set(['http-stream']));
    for (const client of peers) client.close();
  });

  it('a fallback from WebSocket to HTTP streaming in the middle of a run loses nothing', { timeout: 120_000 }, async () => {
    // Until midway, real WebSockets; then every upgrade is refused (a path the server answers 404 to).
    let upgradesRefused = false;
    const createSocket = (url: string, protocols: readonly string[]) =>
      new WebSocket(upgradesRefused ? url.replace('/ws/events', '/ws/refused') : url, [...protocols]) as never;
    const { peers } = await runSoak({
      clients: CLIENTS,
      seed: SEED,
      targetCycles: TARGET_CYCLES,
      minCycles: 40,
      maxChurnMs: MAX_CHURN_MS,
      channelPrefix: 'fallback',
      makeClient: (id) =>
        nodeClient(server.wsUrl, { ...FAST, createSocket, transports: ['websocket', 'http-stream'], name: `fallback-${id}`, random: seeded(SEED + id + 1) }),
      terminate,
      midway: (clients: readonly BroadcastClient[]) => {
        expect(clients.every((c) => c.transportName === 'websocket')).toBe(true);
        upgradesRefused = true;
        for (const client of clients) terminate(client);
      },
    });
    expect(peers.map((c) => c.transportName)).toEqual(peers.map(() => 'http-stream'));
    for (const client of peers) client.close();
  });
});
