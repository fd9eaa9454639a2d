/**
 * ReconnectingSocket: owns one WebSocket at a time and keeps it alive.
 *
 * When the connection closes for any reason other than `disconnect()`, it
 * schedules a new attempt with capped exponential backoff and full jitter
 * (backoff.ts). The backoff resets only after a connection stayed ready for
 * `stableAfterMs`, so a server that accepts and drops at once cannot cause a
 * tight loop. A browser `online` event skips the remaining wait.
 *
 * It knows nothing about frames: the protocol layer (client.ts) sends the
 * handshake on `socketOpen` and calls `markReady()` once the server answered;
 * until then the attempt counts as "connecting" and is bounded by
 * `connectTimeoutMs`. Everything touching the outside world (WebSocket,
 * timers, clock, randomness, `online`) is injectable.
 */
import { DEFAULT_BACKOFF, computeDelay, type BackoffOptions, type Rng } from './backoff.js';
import { CloseCode } from './codes.js';
import { Emitter } from './emitter.js';

/** The subset of the WebSocket API the client relies on (browser WebSocket and `ws` both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol?: string;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: CloseEventLike) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  /** Set to `arraybuffer` so binary frames (MessagePack) arrive as bytes rather than a Blob. */
  binaryType?: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export interface CloseEventLike {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

/** Creates a socket; `protocols` is the subprotocol list to offer. */
export type WebSocketFactory = (url: string, protocols: readonly string[]) => WebSocketLike;

/**
 * A WebSocket constructor: the browser's `WebSocket`, or `WebSocket` from the `ws` package in Node.
 * Typed loosely so both can be passed without casts.
 */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => unknown;

export type TimerHandle = unknown;

export interface Clock {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  now(): number;
}

/** Something that fires `online` (the browser window). */
export interface OnlineSource {
  addEventListener(type: 'online', listener: () => void): void;
  removeEventListener(type: 'online', listener: () => void): void;
}

/**
 * idle:         not connected and not trying (initial state, or after disconnect()).
 * connecting:   a socket is being opened, or the handshake is not finished.
 * open:         ready: the handshake completed.
 * reconnecting: waiting `retryDelayMs` (until `retryAt`) before the next attempt.
 */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting';

export interface ConnectionStatus {
  readonly state: ConnectionState;
  /** Consecutive attempts since the last stable connection. */
  readonly attempt: number;
  /** When the next attempt starts (clock ms); only while reconnecting. */
  readonly retryAt: number | undefined;
  /** The scheduled delay before that attempt (ms); only while reconnecting. */
  readonly retryDelayMs: number | undefined;
  /** When the current connection became ready (clock ms); only while open. */
  readonly openedAt: number | undefined;
  /** How the previous connection ended, if it did. */
  readonly lastClose: CloseEventLike | undefined;
}

export interface TransportEvents {
  status: ConnectionStatus;
  /** The socket opened; send the handshake now. */
  socketOpen: undefined;
  /** A frame arrived: text, or the bytes of a binary frame. */
  message: string | ArrayBuffer | Uint8Array;
  /** The current socket is gone (any reason). */
  close: CloseEventLike;
}

export interface TransportOptions {
  readonly url: string;
  readonly protocols?: readonly string[];
  readonly createSocket?: WebSocketFactory;
  readonly clock?: Clock;
  readonly random?: Rng;
  readonly backoff?: BackoffOptions;
  /** A connection must stay ready this long before the backoff resets (ms). Default 5000. */
  readonly stableAfterMs?: number;
  /** Give up on an attempt that has not become ready after this long (ms). Default 10000. */
  readonly connectTimeoutMs?: number;
  /** Source of `online` events; defaults to `window` when present. Pass null to disable. */
  readonly onlineSource?: OnlineSource | null;
}

const WS_OPEN = 1;

// Resolve globals at call time so test frameworks that patch them (fake timers) still work.
export const systemClock: Clock = {
  setTimeout: (cb, ms) => globalThis.setTimeout(cb, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
  now: () => Date.now(),
};

/** Wraps a WebSocket constructor (default: the global one) as a factory. */
export function socketFactory(ctor?: WebSocketConstructor): WebSocketFactory {
  return (url, protocols) => {
    const Ctor = ctor ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (Ctor === undefined) {
      throw new Error('No WebSocket available: pass one in the options (e.g. `WebSocket` from the "ws" package in Node).');
    }
    return new Ctor(url, [...protocols]) as WebSocketLike;
  };
}

function defaultOnlineSource(): OnlineSource | null {
  const w = (globalThis as { window?: Partial<OnlineSource> }).window;
  return w !== undefined && typeof w.addEventListener === 'function' && typeof w.removeEventListener === 'function'
    ? (w as OnlineSource)
    : null;
}

export class ReconnectingSocket {
  private readonly events = new Emitter<TransportEvents>();
  private readonly url: string;
  private readonly protocols: readonly string[];
  private readonly createSocket: WebSocketFactory;
  private readonly clock: Clock;
  private readonly random: Rng;
  private readonly backoff: BackoffOptions;
  private readonly stableAfterMs: number;
  private readonly connectTimeoutMs: number;
  private readonly onlineSource: OnlineSource | null;

  private ws: WebSocketLike | undefined;
  private state: ConnectionState = 'idle';
  private attempt = 0;
  private retryAt: number | undefined;
  private retryDelayMs: number | undefined;
  private openedAt: number | undefined;
  private lastClose: CloseEventLike | undefined;
  private retryTimer: TimerHandle | undefined;
  private stableTimer: TimerHandle | undefined;
  private connectTimer: TimerHandle | undefined;
  private disposed = false;

  constructor(options: TransportOptions) {
    this.url = options.url;
    this.protocols = options.protocols ?? [];
    this.createSocket = options.createSocket ?? socketFactory();
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.stableAfterMs = options.stableAfterMs ?? 5_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.onlineSource = options.onlineSource === undefined ? defaultOnlineSource() : options.onlineSource;
    this.onlineSource?.addEventListener('online', this.handleOnline);
  }

  on<K extends keyof TransportEvents>(event: K, listener: (payload: TransportEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  get status(): ConnectionStatus {
    const waiting = this.state === 'reconnecting';
    return {
      state: this.state,
      attempt: this.attempt,
      retryAt: waiting ? this.retryAt : undefined,
      retryDelayMs: waiting ? this.retryDelayMs : undefined,
      openedAt: this.state === 'open' ? this.openedAt : undefined,
      lastClose: this.lastClose,
    };
  }

  /** The current socket, for diagnostics and tests (e.g. to drop it abruptly). */
  get socket(): WebSocketLike | undefined {
    return this.ws;
  }

  /** Starts connecting (and keeps reconnecting) until disconnect(). Retries at once if waiting. */
  connect(): void {
    if (this.disposed) throw new Error('The client has been closed');
    if (this.state === 'open' || this.state === 'connecting') return;
    this.clearTimer('retryTimer');
    this.openSocket();
  }

  /** Closes the connection and stops reconnecting until connect() is called again. */
  disconnect(code: number = CloseCode.Normal, reason = 'client disconnect'): void {
    this.clearAllTimers();
    this.attempt = 0;
    this.retryAt = undefined;
    this.retryDelayMs = undefined;
    this.openedAt = undefined;
    const ws = this.ws;
    // Forget the socket first so its late close event does not trigger a reconnect.
    this.ws = undefined;
    if (this.state === 'idle' && !ws) return;
    this.state = 'idle';
    if (ws) {
      detach(ws);
      safeClose(ws, code, reason);
      const info = { code, reason, wasClean: true };
      this.lastClose = info;
      this.events.emit('close', info);
    }
    this.emitStatus();
  }

  /** Sends a frame (text, or bytes as a binary frame) if a socket is open; returns whether it was handed to the socket. */
  send(frame: string | Uint8Array): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WS_OPEN) return false;
    try {
      ws.send(frame);
      return true;
    } catch {
      return false;
    }
  }

  /** The handshake completed: the connection is ready. */
  markReady(): void {
    if (this.state !== 'connecting' || !this.ws) return;
    this.clearTimer('connectTimer');
    this.openedAt = this.clock.now();
    // Only a connection that survives a while proves the server is healthy;
    // resetting immediately would let an accept-then-close server cause fast loops.
    this.stableTimer = this.clock.setTimeout(() => {
      this.stableTimer = undefined;
      this.attempt = 0;
    }, this.stableAfterMs);
    this.state = 'open';
    this.emitStatus();
  }

  /** Abandons the current socket (e.g. a broken handshake) and reconnects with backoff. */
  fail(reason: string, code: number = CloseCode.ProtocolError): void {
    const ws = this.ws;
    if (!ws) return;
    detach(ws);
    // Browsers only accept 1000 or 3000-4999 from scripts; the local code goes to listeners only.
    safeClose(ws, undefined, reason);
    this.handleClose(ws, { code, reason, wasClean: false });
  }

  /** Disconnects and releases listeners; the instance cannot be reused. */
  dispose(): void {
    this.disconnect();
    this.onlineSource?.removeEventListener('online', this.handleOnline);
    this.events.clear();
    this.disposed = true;
  }

  private openSocket(): void {
    this.retryAt = undefined;
    this.retryDelayMs = undefined;
    this.state = 'connecting';
    this.emitStatus();
    let ws: WebSocketLike;
    try {
      ws = this.createSocket(this.url, this.protocols);
    } catch {
      // e.g. an invalid URL; treat like a failed attempt so backoff still applies.
      this.handleClose(undefined, { code: CloseCode.Abnormal, reason: 'socket creation failed', wasClean: false });
      return;
    }
    this.ws = ws;

    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.events.emit('socketOpen', undefined);
    };
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (event) => {
      const data = event.data;
      if (this.ws !== ws || !(typeof data === 'string' || data instanceof ArrayBuffer || data instanceof Uint8Array)) return;
      this.events.emit('message', data);
    };
    // Errors are always followed by a close event, which is where we react.
    ws.onerror = () => {};
    ws.onclose = (event) => {
      this.handleClose(ws, { code: event.code, reason: event.reason, wasClean: event.wasClean });
    };

    this.connectTimer = this.clock.setTimeout(() => {
      this.connectTimer = undefined;
      if (this.ws !== ws || this.state !== 'connecting') return;
      this.fail('connect timeout', CloseCode.ConnectTimeout);
    }, this.connectTimeoutMs);
  }

  private handleClose(ws: WebSocketLike | undefined, info: CloseEventLike): void {
    if (ws !== undefined && this.ws !== ws) return; // stale socket
    this.ws = undefined;
    this.clearTimer('connectTimer');
    this.clearTimer('stableTimer');
    this.openedAt = undefined;
    this.lastClose = info;
    this.events.emit('close', info);
    if (this.state === 'idle' || this.disposed) return;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.clearTimer('retryTimer');
    const delay = computeDelay(this.attempt, this.random, this.backoff);
    this.attempt += 1;
    this.retryDelayMs = delay;
    this.retryAt = this.clock.now() + delay;
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.openSocket();
    }, delay);
    this.state = 'reconnecting';
    this.emitStatus();
  }

  /** Arrow function so it can be added/removed as a listener. */
  private readonly handleOnline = (): void => {
    // Only skip the wait; do not reset the attempt count, so a flapping
    // network still backs off if the retry fails.
    if (this.state !== 'reconnecting') return;
    this.clearTimer('retryTimer');
    this.openSocket();
  };

  private emitStatus(): void {
    this.events.emit('status', this.status);
  }

  private clearTimer(name: 'retryTimer' | 'stableTimer' | 'connectTimer'): void {
    const handle = this[name];
    if (handle !== undefined) {
      this.clock.clearTimeout(handle);
      this[name] = undefined;
    }
  }

  private clearAllTimers(): void {
    this.clearTimer('retryTimer');
    this.clearTimer('stableTimer');
    this.clearTimer('connectTimer');
  }
}

const noop = (): void => {};

/**
 * Stops listening to a socket we abandon. Handlers become no-ops rather than
 * null: the `ws` package emits 'error' when a connecting socket is closed, and
 * an EventEmitter without an 'error' listener would throw.
 */
function detach(ws: WebSocketLike): void {
  ws.onopen = noop;
  ws.onclose = noop;
  ws.onmessage = noop;
  ws.onerror = noop;
}

function safeClose(ws: WebSocketLike, code: number | undefined, reason: string): void {
  try {
    if (code === undefined) ws.close();
    else ws.close(code, reason);
  } catch {
    // Closing an already-failed socket may throw in some environments; nothing to do.
  }
}
