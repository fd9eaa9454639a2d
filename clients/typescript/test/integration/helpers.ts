import WebSocket from 'ws';
import { BroadcastClient, HttpStreamSocket, SseSocket, type ClientOptions } from '../../src/index.js';

/** A client on the real server, with `ws` as the WebSocket (Node 20 has none built in). */
export function nodeClient(url: string, options: Partial<ClientOptions> = {}): BroadcastClient {
  return new BroadcastClient({ url, WebSocket, onlineSource: null, ...options });
}

/** Drops the connection abruptly (no close frame), like a network failure. */
export function terminate(client: BroadcastClient): boolean {
  if (client.socket instanceof HttpStreamSocket || client.socket instanceof SseSocket) {
    if (client.socket.readyState !== WebSocket.OPEN) return false;
    client.socket.terminate();
    return true;
  }
  const socket = client.socket as WebSocket | undefined;
  if (!socket || socket.readyState !== WebSocket.OPEN) return false;
  socket.terminate();
  return true;
}

/** Resolves once `predicate` holds, polling; rejects with `message` after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 10_000, message = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${message}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function connected(client: BroadcastClient): Promise<void> {
  return until(() => client.status.state === 'open', 15_000, 'connection');
}

/** Small seeded PRNG (mulberry32) so a failing soak run can be repeated with SOAK_SEED. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fast reconnects for tests: backoff still applies, just with small windows. */
export const FAST = {
  backoff: { baseMs: 40, capMs: 400, minMs: 10 },
  stableAfterMs: 300,
} as const;
