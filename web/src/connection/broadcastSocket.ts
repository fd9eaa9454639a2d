/**
 * BroadcastSocket: a small, UI-free client for the broadcast server.
 *
 * It owns one WebSocket at a time and keeps it alive: when the connection
 * closes for any reason other than `disconnect()`, it schedules a reconnect
 * with capped exponential backoff and full jitter. Everything that touches
 * the outside world (WebSocket constructor, timers, clock, randomness, the
 * browser's `online` event) is injectable so the logic can be tested with
 * fakes and reused outside the browser.
 */
import { DEFAULT_BACKOFF, computeDelay, type BackoffOptions, type Rng } from './backoff';
import { Emitter } from './emitter';
import {
  byteLength,
  encodeMessage,
  parseFrame,
  type BroadcastEvent,
  type ServerErrorEvent,
} from './protocol';

/** The subset of the browser WebSocket this client relies on. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: CloseEventLike) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface CloseEventLike {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

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
 * connecting:   a WebSocket is being opened.
 * open:         connected; send() works.
 * reconnecting: waiting for the backoff timer before the next attempt.
 */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting';

export interface StatusSnapshot {
  readonly state: ConnectionState;
  /** Consecutive reconnect attempts since the last stable connection. */
  readonly attempt: number;
  /** When the next attempt starts (clock ms); only while reconnecting. */
  readonly retryAt: number | undefined;
  /** When the current connection opened (clock ms); only while open. */
  readonly openedAt: number | undefined;
  /** How the previous connection ended, if it did. */
  readonly lastClose: CloseEventLike | undefined;
}

export interface BroadcastSocketEvents {
  status: StatusSnapshot;
  message: BroadcastEvent;
  serverError: ServerErrorEvent;
  open: undefined;
  close: CloseEventLike;
}

export type SendResult = 'sent' | 'not-connected' | 'too-large';

export interface BroadcastSocketOptions {
  readonly url: string;
  readonly createSocket?: WebSocketFactory;
  readonly clock?: Clock;
  readonly random?: Rng;
  readonly backoff?: BackoffOptions;
  /** A connection must stay open this long before the backoff resets (ms). */
  readonly stableAfterMs?: number;
  /** Give up on a connection attempt that has not opened after this long (ms). */
  readonly connectTimeoutMs?: number;
  /** Largest outbound frame in UTF-8 bytes; the server closes with 1009 above its limit. */
  readonly maxFrameBytes?: number;
  /** Source of `online` events; defaults to `window` when present. Pass null to disable. */
  readonly onlineSource?: OnlineSource | null;
}

const WS_OPEN = 1;
/** Close code used locally when a connection attempt times out (never sent on the wire). */
export const CLOSE_CONNECT_TIMEOUT = 4000;
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;

// Resolve globals at call time so test frameworks that patch them (fake timers) still work.
const defaultClock: Clock = {
  setTimeout: (cb, ms) => globalThis.setTimeout(cb, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
  now: () => Date.now(),
};

const defaultFactory: WebSocketFactory = (url) => new WebSocket(url) as unknown as WebSocketLike;

function defaultOnlineSource(): OnlineSource | null {
  return typeof window !== 'undefined' && typeof window.addEventListener === 'function' ? window : null;
}

export class BroadcastSocket {
  private readonly events = new Emitter<BroadcastSocketEvents>();
  private readonly url: string;
  private readonly createSocket: WebSocketFactory;
  private readonly clock: Clock;
  private readonly random: Rng;
  private readonly backoff: BackoffOptions;
  private readonly stableAfterMs: number;
  private readonly connectTimeoutMs: number;
  private readonly maxFrameBytes: number;
  private readonly onlineSource: OnlineSource | null;

  private ws: WebSocketLike | undefined;
  private state: ConnectionState = 'idle';
  private attempt = 0;
  private retryAt: number | undefined;
  private openedAt: number | undefined;
  private lastClose: CloseEventLike | undefined;
  private retryTimer: TimerHandle | undefined;
  private stableTimer: TimerHandle | undefined;
  private connectTimer: TimerHandle | undefined;
  private disposed = false;

  constructor(options: BroadcastSocketOptions) {
    this.url = options.url;
    this.createSocket = options.createSocket ?? defaultFactory;
    this.clock = options.clock ?? defaultClock;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.stableAfterMs = options.stableAfterMs ?? 5_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.onlineSource = options.onlineSource === undefined ? defaultOnlineSource() : options.onlineSource;
    this.onlineSource?.addEventListener('online', this.handleOnline);
  }

  on<K extends keyof BroadcastSocketEvents>(
    event: K,
    listener: (payload: BroadcastSocketEvents[K]) => void,
  ): () => void {
    return this.events.on(event, listener);
  }

  get status(): StatusSnapshot {
    return {
      state: this.state,
      attempt: this.attempt,
      retryAt: this.state === 'reconnecting' ? this.retryAt : undefined,
      openedAt: this.state === 'open' ? this.openedAt : undefined,
      lastClose: this.lastClose,
    };
  }

  /** Starts connecting (and keeps reconnecting) until disconnect(). Retries at once if waiting. */
  connect(): void {
    if (this.disposed) throw new Error('BroadcastSocket has been disposed');
    if (this.state === 'open' || this.state === 'connecting') return;
    this.clearTimer('retryTimer');
    this.openSocket();
  }

  /** Closes the connection and stops reconnecting until connect() is called again. */
  disconnect(): void {
    this.clearAllTimers();
    this.attempt = 0;
    this.retryAt = undefined;
    this.openedAt = undefined;
    const ws = this.ws;
    // Forget the socket first so its late close event does not trigger a reconnect.
    this.ws = undefined;
    if (ws) {
      detach(ws);
      try {
        ws.close(1000, 'client disconnect');
      } catch {
        // Closing an already-failed socket may throw in some environments; nothing to do.
      }
    }
    this.setState('idle');
  }

  /** Sends one event. Returns why it was not sent instead of throwing. */
  send(text: string): SendResult {
    const ws = this.ws;
    if (this.state !== 'open' || !ws || ws.readyState !== WS_OPEN) return 'not-connected';
    const frame = encodeMessage(text);
    if (byteLength(frame) > this.maxFrameBytes) return 'too-large';
    ws.send(frame);
    return 'sent';
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
    this.setState('connecting');
    let ws: WebSocketLike;
    try {
      ws = this.createSocket(this.url);
    } catch {
      // e.g. an invalid URL; treat like a failed attempt so backoff still applies.
      this.handleClose(undefined, { code: 1006, reason: 'socket creation failed', wasClean: false });
      return;
    }
    this.ws = ws;

    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.clearTimer('connectTimer');
      this.openedAt = this.clock.now();
      // Only a connection that survives a while proves the server is healthy;
      // resetting immediately would let an accept-then-close server cause fast loops.
      this.stableTimer = this.clock.setTimeout(() => {
        this.stableTimer = undefined;
        this.attempt = 0;
      }, this.stableAfterMs);
      this.setState('open');
      this.events.emit('open', undefined);
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws || typeof event.data !== 'string') return;
      const frame = parseFrame(event.data);
      if (frame.kind === 'message') this.events.emit('message', frame.event);
      else if (frame.kind === 'error') this.events.emit('serverError', frame.event);
    };
    // Errors are always followed by a close event, which is where we react.
    ws.onerror = () => {};
    ws.onclose = (event) => {
      this.handleClose(ws, { code: event.code, reason: event.reason, wasClean: event.wasClean });
    };

    this.connectTimer = this.clock.setTimeout(() => {
      this.connectTimer = undefined;
      if (this.ws !== ws || this.state !== 'connecting') return;
      detach(ws);
      try {
        ws.close();
      } catch {
        // ignore: we are abandoning this socket anyway
      }
      this.handleClose(ws, { code: CLOSE_CONNECT_TIMEOUT, reason: 'connect timeout', wasClean: false });
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
    const delay = computeDelay(this.attempt, this.random, this.backoff);
    this.attempt += 1;
    this.retryAt = this.clock.now() + delay;
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.openSocket();
    }, delay);
    this.setState('reconnecting');
  }

  /** Arrow function so it can be added/removed as a listener. */
  private readonly handleOnline = (): void => {
    // Only skip the wait; do not reset the attempt count, so a flapping
    // network still backs off if the retry fails.
    if (this.state !== 'reconnecting') return;
    this.clearTimer('retryTimer');
    this.openSocket();
  };

  private setState(state: ConnectionState): void {
    this.state = state;
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

function detach(ws: WebSocketLike): void {
  ws.onopen = null;
  ws.onclose = null;
  ws.onmessage = null;
  ws.onerror = null;
}
