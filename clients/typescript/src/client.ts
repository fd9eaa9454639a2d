/**
 * BroadcastClient: the `broadcast.v2` protocol on top of a ReconnectingSocket.
 *
 * - Session: `hello` on every connection, with the session id from the last
 *   `welcome` (and the display name); the connection is "open" once welcomed.
 * - Subscriptions survive reconnects: after each welcome every registered
 *   channel is subscribed again with `since` = the last (epoch, offset) seen,
 *   so the server replays what was missed. `recovered` / `unrecovered` events
 *   say how that went, per channel, and `resumed` sums up one reconnect.
 * - publish() resolves with the server's ack. An unacknowledged publish is
 *   sent again with the same id after a reconnect, and after a backoff when the
 *   server answers `publish_unknown`; the server deduplicates.
 * - Error frames reject the request they answer with a BroadcastError.
 */
import { computeDelay, DEFAULT_BACKOFF, type BackoffOptions, type Rng } from './backoff.js';
import { ClientErrorCode, LegacyErrorCode, V2ErrorCode } from './codes.js';
import { Emitter } from './emitter.js';
import { BroadcastError } from './errors.js';
import { DEFAULT_TRANSPORTS, TransportChain, type TransportName } from './fallback.js';
import type { FetchLike } from './httpStream.js';
import { Outbox } from './outbox.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  encodeFrame,
  frameLength,
  subprotocolOf,
  type ClientFrame,
  type EncodedFrame,
  type Encoding,
  isValidChannel,
  isValidMethod,
  isValidName,
  isValidSession,
  parseServerFrame,
  type AckFrame,
  type ErrorFrame,
  type HistoryReplyFrame,
  type PresenceMember,
  type PresenceReplyFrame,
  type Publication,
  type PubFrame,
  type RpcReplyFrame,
  type ServerLimits,
  type StreamPosition,
  type SubscribedFrame,
  type WelcomeFrame,
} from './protocol.js';
import { SubscriptionRegistry, type SubscriptionState } from './subscriptions.js';
import {
  ReconnectingSocket,
  socketFactory,
  systemClock,
  type Clock,
  type CloseEventLike,
  type ConnectionStatus,
  type OnlineSource,
  type WebSocketConstructor,
  type WebSocketFactory,
  type WebSocketLike,
} from './transport.js';

/** The server's `limit` when a history request names none (docs/protocol.md, "History"). */
const DEFAULT_HISTORY_LIMIT = 100;

export interface ClientOptions {
  /** e.g. `ws://localhost:8000/ws/events` (see `socketUrl()` for browsers). */
  readonly url: string;
  /** Display name sent in `hello` (at most 64 characters), shown in presence. */
  readonly name?: string | undefined;
  /**
   * A bearer token (JWT), sent as the `access_token` query parameter of every connection attempt (browsers
   * cannot set headers on a WebSocket). `authenticate()` replaces it for later reconnects.
   */
  readonly token?: string | undefined;
  /** A session token from an earlier welcome (`client.session`), to resume that session. Keep it secret. */
  readonly session?: string | undefined;
  /** WebSocket constructor; defaults to the global one. In Node 20 pass `WebSocket` from `ws`. */
  readonly WebSocket?: WebSocketConstructor;
  /** Lower-level alternative to `WebSocket` (tests). */
  readonly createSocket?: WebSocketFactory;
  /**
   * The transports to try, in order (default `['websocket', 'http-stream']`; only `['websocket']` when
   * `createSocket` is given): an attempt that does not become ready moves on to the next one (see
   * `transportName` and the `transport` event). Add `'sse'` (last) for a client that only receives: it opens
   * `/sse` with the client's channels and positions; publish, history, presence, rpc and authenticate reject
   * with `receive_only` while on it.
   */
  readonly transports?: readonly TransportName[];
  /** fetch for HTTP streaming; defaults to the global one (Node 20 has it). */
  readonly fetch?: FetchLike;
  /** Lower-level alternative for HTTP streaming (a tap around `new HttpStreamSocket(url)`, tests). */
  readonly createHttpStream?: WebSocketFactory;
  readonly clock?: Clock;
  readonly random?: Rng;
  /** Reconnect backoff; default 0.5 s base, 20 s cap, full jitter. */
  readonly backoff?: BackoffOptions;
  /** A connection must stay open this long before the backoff resets (ms). Default 5000. */
  readonly stableAfterMs?: number;
  /** An attempt must open and be welcomed within this time (ms). Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Source of `online` events (browser `window` by default); null disables. */
  readonly onlineSource?: OnlineSource | null;
  /** Deadline for subscribe/unsubscribe/history/presence replies (ms). Default 15000. */
  readonly requestTimeoutMs?: number;
  /** Deadline for a publish's ack, re-sends included (ms). Default 60000. */
  readonly publishTimeoutMs?: number;
  /**
   * `json` (default): JSON text frames, subprotocol `broadcast.v2`. `msgpack`: every frame in MessagePack in binary
   * frames (`broadcast.v2.msgpack`): smaller frames, and `bytes` travel as they are instead of as base64.
   */
  readonly encoding?: Encoding;
}

export interface ConnectedEvent {
  /** The session token (the credential to resume with). */
  readonly session: string;
  /** What others see of this session: the `origin` of its publications, its `session` in presence. */
  readonly publicId: string;
  /** Whether the server took the session we sent (always false on the first connection). */
  readonly resumed: boolean;
  readonly node: string | undefined;
  readonly limits: ServerLimits;
}

export interface PublicationEvent extends Publication {
  readonly channel: string;
  readonly epoch: string;
}

export interface SubscribedInfo {
  readonly channel: string;
  readonly epoch: string;
  /** The channel's latest offset when the subscription started. */
  readonly offset: number;
  /** Whether `since` was sent (a resume) and the server could replay everything after it. */
  readonly recovered: boolean;
  /** Publications replayed after the reply (0 unless recovered). */
  readonly missed: number;
  /** Whether the request carried `since`. */
  readonly resumed: boolean;
  /**
   * The server made this subscription by itself, right after `welcome` (the token's `channels` claim, the
   * connect proxy's `channels`, the user channel `@user:{user}`): its publications arrive as `publication`
   * events like any other's. It is made again on every connection; after a reconnect the client resumes it from
   * the last position seen, so nothing is missed (`recovered` / `unrecovered` say how that went). Absent for
   * the subscriptions the application asked for.
   */
  readonly server?: true;
}

export interface RecoveredEvent {
  readonly channel: string;
  readonly epoch: string;
  readonly missed: number;
}

export interface UnrecoveredEvent {
  readonly channel: string;
  /** The position the subscription continues from. */
  readonly epoch: string;
  readonly offset: number;
  /** The position the client asked to resume from. */
  readonly previous: StreamPosition;
}

/**
 * The server skipped publications of a channel because this client read too slowly (the channel is
 * configured to drop rather than disconnect). The publications that follow carry later offsets; the
 * skipped ones can be read with `history` while the server keeps them.
 */
export interface DroppedEvent {
  readonly channel: string;
  readonly count: number;
}

/** One reconnect's resubscriptions, once all of them were answered. */
export interface ResumedEvent {
  readonly recovered: readonly { readonly channel: string; readonly missed: number }[];
  readonly unrecovered: readonly string[];
  /** Channels whose resubscription was refused (they are no longer subscribed). */
  readonly failed: readonly string[];
  /** Sum of `missed` over the recovered channels. */
  readonly missed: number;
}

export interface PresenceEvent {
  readonly channel: string;
  readonly session: string;
  readonly name: string | null;
  /** The user id (`sub`) of the member's token; undefined for members without one. */
  readonly user: string | undefined;
}

/** The answer to `authenticate()`. */
export interface AuthResult {
  /** The token's user id (`sub`), as presence shows it; null when the token has none. */
  readonly user: string | null;
  /** When the token expires (ISO-8601 UTC); refresh again before then. */
  readonly expires: string | undefined;
}

/** The server ended a subscription by itself (e.g. `forbidden`: a refreshed token no longer allows the channel). */
export interface SubscriptionEndedEvent {
  readonly channel: string;
  /** One of the server error codes, e.g. `forbidden`. */
  readonly code: string;
  /** The server's explanation, for people. */
  readonly reason: string;
}

export interface PublishResult {
  readonly id: string;
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  /** The server had already accepted this id (a retry after a lost ack). */
  readonly duplicate: boolean;
}

export interface HistoryResult {
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  readonly truncated: boolean;
  readonly publications: readonly Publication[];
}

export interface PresenceResult {
  readonly channel: string;
  readonly count: number;
  readonly members: readonly PresenceMember[];
}

export interface SubscribeOptions<T = unknown> {
  /** Also deliver `join` / `leave` events for this channel. */
  readonly presence?: boolean;
  /** Resume from a known position (e.g. one saved earlier) instead of starting live. */
  readonly since?: StreamPosition;
  /**
   * Called with each publication of this channel (resumed ones included) until unsubscribe(): its value as `T`
   * (the `data` of a data publication, the `Uint8Array` of a bytes one, the string of a message) and the
   * whole event. The client does not check the value's shape: validate it if publishers are not trusted.
   */
  readonly onPublication?: (value: T, publication: PublicationEvent) => void;
}

/** A publication's value: its `data`, its `bytes`, or its message. */
export function valueOf(publication: Publication): unknown {
  return publication.payload === 'data' ? publication.data : publication.payload === 'bytes' ? publication.bytes : publication.message;
}

/** Counters for diagnostics (and tests of the server's guarantees). */
export interface ClientStats {
  /** Publications dropped because their offset was at or below the last one seen. */
  readonly duplicatesDropped: number;
  /** Publications dropped because their origin was this client's own session. */
  readonly ownDropped: number;
  /** Publish frames sent again after a reconnect. */
  readonly publishRetries: number;
}

export interface ClientEvents {
  /** Connection state changes, including the scheduled reconnect delay. */
  status: ConnectionStatus;
  connected: ConnectedEvent;
  disconnected: CloseEventLike;
  publication: PublicationEvent;
  subscribed: SubscribedInfo;
  recovered: RecoveredEvent;
  unrecovered: UnrecoveredEvent;
  dropped: DroppedEvent;
  resumed: ResumedEvent;
  join: PresenceEvent;
  leave: PresenceEvent;
  /** A subscription was dropped because the server refused to (re)subscribe it. */
  subscriptionError: BroadcastError;
  /**
   * The server ended a subscription by itself (a refreshed token no longer allows it). The channel is no
   * longer registered: it is not renewed after reconnects.
   */
  subscriptionEnded: SubscriptionEndedEvent;
  /** An error frame that answers no pending request, or a broken handshake. */
  error: BroadcastError;
  /** A connection became ready over this transport (also after a fallback). */
  transport: TransportName;
}

interface Waiter {
  readonly resolve: (info: SubscribedInfo) => void;
  readonly reject: (error: BroadcastError) => void;
  readonly timer: unknown;
}

interface ResumeRound {
  readonly waiting: Set<string>;
  readonly recovered: { channel: string; missed: number }[];
  readonly unrecovered: string[];
  readonly failed: string[];
}

function randomToken(random: Rng, length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(Math.min(Math.max(random(), 0), 0.999999) * 36)];
  return out;
}

export class BroadcastClient {
  private readonly events = new Emitter<ClientEvents>();
  private readonly transport: ReconnectingSocket;
  private readonly clock: Clock;
  private readonly subs = new SubscriptionRegistry();
  private readonly outbox: Outbox;
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly requestTimeoutMs: number;
  private readonly publishTimeoutMs: number;
  private readonly random: Rng;
  private readonly backoff: BackoffOptions;
  /** Publishes answered `publish_unknown`, by id: how many times (the retry's backoff grows with it). */
  private readonly unknownOutcomes = new Map<string, number>();
  /** The typed handlers subscribe() was given, by channel. */
  private readonly handlers = new Map<string, (publication: PublicationEvent) => void>();
  private readonly encoding: Encoding;
  /** Publish ids are `<prefix>-<n>`: unique within a session even across page loads. */
  private readonly idPrefix: string;
  private nextId = 0;

  private sessionId: string | undefined;
  private publicSessionId: string | undefined;
  private displayName: string | undefined;
  private accessToken: string | undefined;
  private limits: ServerLimits = { maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES, maxChannels: undefined };
  private ready = false;
  private attemptReady = false;
  private readonly chain: TransportChain;
  private helloSent = false;
  private round: ResumeRound | undefined;
  private closed = false;
  private counters = { duplicatesDropped: 0, ownDropped: 0, publishRetries: 0 };

  constructor(options: ClientOptions) {
    if (options.name !== undefined && !isValidName(options.name)) {
      throw new BroadcastError(ClientErrorCode.BadRequest, 'name must be at most 64 characters');
    }
    this.clock = options.clock ?? systemClock;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 60_000;
    this.sessionId = isValidSession(options.session) ? options.session : undefined;
    this.displayName = options.name;
    this.accessToken = options.token;
    this.idPrefix = `p${randomToken(options.random ?? Math.random, 8)}`;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.encoding = options.encoding ?? 'json';
    this.outbox = new Outbox(this.clock);
    const createSocket = options.createSocket ?? socketFactory(options.WebSocket);
    // A socket factory of one's own (tests, custom sockets) is the only transport unless others are asked for.
    const transports = options.transports ?? (options.createSocket ? ['websocket' as const] : DEFAULT_TRANSPORTS);
    this.chain = new TransportChain(transports, createSocket, options.fetch, options.createHttpStream, () => ({
      channels: this.subs.all().map((s) => ({ channel: s.channel, position: s.position, presence: s.presence })),
      name: this.displayName,
    }));
    this.transport = new ReconnectingSocket({
      url: options.url,
      protocols: [subprotocolOf(this.encoding)],
      // Every attempt presents the newest token (the one authenticate() last had accepted).
      createSocket: (url, protocols) => {
        this.attemptReady = false;
        return this.chain.create(withAccessToken(url, this.accessToken), protocols);
      },
      clock: this.clock,
      ...(options.random ? { random: options.random } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.stableAfterMs !== undefined ? { stableAfterMs: options.stableAfterMs } : {}),
      ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      ...(options.onlineSource !== undefined ? { onlineSource: options.onlineSource } : {}),
    });
    this.transport.on('status', (s) => this.events.emit('status', s));
    this.transport.on('socketOpen', () => this.sendHello());
    this.transport.on('message', (raw) => this.handleFrame(raw));
    this.transport.on('close', (info) => this.handleClose(info));
  }

  // ---- public API --------------------------------------------------------

  on<K extends keyof ClientEvents>(event: K, listener: (payload: ClientEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  get status(): ConnectionStatus {
    return this.transport.status;
  }

  /**
   * The session token from the last welcome (undefined before the first one): the credential that resumes
   * the session, e.g. across page loads via `options.session`. Keep it secret: never show or send it to others.
   */
  /** The transport of the current connection (or of the next attempt while not connected). */
  get transportName(): TransportName {
    return this.chain.current;
  }

  get session(): string | undefined {
    return this.sessionId;
  }

  /** This session's public id: the `origin` of its publications and its `session` in presence and join/leave. */
  get publicId(): string | undefined {
    return this.publicSessionId;
  }

  get name(): string | undefined {
    return this.displayName;
  }

  /** The limits the server announced in its last welcome. */
  get serverLimits(): ServerLimits {
    return this.limits;
  }

  /** The current socket, for diagnostics and tests (e.g. to drop it abruptly). */
  get socket(): WebSocketLike | undefined {
    return this.transport.socket;
  }

  /** Registered channels, in subscription order. */
  get channels(): string[] {
    return this.subs.channels();
  }

  get stats(): ClientStats {
    return { ...this.counters };
  }

  /** The last (epoch, offset) seen on a channel. */
  position(channel: string): StreamPosition | undefined {
    return this.subs.get(channel)?.position;
  }

  isSubscribed(channel: string): boolean {
    return this.subs.get(channel)?.subscribed === true;
  }

  /** Starts connecting; keeps reconnecting until disconnect() or close(). */
  connect(): void {
    this.assertOpen();
    this.transport.connect();
  }

  /**
   * Closes the connection and stops reconnecting. Session, subscriptions and
   * positions are kept: connect() resumes where this left off (pending requests keep their deadlines).
   */
  disconnect(): void {
    this.transport.disconnect();
  }

  /** Changes the display name; it is sent in the next `hello` (reconnect to apply it now). */
  setName(name: string | undefined): void {
    if (name !== undefined && !isValidName(name)) {
      throw new BroadcastError(ClientErrorCode.BadRequest, 'name must be at most 64 characters');
    }
    this.displayName = name;
  }

  /** Disconnects for good: every pending promise rejects with `client_closed`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.dispose();
    const closedError = (channel?: string) =>
      new BroadcastError(ClientErrorCode.ClientClosed, 'The client was closed', channel);
    this.outbox.rejectAll((r) => closedError(r.channel));
    for (const [channel, list] of this.waiters) for (const w of list) this.settleWaiter(w, undefined, closedError(channel));
    this.waiters.clear();
    this.subs.clear();
    this.events.clear();
  }

  /**
   * Subscribes to a channel. The subscription lasts until unsubscribe(): it is
   * renewed after every reconnect, resuming from the last position seen. The
   * promise resolves with the first confirmation; it rejects if the server
   * refuses (the subscription is then dropped) or after `requestTimeoutMs`
   * (the subscription stays registered and is made when the connection is back).
   */
  subscribe<T = unknown>(channel: string, options: SubscribeOptions<T> = {}): Promise<SubscribedInfo> {
    this.assertOpen();
    if (!isValidChannel(channel)) return Promise.reject(badChannel(channel));
    const handler = options.onPublication;
    if (handler) this.handlers.set(channel, (publication) => handler(valueOf(publication) as T, publication));
    const presence = options.presence ?? false;
    const existing = this.subs.get(channel);
    if (existing && existing.presence === presence && options.since === undefined && existing.subscribed && existing.position) {
      const { epoch, offset } = existing.position;
      return Promise.resolve({ channel, epoch, offset, recovered: false, missed: 0, resumed: false, ...(existing.server ? { server: true } : {}) });
    }
    const sub = this.subs.add(channel, presence, options.since);
    const promise = new Promise<SubscribedInfo>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        const list = this.waiters.get(channel);
        const index = list?.findIndex((w) => w.timer === timer) ?? -1;
        if (list && index >= 0) list.splice(index, 1);
        reject(new BroadcastError(ClientErrorCode.Timeout, `No reply to subscribe on "${channel}"`, channel));
      }, this.requestTimeoutMs);
      const list = this.waiters.get(channel) ?? [];
      list.push({ resolve, reject, timer });
      this.waiters.set(channel, list);
    });
    // Not yet answered on this connection (or options changed): (re)send now.
    if (this.ready && (sub.requestId === undefined || existing?.presence !== presence || options.since)) {
      this.sendSubscribe(sub);
    }
    return promise;
  }

  /**
   * Stops a subscription. Publications for the channel stop being delivered at
   * once; the promise resolves when the server confirmed (or right away when not connected).
   */
  unsubscribe(channel: string): Promise<void> {
    this.assertOpen();
    const sub = this.subs.remove(channel);
    this.handlers.delete(channel);
    this.rejectWaiters(channel, new BroadcastError(ClientErrorCode.Unsubscribed, `unsubscribe("${channel}") was called`, channel));
    this.round?.waiting.delete(channel);
    this.maybeFinishRound();
    if (!sub || !this.ready) return Promise.resolve();
    const id = this.newRequestId();
    const promise = this.outbox.add<void>({
      id,
      kind: 'unsubscribe',
      channel,
      frame: this.encode({ type: 'unsubscribe', id, channel }),
      timeoutMs: this.requestTimeoutMs,
      // A dropped connection ends every subscription it had.
      resend: false,
      onConnectionLost: () => undefined,
    });
    this.flush(id);
    return promise;
  }

  /**
   * Publishes a value: a string as a `message`, a `Uint8Array` as `bytes`, anything else as `data` (any JSON
   * value: object, array, number, boolean, null). Resolves with the offset the server assigned. If the
   * connection drops before the ack, the same frame (same id) is sent again after the reconnect until it is
   * acknowledged or `publishTimeoutMs` passes.
   */
  publish<T = string>(channel: string, value: T, options: { readonly timeoutMs?: number } = {}): Promise<PublishResult> {
    this.assertOpen();
    if (!isValidChannel(channel)) return Promise.reject(badChannel(channel));
    if (value === '' || value === undefined || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
      return Promise.reject(new BroadcastError(LegacyErrorCode.MessageEmpty, 'publish a non-empty string, a Uint8Array or a JSON value', channel));
    }
    const id = `${this.idPrefix}-${++this.nextId}`;
    const payload =
      typeof value === 'string' ? { message: value } : value instanceof Uint8Array ? { bytes: value } : { data: value as unknown };
    const frame = this.encode({ type: 'publish', id, channel, ...payload });
    const max = this.limits.maxMessageBytes;
    if (frameLength(frame) > max) {
      return Promise.reject(
        new BroadcastError(ClientErrorCode.MessageTooBig, `The message exceeds the server's limit of ${max} bytes`, channel),
      );
    }
    const promise = this.outbox.add<PublishResult>({
      id,
      kind: 'publish',
      channel,
      frame,
      timeoutMs: options.timeoutMs ?? this.publishTimeoutMs,
      resend: true,
    });
    this.flush(id);
    return promise;
  }

  /**
   * Sends a fresh token for the open connection (the `auth` request) before the current one expires: the
   * server keeps the connection open with the new token's deadline and permissions. Subscriptions the new
   * token no longer allows end first (`subscriptionEnded` events). Once accepted, the token is also the one
   * later reconnects present. Rejects with `token_invalid` or `user_mismatch` (the connection keeps its
   * current token). If the connection drops first, the request is sent again after the reconnect.
   */
  authenticate(token: string): Promise<AuthResult> {
    this.assertOpen();
    if (typeof token !== 'string' || token === '') {
      return Promise.reject(new BroadcastError(ClientErrorCode.BadRequest, 'token must be a non-empty string'));
    }
    const id = this.newRequestId();
    const promise = this.outbox.add<AuthResult>({
      id,
      kind: 'auth',
      channel: '',
      frame: this.encode({ type: 'auth', id, token }),
      timeoutMs: this.requestTimeoutMs,
      resend: true,
    });
    this.flush(id);
    return promise.then((result) => {
      this.accessToken = token;
      return result;
    });
  }

  /**
   * Publications with offsets greater than `since` (default 0), oldest first, at most `limit` (1-1000,
   * default 100). The server answers in pages of bounded size (`more: true` when one stopped early); this
   * asks for the pages that follow until it has `limit` publications or the history ends. If the history
   * changes between two pages (lost, or moved past where the last page ended), it resolves with what it has
   * and `truncated: true`: what follows could not be joined without a gap.
   */
  history(channel: string, since?: number, limit?: number): Promise<HistoryResult> {
    this.assertOpen();
    if (!isValidChannel(channel)) return Promise.reject(badChannel(channel));
    if (since !== undefined && !(Number.isSafeInteger(since) && since >= 0)) {
      return Promise.reject(new BroadcastError(ClientErrorCode.BadRequest, 'since must be an integer >= 0', channel));
    }
    if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 1 && limit <= 1000)) {
      return Promise.reject(new BroadcastError(ClientErrorCode.BadRequest, 'limit must be an integer from 1 to 1000', channel));
    }
    return this.historyPages(channel, since, limit);
  }

  private async historyPages(channel: string, since: number | undefined, limit: number | undefined): Promise<HistoryResult> {
    const wanted = limit ?? DEFAULT_HISTORY_LIMIT;
    const first = await this.historyPage(channel, since, limit);
    const publications = [...first.publications];
    let { offset, truncated } = first;
    for (let page = first; page.more && page.publications.length > 0 && publications.length < wanted; ) {
      const last = publications[publications.length - 1]!;
      page = await this.historyPage(channel, last.offset, wanted - publications.length);
      if (page.epoch !== first.epoch || page.truncated) {
        truncated = true;
        break;
      }
      publications.push(...page.publications);
      offset = page.offset;
    }
    return { channel, epoch: first.epoch, offset, truncated, publications };
  }

  private historyPage(channel: string, since: number | undefined, limit: number | undefined): Promise<HistoryReplyFrame> {
    this.assertOpen();
    const id = this.newRequestId();
    const frame = this.encode({
      type: 'history',
      id,
      channel,
      ...(since !== undefined ? { since } : {}),
      ...(limit !== undefined ? { limit } : {}),
    });
    const promise = this.outbox.add<HistoryReplyFrame>({
      id,
      kind: 'history',
      channel,
      frame,
      timeoutMs: this.requestTimeoutMs,
      resend: true,
    });
    this.flush(id);
    return promise;
  }

  /** The channel's current members (legacy connections included, with `name: null`). */
  presence(channel: string): Promise<PresenceResult> {
    this.assertOpen();
    if (!isValidChannel(channel)) return Promise.reject(badChannel(channel));
    const id = this.newRequestId();
    const promise = this.outbox.add<PresenceResult>({
      id,
      kind: 'presence',
      channel,
      frame: this.encode({ type: 'presence', id, channel }),
      timeoutMs: this.requestTimeoutMs,
      resend: true,
    });
    this.flush(id);
    return promise;
  }

  /**
   * Asks the application's backend (the server's RPC proxy) and resolves with its answer's `data` (null when it
   * gave none). Rejects with a BroadcastError whose `code` is the backend's own refusal code, or
   * `backend_refused`, `backend_unavailable`, `rpc_not_configured`, `method_invalid`; with `connection_lost`
   * when the connection dropped before the answer (the backend may have handled it: an rpc is never sent twice
   * by itself), `timeout` after `requestTimeoutMs` (or `options.timeoutMs`). Made while disconnected, it is sent
   * once the connection is back.
   */
  rpc<T = unknown>(method: string, data?: unknown, options: { readonly timeoutMs?: number } = {}): Promise<T> {
    this.assertOpen();
    if (!isValidMethod(method)) {
      return Promise.reject(new BroadcastError(ClientErrorCode.BadRequest, 'method must be 1-64 characters of A-Z a-z 0-9 _ - . : /'));
    }
    const id = this.newRequestId();
    const frame = this.encode({ type: 'rpc', id, method, ...(data !== undefined ? { data } : {}) });
    const max = this.limits.maxMessageBytes;
    if (frameLength(frame) > max) {
      return Promise.reject(new BroadcastError(ClientErrorCode.MessageTooBig, `The request exceeds the server's limit of ${max} bytes`));
    }
    const promise = this.outbox.add<T>({
      id,
      kind: 'rpc',
      channel: '',
      frame,
      timeoutMs: options.timeoutMs ?? this.requestTimeoutMs,
      resend: false,
      sendOnce: true,
      onConnectionLost: () =>
        new BroadcastError(ClientErrorCode.ConnectionLost, `The connection dropped before the answer to rpc "${method}"`, undefined, id),
    });
    this.flush(id);
    return promise;
  }

  // ---- connection --------------------------------------------------------

  private sendHello(): void {
    const socket = this.transport.socket;
    // A server that did not accept the subprotocol speaks the legacy protocol only.
    const subprotocol = subprotocolOf(this.encoding);
    if (socket?.protocol !== undefined && socket.protocol !== subprotocol) {
      this.events.emit(
        'error',
        new BroadcastError(ClientErrorCode.ProtocolUnsupported, `The server did not accept the ${subprotocol} subprotocol`),
      );
      this.transport.fail('subprotocol not accepted');
      return;
    }
    this.helloSent = true;
    this.transport.send(
      this.encode({
        type: 'hello',
        ...(this.sessionId !== undefined ? { session: this.sessionId } : {}),
        ...(this.displayName !== undefined && this.displayName !== '' ? { name: this.displayName } : {}),
      }),
    );
  }

  private handleWelcome(frame: WelcomeFrame): void {
    if (this.ready) return;
    this.sessionId = frame.session;
    this.publicSessionId = frame.publicId;
    this.limits = frame.limits;
    this.ready = true;
    this.attemptReady = true;
    this.transport.markReady();
    this.events.emit('transport', this.chain.current);
    this.events.emit('connected', {
      session: frame.session,
      publicId: frame.publicId,
      resumed: frame.resumed,
      node: frame.node,
      limits: frame.limits,
    });
    if (!this.ready) return; // a listener disconnected

    // Renew every subscription, resuming where it left off.
    // Those the server made are made again by the server itself (and resumed when its frame comes).
    const subs = this.subs.all().filter((s) => !s.server);
    const resuming = subs.filter((s) => s.position !== undefined).map((s) => s.channel);
    this.round =
      resuming.length > 0 ? { waiting: new Set(resuming), recovered: [], unrecovered: [], failed: [] } : undefined;
    for (const sub of subs) this.sendSubscribe(sub);
    // Then everything still waiting for a reply, in the order it was made.
    for (const request of this.outbox.resendable()) this.flush(request.id);
  }

  private handleClose(info: CloseEventLike): void {
    // An attempt that never got its welcome: try the next transport (a working one is kept).
    if (!this.attemptReady) this.chain.failed();
    this.attemptReady = false;
    this.ready = false;
    this.helloSent = false;
    this.round = undefined;
    this.subs.connectionLost();
    this.outbox.connectionLost();
    this.events.emit('disconnected', info);
  }

  // ---- frames ------------------------------------------------------------

  /** A frame in this client's encoding. */
  private encode(frame: ClientFrame): EncodedFrame {
    return encodeFrame(frame, this.encoding);
  }

  private handleFrame(raw: string | ArrayBuffer | Uint8Array): void {
    const frame = parseServerFrame(raw);
    switch (frame.type) {
      case 'welcome':
        return this.handleWelcome(frame);
      case 'pub':
        return this.handlePub(frame);
      case 'subscribed':
        return this.handleSubscribed(frame);
      case 'unsubscribed':
        if (frame.id !== undefined) this.outbox.resolve(frame.id, undefined);
        else if (frame.code !== undefined) this.subscriptionEnded(frame.channel, frame.code, frame.error ?? frame.code);
        return;
      case 'authenticated':
        if (frame.id !== undefined && this.outbox.get(frame.id)?.kind === 'auth') {
          this.outbox.resolve(frame.id, { user: frame.user, expires: frame.expires } satisfies AuthResult);
        }
        return;
      case 'ack':
        return this.handleAck(frame);
      case 'history':
        return this.handleHistory(frame);
      case 'presence':
        return this.handlePresence(frame);
      case 'join':
      case 'leave': {
        const sub = this.subs.get(frame.channel);
        if (!sub?.presence) return;
        this.events.emit(frame.type, { channel: frame.channel, session: frame.session, name: frame.name, user: frame.user });
        return;
      }
      case 'error':
        return this.handleError(frame);
      case 'unrecovered': {
        // Publications were lost server-side (e.g. Redis restarted without its data): same event as a
        // failed resume, so the application resynchronizes.
        const position = { epoch: frame.epoch, offset: frame.offset };
        const previous = this.subs.lost(frame.channel, position);
        if (previous === undefined) return;
        this.events.emit('unrecovered', { channel: frame.channel, epoch: frame.epoch, offset: frame.offset, previous });
        return;
      }
      case 'dropped':
        if (this.subs.has(frame.channel)) this.events.emit('dropped', { channel: frame.channel, count: frame.count });
        return;
      case 'rpc':
        return this.handleRpc(frame);
      case 'unknown':
        return;
    }
  }

  private handlePub(frame: PubFrame): void {
    // Safety nets: never deliver our own publications, nor an offset already seen.
    const sub = this.subs.get(frame.channel);
    if (!sub) return;
    // A server-made subscription being resumed: what its fresh one delivers meanwhile comes again in the replay.
    if (sub.server && sub.requestId !== undefined && sub.sentSince !== undefined) return;
    if (!this.subs.accept(frame)) {
      this.counters.duplicatesDropped += 1;
      return;
    }
    if (frame.origin !== undefined && frame.origin === this.publicSessionId) {
      this.counters.ownDropped += 1;
      return;
    }
    const event: PublicationEvent = {
      channel: frame.channel,
      epoch: frame.epoch,
      offset: frame.offset,
      origin: frame.origin,
      timestamp: frame.timestamp,
      message: frame.message,
      payload: frame.payload,
      data: frame.data,
      bytes: frame.bytes,
    };
    this.events.emit('publication', event);
    this.handlers.get(frame.channel)?.(event);
  }

  private handleSubscribed(frame: SubscribedFrame): void {
    if (frame.id === undefined) return this.handleServerSubscribed(frame);
    const sub = this.subs.get(frame.channel);
    if (!sub || sub.requestId === undefined || frame.id !== sub.requestId) return;
    const outcome = this.subs.confirmed(sub, frame);
    const resumed = outcome.kind !== 'fresh';
    const recovered = outcome.kind === 'recovered';
    const info: SubscribedInfo = {
      channel: frame.channel,
      epoch: frame.epoch,
      offset: frame.offset,
      recovered,
      missed: recovered ? frame.missed : 0,
      resumed,
      ...(sub.server ? { server: true } : {}),
    };
    this.events.emit('subscribed', info);
    if (outcome.kind === 'recovered') {
      this.events.emit('recovered', { channel: frame.channel, epoch: frame.epoch, missed: frame.missed });
      this.round?.recovered.push({ channel: frame.channel, missed: frame.missed });
    } else if (outcome.kind === 'unrecovered') {
      this.events.emit('unrecovered', {
        channel: frame.channel,
        epoch: outcome.position.epoch,
        offset: outcome.position.offset,
        previous: outcome.previous,
      });
      this.round?.unrecovered.push(frame.channel);
    }
    this.resolveWaiters(frame.channel, info);
    if (this.round?.waiting.delete(frame.channel)) this.maybeFinishRound();
  }

  /**
   * A subscription the server made by itself (no id). New: registered, and its publications flow. Known from an
   * earlier connection: if the fresh one starts past the last position seen, the client resumes it from there
   * (allowed: being named by the token or the backend allows subscribing), so the gap is replayed.
   */
  private handleServerSubscribed(frame: SubscribedFrame): void {
    const existing = this.subs.get(frame.channel);
    // Our own subscribe of the channel is in flight: its reply is the one that counts.
    if (existing?.requestId !== undefined) return;
    const sub = existing ?? this.subs.addServerMade(frame.channel);
    const previous = sub.position;
    if (previous !== undefined && (previous.epoch !== frame.epoch || previous.offset < frame.offset)) {
      sub.subscribed = true;
      this.sendSubscribe(sub);
      return;
    }
    // No request, no `since`: confirmed as a fresh subscription (never moving back from a position already seen).
    this.subs.confirmed(sub, frame);
    const position = sub.position ?? { epoch: frame.epoch, offset: frame.offset };
    const info: SubscribedInfo = {
      channel: frame.channel,
      epoch: position.epoch,
      offset: position.offset,
      recovered: false,
      missed: 0,
      resumed: false,
      server: true,
    };
    this.events.emit('subscribed', info);
    this.resolveWaiters(frame.channel, info);
  }

  private handleRpc(frame: RpcReplyFrame): void {
    if (this.outbox.get(frame.id)?.kind !== 'rpc') return;
    this.outbox.resolve(frame.id, frame.data);
  }

  private handleAck(frame: AckFrame): void {
    const request = this.outbox.get(frame.id);
    if (request?.kind !== 'publish') return;
    this.unknownOutcomes.delete(frame.id);
    const result: PublishResult = {
      id: frame.id,
      channel: frame.channel,
      epoch: frame.epoch,
      offset: frame.offset,
      duplicate: frame.duplicate,
    };
    this.outbox.resolve(frame.id, result);
  }

  private handleHistory(frame: HistoryReplyFrame): void {
    if (frame.id === undefined || this.outbox.get(frame.id)?.kind !== 'history') return;
    this.outbox.resolve(frame.id, frame);
  }

  private handlePresence(frame: PresenceReplyFrame): void {
    if (frame.id === undefined || this.outbox.get(frame.id)?.kind !== 'presence') return;
    const result: PresenceResult = { channel: frame.channel, count: frame.count, members: frame.members };
    this.outbox.resolve(frame.id, result);
  }

  private handleError(frame: ErrorFrame): void {
    const error = new BroadcastError(frame.code, frame.error, frame.channel, frame.id);
    if (!this.ready && frame.id === undefined && this.helloSent) return this.handleHelloError(error);

    if (frame.id !== undefined) {
      const request = this.outbox.get(frame.id);
      if (request?.kind === 'publish' && frame.code === V2ErrorCode.PublishUnknown) return this.retryUnknown(request.id);
      if (request) {
        // Unsubscribing from a channel the server no longer has for us is what we wanted anyway.
        if (request.kind === 'unsubscribe' && frame.code === V2ErrorCode.NotSubscribed) this.outbox.resolve(frame.id, undefined);
        // Nothing was published and the server closes with 1001 next: keep the publish; it goes out again
        // (same id) after the reconnect, as after any connection lost before its ack.
        else if (request.kind === 'publish' && frame.code === V2ErrorCode.ShuttingDown) return;
        // Sent before on a connection that dropped before its ack, and now the transport is receive-only:
        // it may or may not have been published, which receive_only ("nothing was sent") would hide.
        else if (request.kind === 'publish' && frame.code === ClientErrorCode.ReceiveOnly && request.sends > 1) {
          this.outbox.reject(frame.id, new BroadcastError(
            ClientErrorCode.ConnectionLost,
            `The connection dropped before the ack of this publish and the ${this.chain.current} transport cannot publish: it may or may not have been published`,
            request.channel,
            frame.id,
          ));
        } else this.outbox.reject(frame.id, error);
        return;
      }
      const sub = this.subs.all().find((s) => s.requestId === frame.id);
      if (sub) return this.subscribeFailed(sub, error);
    }
    this.events.emit('error', error);
  }

  /** The server refused our hello: fix what it named and try again, or give up on this socket. */
  private handleHelloError(error: BroadcastError): void {
    if ((error.code === V2ErrorCode.SessionInvalid || error.code === V2ErrorCode.SessionForbidden) && this.sessionId !== undefined) {
      // The session cannot be resumed (another user's, or not a token at all): start a new one, and say so.
      this.sessionId = undefined;
      this.publicSessionId = undefined;
      if (error.code === V2ErrorCode.SessionForbidden) this.events.emit('error', error);
      this.sendHello();
      return;
    }
    if (error.code === V2ErrorCode.NameInvalid && this.displayName !== undefined) {
      this.displayName = undefined;
      this.events.emit('error', error);
      this.sendHello();
      return;
    }
    this.events.emit('error', error);
    this.transport.fail(`hello refused: ${error.code}`);
  }

  private subscribeFailed(sub: SubscriptionState, error: BroadcastError): void {
    this.subs.remove(sub.channel);
    const hadWaiters = (this.waiters.get(sub.channel)?.length ?? 0) > 0;
    this.rejectWaiters(sub.channel, error);
    if (!hadWaiters) this.events.emit('subscriptionError', error);
    if (this.round?.waiting.delete(sub.channel)) {
      this.round.failed.push(sub.channel);
      this.maybeFinishRound();
    }
  }

  /** The server ended a subscription by itself: forget it (no renewal after reconnects) and say so. */
  private subscriptionEnded(channel: string, code: string, reason: string): void {
    if (!this.subs.remove(channel)) return;
    this.rejectWaiters(channel, new BroadcastError(code, reason, channel));
    this.events.emit('subscriptionEnded', { channel, code, reason });
    if (this.round?.waiting.delete(channel)) {
      this.round.failed.push(channel);
      this.maybeFinishRound();
    }
  }

  // ---- helpers -----------------------------------------------------------

  private sendSubscribe(sub: SubscriptionState): void {
    const id = this.newRequestId();
    const since = this.subs.requested(sub, id);
    this.transport.send(
      this.encode({
        type: 'subscribe',
        id,
        channel: sub.channel,
        ...(since !== undefined ? { since: { epoch: since.epoch, offset: since.offset } } : {}),
        ...(sub.presence ? { presence: true } : {}),
      }),
    );
  }

  /**
   * A publish answered `publish_unknown` (the server's engine did not answer in time: it may have been
   * published): sent again with the same id after a backoff, until acknowledged or its deadline passes.
   * A reconnect meanwhile re-sends it anyway.
   */
  private retryUnknown(id: string): void {
    const attempt = this.unknownOutcomes.get(id) ?? 0;
    this.unknownOutcomes.set(id, attempt + 1);
    this.clock.setTimeout(() => {
      if (!this.outbox.has(id)) {
        this.unknownOutcomes.delete(id);
        return;
      }
      this.flush(id);
    }, computeDelay(attempt, this.random, this.backoff));
  }

  /** Sends a pending request now if the connection is ready (otherwise after the next welcome). */
  private flush(id: string): void {
    if (!this.ready) return;
    const request = this.outbox.get(id);
    if (!request) return;
    if (request.kind === 'publish' && request.sends > 0) this.counters.publishRetries += 1;
    if (this.transport.send(request.frame)) this.outbox.sent(id);
  }

  private maybeFinishRound(): void {
    const round = this.round;
    if (!round || round.waiting.size > 0) return;
    this.round = undefined;
    this.events.emit('resumed', {
      recovered: round.recovered,
      unrecovered: round.unrecovered,
      failed: round.failed,
      missed: round.recovered.reduce((sum, r) => sum + r.missed, 0),
    });
  }

  private resolveWaiters(channel: string, info: SubscribedInfo): void {
    const list = this.waiters.get(channel);
    this.waiters.delete(channel);
    for (const w of list ?? []) this.settleWaiter(w, info, undefined);
  }

  private rejectWaiters(channel: string, error: BroadcastError): void {
    const list = this.waiters.get(channel);
    this.waiters.delete(channel);
    for (const w of list ?? []) this.settleWaiter(w, undefined, error);
  }

  private settleWaiter(w: Waiter, info: SubscribedInfo | undefined, error: BroadcastError | undefined): void {
    this.clock.clearTimeout(w.timer);
    if (error) w.reject(error);
    else if (info) w.resolve(info);
  }

  private newRequestId(): string {
    return `r${++this.nextId}`;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The client has been closed');
  }
}

/** `url` with `access_token=<token>` (replacing one it may carry); unchanged without a token. */
export function withAccessToken(url: string, token: string | undefined): string {
  if (token === undefined || token === '') return url;
  const hash = url.indexOf('#');
  const base = hash < 0 ? url : url.slice(0, hash);
  const fragment = hash < 0 ? '' : url.slice(hash);
  const question = base.indexOf('?');
  const path = question < 0 ? base : base.slice(0, question);
  const params = (question < 0 ? '' : base.slice(question + 1))
    .split('&')
    .filter((p) => p !== '' && p.split('=')[0]?.toLowerCase() !== 'access_token');
  params.push(`access_token=${encodeURIComponent(token)}`);
  return `${path}?${params.join('&')}${fragment}`;
}

function badChannel(channel: unknown): BroadcastError {
  return new BroadcastError(
    ClientErrorCode.BadRequest,
    'A channel name is 1-128 characters of A-Z a-z 0-9 _ - . : @ /',
    typeof channel === 'string' ? channel : undefined,
  );
}
