/**
 * Tokens against the real server: connecting with one, refreshing it (`authenticate`), presence users and
 * subscriptions the server ends when a refreshed token no longer allows them.
 */
import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BroadcastClient, PresenceEvent, PublicationEvent, SubscriptionEndedEvent } from '../../src/index.js';
import { BroadcastError } from '../../src/index.js';
import { FAST, connected, nodeClient, terminate, until } from './helpers.js';
import { ServerProcess } from './server.js';

const SECRET = 'a-typescript-test-secret-of-more-than-32-bytes';

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function token(sub: string, subscribe: string[], publish: string[], lifetimeSeconds = 3600): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ sub, exp: Math.floor(Date.now() / 1000) + lifetimeSeconds, subscribe, publish }));
  const signature = createHmac('sha256', SECRET).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

const clients: BroadcastClient[] = [];
function make(url: string, name: string, accessToken: string): BroadcastClient {
  const c = nodeClient(url, { ...FAST, name, token: accessToken });
  clients.push(c);
  c.connect();
  return c;
}

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

describe('tokens', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    // Only tokens open channels here: anonymous clients may do nothing.
    server = await ServerProcess.start({
      Broadcast__Auth__HmacSecret: SECRET,
      Broadcast__Auth__AnonymousSubscribe: '',
      Broadcast__Auth__AnonymousPublish: '',
      Broadcast__Auth__ClockSkew: '00:00:00',
      Broadcast__Auth__ExpiryGrace: '00:00:00',
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('authenticate() refreshes the token; a channel it no longer allows ends with subscriptionEnded; presence shows users', async () => {
    const bo = make(server.wsUrl, 'bo', token('bob', ['*'], ['*']));
    const joins: PresenceEvent[] = [];
    bo.on('join', (e) => joins.push(e));
    await bo.subscribe('auth:a', { presence: true });

    const ana = make(server.wsUrl, 'ana', token('alice', ['auth:a', 'auth:b'], []));
    const got: PublicationEvent[] = [];
    const ended: SubscriptionEndedEvent[] = [];
    ana.on('publication', (p) => got.push(p));
    ana.on('subscriptionEnded', (e) => ended.push(e));
    await ana.subscribe('auth:a');
    await ana.subscribe('auth:b');

    await until(() => joins.length === 1, 5000, 'join event');
    expect(joins[0]).toMatchObject({ channel: 'auth:a', name: 'ana', user: 'alice' });
    const presence = await bo.presence('auth:a');
    expect(presence.members.map((m) => [m.name, m.user]).sort()).toEqual([
      ['ana', 'alice'],
      ['bo', 'bob'],
    ]);

    const result = await ana.authenticate(token('alice', ['auth:a'], [], 7200));
    expect(result.user).toBe('alice');
    expect(Date.parse(result.expires ?? '')).toBeGreaterThan(Date.now() + 7000_000);
    // The notice came before the reply: the subscription is already gone.
    expect(ended).toEqual([{ channel: 'auth:b', code: 'forbidden', reason: expect.any(String) }]);
    expect(ana.channels).toEqual(['auth:a']);

    await bo.publish('auth:b', 'must not arrive');
    await bo.publish('auth:a', 'allowed');
    await until(() => got.length === 1, 5000, 'delivery');
    expect(got.map((p) => [p.channel, p.message])).toEqual([['auth:a', 'allowed']]);

    await expect(ana.authenticate(token('mallory', ['*'], ['*']))).rejects.toMatchObject({ code: 'user_mismatch' });
    const invalid = await ana.authenticate('not-a-token').catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(BroadcastError);
    expect((invalid as BroadcastError).code).toBe('token_invalid');
  });

  it('reconnects present the token authenticate() had accepted', async () => {
    const bo = make(server.wsUrl, 'bo', token('bob', ['*'], ['*']));
    // Long enough for the connection, the subscribe and the refresh below on a loaded machine (with 2 s, whose
    // whole seconds leave as little as 1, the first connection was now and then refused as expired).
    const first = token('alice', ['auth:r'], [], 6);
    const firstExpires = (JSON.parse(Buffer.from(first.split('.')[1] ?? '', 'base64url').toString()) as { exp: number }).exp * 1000;
    const ana = make(server.wsUrl, 'ana', first);
    const got: string[] = [];
    ana.on('publication', (p) => got.push(p.message));
    await ana.subscribe('auth:r');
    await ana.authenticate(token('alice', ['auth:r'], []));

    // Once the first token has expired, a reconnect with it would get 401: the client must use the fresh one.
    await until(() => Date.now() > firstExpires + 250, 15_000, 'the first token to expire');
    let welcomes = 0;
    ana.on('connected', () => (welcomes += 1));
    expect(terminate(ana)).toBe(true);
    await until(() => welcomes === 1, 15_000, 'reconnect');
    await connected(ana);
    await bo.publish('auth:r', 'after the reconnect');
    await until(() => got.length === 1, 5000, 'delivery after the reconnect');
    expect(got).toEqual(['after the reconnect']);
  });
});
