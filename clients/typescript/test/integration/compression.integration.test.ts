/**
 * The client with compression enabled on the server (Broadcast:Compression): `ws` offers permessage-deflate,
 * the server accepts it without context takeover, and long publications arrive exactly, both ways.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { BroadcastClient, PublicationEvent } from '../../src/index.js';
import { FAST, connected, nodeClient, until } from './helpers.js';
import { ServerProcess } from './server.js';

const clients: BroadcastClient[] = [];
function make(url: string): BroadcastClient {
  const c = nodeClient(url, FAST);
  clients.push(c);
  c.connect();
  return c;
}

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

describe('with permessage-deflate enabled on the server', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await ServerProcess.start({ Broadcast__Compression__Enabled: 'true' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('negotiates it and long publications arrive exactly, live and from history', async () => {
    const a = make(server.wsUrl);
    const b = make(server.wsUrl);
    await Promise.all([connected(a), connected(b)]);
    for (const c of [a, b]) expect((c.socket as WebSocket).extensions).toBe('permessage-deflate');

    const got: PublicationEvent[] = [];
    b.on('publication', (p) => got.push(p));
    await a.subscribe('deflate');
    await b.subscribe('deflate');

    // Longer than ws's own threshold (1 KiB), so the client compresses too; the server compresses its frames past 256 bytes.
    const long = 'é and the same words again, '.repeat(100);
    await a.publish('deflate', long);
    await a.publish('deflate', 'short');
    await until(() => got.length === 2, 10_000, 'deliveries');
    expect(got.map((p) => p.message)).toEqual([long, 'short']);

    const history = await b.history('deflate', 0, 10);
    expect(history.publications.map((p) => p.message)).toEqual([long, 'short']);
  });
});
