/**
 * Test doubles for code that uses the client (`@broadcast/client/testing`):
 * a WebSocket whose server side the test drives, and a tiny in-memory
 * `broadcast.v2` peer that answers hello/subscribe/publish/presence the way the
 * real server does. No timers of their own, so they work with fake timers.
 */
import { decode, encode } from '@msgpack/msgpack';
import { MSGPACK_SUBPROTOCOL, toBase64 } from '../protocol.js';
import type { CloseEventLike, OnlineSource, WebSocketFactory, WebSocketLike } from '../transport.js';

export class FakeWebSocket implements WebSocketLike {
  readyState = 0;
  protocol = '';
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: CloseEventLike) => void) | null = null;
  onmessage: ((event: { readonly data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  binaryType = 'blob';
  /** Frames the client sent, raw (a MessagePack frame as its JSON equivalent, bin as base64, so tests read both alike). */
  readonly sent: string[] = [];
  /** The binary frames the client sent, as they were. */
  readonly sentBinary: Uint8Array[] = [];
  closedWith: { code: number | undefined; reason: string | undefined } | undefined;
  /** Called for every frame the client sends (after it is recorded). */
  onSend: ((frame: string) => void) | undefined;

  constructor(
    readonly url: string,
    readonly protocols: readonly string[] = [],
  ) {}

  /** Frames the client sent, parsed. */
  get frames(): Record<string, unknown>[] {
    return this.sent.map((s) => JSON.parse(s) as Record<string, unknown>);
  }

  /** Parsed frames of one type. */
  framesOf(type: string): Record<string, unknown>[] {
    return this.frames.filter((f) => f['type'] === type);
  }

  send(data: string | Uint8Array): void {
    if (this.readyState !== 1) throw new Error('not open');
    let text: string;
    if (typeof data === 'string') {
      text = data;
    } else {
      this.sentBinary.push(data);
      text = JSON.stringify(decode(data), (_key, value: unknown) => (value instanceof Uint8Array ? toBase64(value) : value));
    }
    this.sent.push(text);
    this.onSend?.(text);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }

  // ---- server side -------------------------------------------------------

  /** Completes the upgrade, accepting the first offered subprotocol (or the one given). */
  serverOpen(protocol: string | undefined = this.protocols[0]): void {
    this.protocol = protocol ?? '';
    this.readyState = 1;
    this.onopen?.({});
  }

  /** The connection ends (1006 = dropped without a close frame). */
  serverClose(code = 1006, reason = ''): void {
    if (this.readyState === 3 && this.closedWith) return;
    this.readyState = 3;
    this.onerror?.({});
    this.onclose?.({ code, reason, wasClean: code !== 1006 });
  }

  /** Delivers one frame to the client; objects are JSON-encoded (MessagePack on a `broadcast.v2.msgpack` connection, as bytes). */
  serverSend(data: unknown): void {
    if (this.protocol === MSGPACK_SUBPROTOCOL) {
      const value: unknown = typeof data === 'string' ? JSON.parse(data) : data;
      const bytes = encode(value);
      this.onmessage?.({ data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
      return;
    }
    this.onmessage?.({ data: typeof data === 'string' ? data : JSON.stringify(data) });
  }
}

/** Records every socket a client creates. */
export class FakeSocketFactory {
  readonly sockets: FakeWebSocket[] = [];
  readonly create: WebSocketFactory = (url, protocols) => {
    const ws = new FakeWebSocket(url, protocols);
    this.sockets.push(ws);
    this.onCreate?.(ws);
    return ws;
  };
  onCreate: ((ws: FakeWebSocket) => void) | undefined;

  get latest(): FakeWebSocket {
    const ws = this.sockets.at(-1);
    if (!ws) throw new Error('no socket created');
    return ws;
  }
}

export class FakeOnlineSource implements OnlineSource {
  private readonly listeners = new Set<() => void>();
  addEventListener(_type: 'online', listener: () => void): void {
    this.listeners.add(listener);
  }
  removeEventListener(_type: 'online', listener: () => void): void {
    this.listeners.delete(listener);
  }
  fire(): void {
    for (const l of [...this.listeners]) l();
  }
  get count(): number {
    return this.listeners.size;
  }
}

/** The payload of a publication, as JSON frames carry it: `message`, `data`, or `bytes` as base64. */
export type PeerPayload = { readonly message: string } | { readonly data: unknown } | { readonly bytes: string };

type PeerPublication = {
  readonly offset: number;
  readonly origin: string;
  readonly timestamp: string;
} & PeerPayload;

interface PeerChannel {
  readonly epoch: string;
  readonly log: PeerPublication[];
  readonly members: Map<FakeWebSocket, { session: string; name: string | null; presence: boolean }>;
}

/**
 * A minimal in-memory broadcast.v2 server for UI tests: every socket created
 * by `factory` is attached, opened (unless `autoOpen` is false) and served.
 * It replays from `since`, skips the subscriber's own publications,
 * deduplicates publish ids per session, and sends join/leave. Like the real
 * server, it shows a session's public id (`p_` + token here) to others and
 * sends the token to its own client only.
 */
export class FakeBroadcastServer {
  readonly factory = new FakeSocketFactory();
  readonly channels = new Map<string, PeerChannel>();
  private readonly sessions = new Map<FakeWebSocket, { session: string; name: string | null }>();
  private readonly acked = new Map<string, { channel: string; epoch: string; offset: number }>();
  private nextSession = 0;
  epochSuffix = 'e1';
  autoOpen = true;
  now: () => Date = () => new Date();

  constructor() {
    this.factory.onCreate = (ws) => {
      ws.onSend = (frame) => this.receive(ws, JSON.parse(frame) as Record<string, unknown>);
      if (this.autoOpen) queueMicrotask(() => ws.readyState === 0 && ws.serverOpen());
    };
  }

  get create(): WebSocketFactory {
    return this.factory.create;
  }

  /** Publishes as another client (origin `http` unless given): a string as its message, or a payload (`{ data }`, `{ bytes }`). */
  publish(channel: string, payload: string | PeerPayload, origin = 'http'): number {
    const ch = this.channel(channel);
    const body = typeof payload === 'string' ? { message: payload } : payload;
    const pub: PeerPublication = { offset: ch.log.length + 1, origin, timestamp: this.now().toISOString(), ...body };
    ch.log.push(pub);
    for (const [ws, m] of ch.members) {
      if (m.session !== origin && ws.readyState === 1) ws.serverSend({ type: 'pub', channel, epoch: ch.epoch, ...pub });
    }
    return pub.offset;
  }

  /** Forgets every channel (like a server restart): epochs change. */
  restart(): void {
    for (const ws of [...this.sessions.keys()]) ws.serverClose(1001, 'server shutting down');
    this.sessions.clear();
    this.channels.clear();
    this.acked.clear();
    this.epochSuffix = `${this.epochSuffix}x`;
  }

  private channel(name: string): PeerChannel {
    let ch = this.channels.get(name);
    if (!ch) {
      ch = { epoch: `${name}-${this.epochSuffix}`, log: [], members: new Map() };
      this.channels.set(name, ch);
    }
    return ch;
  }

  private leaveAll(ws: FakeWebSocket): void {
    for (const [name, ch] of this.channels) {
      const m = ch.members.get(ws);
      if (!m) continue;
      ch.members.delete(ws);
      this.announce(name, ch, ws, 'leave', m);
    }
  }

  private announce(
    channel: string,
    ch: PeerChannel,
    except: FakeWebSocket,
    type: 'join' | 'leave',
    who: { session: string; name: string | null },
  ): void {
    for (const [ws, m] of ch.members) {
      if (ws !== except && m.presence && ws.readyState === 1) {
        ws.serverSend({ type, channel, session: who.session, name: who.name });
      }
    }
  }

  private receive(ws: FakeWebSocket, f: Record<string, unknown>): void {
    const prevClose = ws.onclose;
    if (!this.sessions.has(ws) && f['type'] !== 'hello') {
      ws.serverSend({ type: 'error', code: 'hello_required', error: 'hello first' });
      return;
    }
    const id = f['id'];
    const channel = typeof f['channel'] === 'string' ? f['channel'] : '';
    switch (f['type']) {
      case 'hello': {
        const given = typeof f['session'] === 'string' ? f['session'] : undefined;
        if (given?.startsWith('p_')) {
          ws.serverSend({ type: 'error', code: 'session_forbidden', error: 'a public id is not a session token' });
          return;
        }
        const token = given ?? `session-${++this.nextSession}`;
        // Others see a public id, never the token (the real server derives it one way with SHA-256).
        const session = `p_${token}`;
        const name = typeof f['name'] === 'string' ? f['name'] : null;
        this.sessions.set(ws, { session, name });
        ws.onclose = (e) => {
          this.leaveAll(ws);
          this.sessions.delete(ws);
          prevClose?.(e);
        };
        const origClose = ws.close.bind(ws);
        ws.close = (code, reason) => {
          origClose(code, reason);
          this.leaveAll(ws);
          this.sessions.delete(ws);
        };
        ws.serverSend({
          type: 'welcome',
          session: token,
          publicId: session,
          resumed: given !== undefined,
          protocol: 2,
          node: 'fake',
          limits: { maxMessageBytes: 65536, maxChannels: 64 },
        });
        return;
      }
      case 'subscribe': {
        const me = this.sessions.get(ws);
        if (!me) return;
        const ch = this.channel(channel);
        const since = f['since'] as { epoch: string; offset: number } | undefined;
        const latest = ch.log.length;
        const isNew = !ch.members.has(ws);
        ch.members.set(ws, { ...me, presence: f['presence'] === true });
        let replay: PeerPublication[] = [];
        let recovered = false;
        if (since) {
          recovered = since.epoch === ch.epoch && since.offset <= latest;
          if (recovered) replay = ch.log.slice(since.offset).filter((p) => p.origin !== me.session);
        }
        ws.serverSend({
          type: 'subscribed',
          id,
          channel,
          epoch: ch.epoch,
          offset: latest,
          recovered,
          missed: replay.length,
        });
        for (const p of replay) ws.serverSend({ type: 'pub', channel, epoch: ch.epoch, ...p });
        if (isNew) this.announce(channel, ch, ws, 'join', me);
        return;
      }
      case 'unsubscribe': {
        const ch = this.channels.get(channel);
        const m = ch?.members.get(ws);
        if (!ch || !m) {
          ws.serverSend({ type: 'error', id, channel, code: 'not_subscribed', error: 'not subscribed' });
          return;
        }
        ch.members.delete(ws);
        this.announce(channel, ch, ws, 'leave', m);
        ws.serverSend({ type: 'unsubscribed', id, channel });
        return;
      }
      case 'publish': {
        const me = this.sessions.get(ws);
        if (!me) return;
        const key = `${me.session}/${String(id)}`;
        const previous = this.acked.get(key);
        if (previous) {
          ws.serverSend({ type: 'ack', id, ...previous, duplicate: true });
          return;
        }
        const message = f['message'];
        const payload: PeerPayload | undefined =
          'data' in f ? { data: f['data'] } : typeof f['bytes'] === 'string' ? { bytes: f['bytes'] } : typeof message === 'string' && message !== '' ? { message } : undefined;
        if (payload === undefined) {
          ws.serverSend({ type: 'error', id, channel, code: 'message_empty', error: 'empty' });
          return;
        }
        const offset = this.publish(channel, payload, me.session);
        const result = { channel, epoch: this.channel(channel).epoch, offset };
        if (typeof id === 'string') {
          this.acked.set(key, result);
          ws.serverSend({ type: 'ack', id, ...result, duplicate: false });
        }
        return;
      }
      case 'presence': {
        const ch = this.channel(channel);
        const members = [...ch.members.values()].map((m) => ({ session: m.session, name: m.name }));
        ws.serverSend({ type: 'presence', id, channel, count: members.length, members });
        return;
      }
      case 'history': {
        const ch = this.channel(channel);
        const since = typeof f['since'] === 'number' ? f['since'] : 0;
        const limit = typeof f['limit'] === 'number' ? f['limit'] : 100;
        ws.serverSend({
          type: 'history',
          id,
          channel,
          epoch: ch.epoch,
          offset: ch.log.length,
          truncated: false,
          publications: ch.log.slice(since, since + limit),
        });
        return;
      }
      default:
        ws.serverSend({ type: 'error', id, code: 'type_unknown', error: 'unknown type' });
    }
  }
}
