/**
 * The client against the real server (started per describe block), with `ws` as the WebSocket.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { BroadcastClient, PublicationEvent, RecoveredEvent, ResumedEvent, UnrecoveredEvent } from '../../src/index.js';
import { FAST, connected, nodeClient, terminate, until } from './helpers.js';
import { Relay } from './relay.js';
import { ServerProcess } from './server.js';

const clients: BroadcastClient[] = [];
function make(url: string, name?: string): BroadcastClient {
  const c = nodeClient(url, { ...FAST, ...(name !== undefined ? { name } : {}) });
  clients.push(c);
  c.connect();
  return c;
}

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

describe('against the real server', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    // docs/protocol.md names this `Broadcast:MaxChannelsPerConnection`; the server binds it under Channels.
    server = await ServerProcess.start({ Broadcast__Channels__MaxChannelsPerConnection: '3' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('negotiates broadcast.v2 and gets a session', async () => {
    const a = make(server.wsUrl, 'ana');
    await connected(a);
    expect((a.socket as WebSocket).protocol).toBe('broadcast.v2');
    expect(a.session).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    // Others see the public id, never the token that resumes the session.
    expect(a.publicId).toMatch(/^p_[A-Za-z0-9_-]{22}$/);
    expect(a.publicId).not.toBe(a.session);
    expect(a.serverLimits.maxMessageBytes).toBe(65_536);
  });

  it('publish → ack with offsets; others receive it, the publisher does not; presence and history', async () => {
    const a = make(server.wsUrl, 'ana');
    const b = make(server.wsUrl, 'bo');
    const got: PublicationEvent[] = [];
    const own: PublicationEvent[] = [];
    b.on('publication', (p) => got.push(p));
    a.on('publication', (p) => own.push(p));
    const joins: string[] = [];
    a.on('join', (e) => joins.push(e.name ?? ''));
    await a.subscribe('it-basic', { presence: true });
    await b.subscribe('it-basic');
    await until(() => joins.includes('bo'), 5000, 'join event');

    const first = await a.publish('it-basic', 'hello');
    const second = await a.publish('it-basic', 'world');
    expect(first).toMatchObject({ channel: 'it-basic', offset: 1, duplicate: false });
    expect(second.offset).toBe(2);
    expect(second.epoch).toBe(first.epoch);
    await until(() => got.length === 2, 5000, 'deliveries');
    expect(got.map((p) => [p.offset, p.message, p.origin])).toEqual([
      [1, 'hello', a.publicId],
      [2, 'world', a.publicId],
    ]);
    expect(own).toEqual([]);

    const presence = await b.presence('it-basic');
    expect(presence.count).toBe(2);
    expect(presence.members.map((m) => m.name).sort()).toEqual(['ana', 'bo']);
    expect(presence.members.map((m) => m.session).sort()).toEqual([a.publicId, b.publicId].sort());

    const history = await b.history('it-basic', 1, 10);
    expect(history.publications.map((p) => p.message)).toEqual(['world']);
    expect(history).toMatchObject({ offset: 2, truncated: false });
  });

  it('maps server error frames to BroadcastError codes (too_many_channels)', async () => {
    const a = make(server.wsUrl);
    await Promise.all([a.subscribe('lim-1'), a.subscribe('lim-2'), a.subscribe('lim-3')]);
    await expect(a.subscribe('lim-4')).rejects.toMatchObject({ name: 'BroadcastError', code: 'too_many_channels', channel: 'lim-4' });
    expect(a.channels).toEqual(['lim-1', 'lim-2', 'lim-3']);
  });

  it('resumes after an abrupt drop: same session, recovered with the missed count, no gap or duplicate', async () => {
    const a = make(server.wsUrl);
    const b = make(server.wsUrl);
    const got: number[] = [];
    const recovered: RecoveredEvent[] = [];
    const resumed: ResumedEvent[] = [];
    b.on('publication', (p) => got.push(p.offset));
    b.on('recovered', (r) => recovered.push(r));
    b.on('resumed', (r) => resumed.push(r));
    await b.subscribe('it-resume');
    await a.publish('it-resume', 'before');
    await until(() => got.length === 1);
    const session = b.session;

    // Keep b down while a publishes 12 more.
    b.disconnect();
    for (let i = 0; i < 12; i++) await a.publish('it-resume', `missed ${i}`);
    b.connect();
    await until(() => got.length === 13, 10_000, 'replay');
    expect(b.session).toBe(session);
    expect(recovered).toEqual([{ channel: 'it-resume', epoch: expect.any(String), missed: 12 }]);
    expect(resumed).toEqual([{ recovered: [{ channel: 'it-resume', missed: 12 }], unrecovered: [], failed: [], missed: 12 }]);
    expect(got).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));

    // An abrupt drop (no close frame) while publications keep coming.
    expect(terminate(b)).toBe(true);
    for (let i = 0; i < 5; i++) await a.publish('it-resume', `during ${i}`);
    await until(() => got.length === 18, 10_000, 'replay after terminate');
    expect(got).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
  });

  it('re-sends an unacknowledged publish with the same id: acked as duplicate, published once', async () => {
    const a = make(server.wsUrl);
    const b = make(server.wsUrl);
    const got: string[] = [];
    b.on('publication', (p) => got.push(p.message));
    await b.subscribe('it-retry');
    await connected(a);

    // Lose every frame the server sends on this connection, so the ack never arrives...
    const socket = a.socket as WebSocket;
    socket.onmessage = () => {};
    const sent: string[] = [];
    const originalSend = socket.send.bind(socket);
    socket.send = ((data: string) => {
      sent.push(data);
      originalSend(data);
    }) as typeof socket.send;
    const pending = a.publish('it-retry', 'exactly once');
    await until(() => got.length === 1, 5000, 'first delivery');
    // ...then drop the connection: the client re-sends the same id after reconnecting.
    terminate(a);
    const result = await pending;
    expect(result.duplicate).toBe(true);
    expect(result.offset).toBe(1);
    expect(JSON.parse(sent[0] ?? '{}')).toMatchObject({ type: 'publish', id: result.id });
    // A later publication, awaited instead of a pause: the channel arrives in order, so a second copy of the
    // first would have come before it.
    await a.publish('it-retry', 'after');
    await until(() => got.at(-1) === 'after', 5000, 'the later publication');
    expect(got).toEqual(['exactly once', 'after']);
  });
});

describe('when history is longer than a page', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    // Pages of at most 16 KiB: 60 publications of 1 KB take several.
    server = await ServerProcess.start({ Broadcast__HistoryPageBytes: '16384' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('history() gathers every page: each publication once, in order, up to the limit', async () => {
    const a = make(server.wsUrl);
    await connected(a);
    const text = 'x'.repeat(1024);
    for (let i = 1; i <= 60; i++) await a.publish('it-pages', `${i}:${text}`);
    const all = await a.history('it-pages', 0, 1000);
    expect(all).toMatchObject({ channel: 'it-pages', offset: 60, truncated: false });
    expect(all.publications.map((p) => p.message)).toEqual(Array.from({ length: 60 }, (_, i) => `${i + 1}:${text}`));
    const some = await a.history('it-pages', 10, 25);
    expect(some.publications.map((p) => p.offset)).toEqual(Array.from({ length: 25 }, (_, i) => i + 11));
  });
});

describe('when history is too short', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await ServerProcess.start({ Broadcast__Channels__HistorySize: '5' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('reports unrecovered (never a silent partial replay) and continues live', async () => {
    const a = make(server.wsUrl);
    const b = make(server.wsUrl);
    const got: number[] = [];
    const unrecovered: UnrecoveredEvent[] = [];
    b.on('publication', (p) => got.push(p.offset));
    b.on('unrecovered', (u) => unrecovered.push(u));
    await b.subscribe('it-short');
    await a.publish('it-short', 'seen');
    await until(() => got.length === 1);

    b.disconnect();
    for (let i = 0; i < 10; i++) await a.publish('it-short', `lost ${i}`); // offsets 2..11, history keeps 7..11
    b.connect();
    await until(() => unrecovered.length === 1, 10_000, 'unrecovered');
    expect(unrecovered[0]).toMatchObject({ channel: 'it-short', offset: 11, previous: { offset: 1 } });
    await a.publish('it-short', 'live');
    await until(() => got.length === 2, 5000, 'live delivery');
    expect(got).toEqual([1, 12]);
  });
});

describe('across a server restart', () => {
  it('reconnects with backoff and reports unrecovered: the in-memory history is gone', async () => {
    // The clients connect through a relay that keeps its port: the restarted server gets a fresh one.
    const relay = await Relay.start();
    let server = await ServerProcess.start();
    try {
      relay.forwardTo(server.port);
      const b = make(relay.wsUrl);
      const unrecovered: string[] = [];
      const resumed: ResumedEvent[] = [];
      b.on('unrecovered', (u) => unrecovered.push(u.channel));
      b.on('resumed', (r) => resumed.push(r));
      let welcomes = 0;
      const sessions: string[] = [];
      b.on('connected', (c) => {
        welcomes += 1;
        sessions.push(c.session);
      });
      await b.subscribe('it-restart');
      await b.subscribe('it-restart-2');
      const a = make(relay.wsUrl);
      await a.publish('it-restart', 'before');

      relay.forwardTo(undefined);
      await server.stop();
      await until(() => b.status.state === 'reconnecting', 10_000, 'reconnecting');
      server = await ServerProcess.start();
      relay.forwardTo(server.port);
      await until(() => resumed.length === 1, 30_000, 'resume after restart');
      expect(welcomes).toBe(2);
      // The client offered its session again (the server may or may not take it; the epochs changed either way).
      expect(sessions).toHaveLength(2);
      expect(unrecovered.sort()).toEqual(['it-restart', 'it-restart-2']);
      expect(resumed[0]).toMatchObject({ unrecovered: expect.arrayContaining(['it-restart', 'it-restart-2']), missed: 0 });
    } finally {
      await server.stop();
      await relay.stop();
    }
  });
});
