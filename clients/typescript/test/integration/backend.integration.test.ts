/**
 * The application's backend against the real server: `rpc()` answered by a real HTTP backend on loopback (the
 * server's RPC proxy), and the subscriptions the server makes by itself (a token's `channels` claim, the user
 * channel) delivering their publications, resumed without loss after a reconnect.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BroadcastClient, PublicationEvent, SubscribedInfo } from '../../src/index.js';
import { ClientErrorCode } from '../../src/index.js';
import { FAST, connected, nodeClient, terminate, until } from './helpers.js';
import { ServerProcess } from './server.js';

const SECRET = 'a-typescript-backend-secret-of-more-than-32-bytes';
const API_KEY = 'typescript-backend-api-key-0123';

function token(sub: string, channels: string[]): string {
  const b64 = (data: string) => Buffer.from(data).toString('base64url');
  const header = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64(JSON.stringify({ sub, exp: Math.floor(Date.now() / 1000) + 3600, channels, subscribe: [], publish: [] }));
  return `${header}.${payload}.${createHmac('sha256', SECRET).update(`${header}.${payload}`).digest('base64url')}`;
}

/** The application's backend: answers the RPC proxy as docs/integration.md describes. */
function startBackend(): Promise<Server> {
  const backend = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const call = JSON.parse(body) as { method: string; data: unknown; user: string | null };
    const answer = (json: unknown) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    if (call.method === 'echo') return answer({ result: { data: { echoed: call.data, user: call.user } } });
    return answer({ error: { code: 'unknown_method', message: `No method ${call.method}` } });
  });
  return new Promise((resolve) => backend.listen(0, '127.0.0.1', () => resolve(backend)));
}

async function publishOverHttp(server: ServerProcess, path: string, message: string): Promise<void> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': API_KEY },
    body: JSON.stringify({ message }),
  });
  expect(response.status).toBe(200);
}

const clients: BroadcastClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

describe('the application backend', () => {
  let server: ServerProcess;
  let backend: Server;
  beforeAll(async () => {
    backend = await startBackend();
    server = await ServerProcess.start({
      Broadcast__Auth__HmacSecret: SECRET,
      Broadcast__Auth__UserChannels: 'true',
      Broadcast__Api__Key: API_KEY,
      Broadcast__Proxy__Rpc__Url: `http://127.0.0.1:${(backend.address() as AddressInfo).port}/rpc`,
    });
  });
  afterAll(async () => {
    await server?.stop();
    await new Promise((r) => backend?.close(r));
  });

  it('rpc() resolves with the backend answer, and rejects with its code', async () => {
    const alice = nodeClient(server.wsUrl, { ...FAST, token: token('alice', []) });
    clients.push(alice);
    alice.connect();
    await connected(alice);
    await expect(alice.rpc('echo', { page: 2 })).resolves.toEqual({ echoed: { page: 2 }, user: 'alice' });
    await expect(alice.rpc('nothing')).rejects.toMatchObject({ code: 'unknown_method', message: 'No method nothing' });
    await expect(alice.rpc('bad method')).rejects.toMatchObject({ code: ClientErrorCode.BadRequest });
  });

  it('delivers the publications of server-made subscriptions, and resumes them without loss after a reconnect', async () => {
    const alice = nodeClient(server.wsUrl, { ...FAST, token: token('alice', ['news:ts']) });
    clients.push(alice);
    const made: SubscribedInfo[] = [];
    const got: PublicationEvent[] = [];
    alice.on('subscribed', (s) => made.push(s));
    alice.on('publication', (p) => got.push(p));
    alice.connect();
    await until(() => made.length >= 2, 15_000, 'the two server-made subscriptions');
    expect(made.map((s) => [s.channel, s.server]).sort()).toEqual([
      ['@user:alice', true],
      ['news:ts', true],
    ]);

    await publishOverHttp(server, '/api/users/alice/publish', 'for alice');
    await publishOverHttp(server, '/api/channels/news:ts/publish', 'n1');
    await until(() => got.length >= 2, 15_000, 'two publications');

    // While the connection is down, the server publishes; the client resumes the server's fresh subscription from where it was.
    expect(terminate(alice)).toBe(true);
    await until(() => alice.status.state !== 'open', 15_000, 'the drop');
    await publishOverHttp(server, '/api/channels/news:ts/publish', 'n2');
    await publishOverHttp(server, '/api/channels/news:ts/publish', 'n3');
    await connected(alice);
    await until(() => got.filter((p) => p.channel === 'news:ts').length >= 3, 15_000, 'the missed publications');
    expect(got.filter((p) => p.channel === 'news:ts').map((p) => p.message)).toEqual(['n1', 'n2', 'n3']);
    expect(got.filter((p) => p.channel === '@user:alice').map((p) => p.message)).toEqual(['for alice']);
  });
});
