/**
 * Soak: every client publishes sequenced messages continuously on several
 * channels and is subscribed to all of them, while clients are dropped
 * abruptly (ws.terminate(), no close frame) at random moments and resume.
 *
 * Afterwards, for every client and channel: the offsets it received plus the
 * offsets of its own acknowledged publications are exactly 1..N, each once,
 * received in increasing order, and never one of its own; every publish was
 * acknowledged and is at exactly one offset (retries with the same id did not
 * publish twice); every client saw the same message at the same offset.
 *
 * Bounded: the churn phase stops after SOAK_CYCLES drops (default 240) or
 * SOAK_MAX_MS (default 60 s), whichever comes first; the whole test has a 2-minute timeout.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { FAST, nodeClient, seeded, terminate } from './helpers.js';
import { ServerProcess } from './server.js';
import { channelsOf, runSoak } from './soakRun.js';

const CLIENTS = 8;
const TARGET_CYCLES = Number(process.env['SOAK_CYCLES'] ?? 240);
const MAX_CHURN_MS = Number(process.env['SOAK_MAX_MS'] ?? 60_000);
const SEED = Number(process.env['SOAK_SEED'] ?? Date.now() % 1_000_000);

describe('soak: publish while subscribers drop and resume', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await ServerProcess.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it(`${CLIENTS} clients × ${channelsOf('soak').length} channels, ≥ 200 abrupt disconnect/resume cycles`, { timeout: 120_000 }, async () => {
    const { peers } = await runSoak({
      clients: CLIENTS,
      seed: SEED,
      targetCycles: TARGET_CYCLES,
      minCycles: 200,
      maxChurnMs: MAX_CHURN_MS,
      makeClient: (id) => nodeClient(server.wsUrl, { ...FAST, name: `soak-${id}`, random: seeded(SEED + id + 1), publishTimeoutMs: 60_000 }),
      terminate,
    });
    for (const client of peers) client.close();
  });
});
