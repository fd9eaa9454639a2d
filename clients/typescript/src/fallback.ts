/**
 * TransportChain: which transport the next connection attempt uses, and the fallback between them.
 *
 * The client tries its transports in order (by default WebSocket, then HTTP streaming; 'sse' can be added
 * last for a client that only receives). An attempt that
 * never became ready (the upgrade was refused or broken by a proxy, no WebSocket exists in this
 * environment, or nothing came back in time) moves the chain to the next transport for the next attempt;
 * after the last it starts over, so a network that heals gets WebSocket back. A transport that worked is
 * kept for later reconnects. Positions are the client's, not the transport's: the reconnect after a
 * fallback resumes the session and every channel from where it was (hello with the session, subscribe
 * with since), so nothing is lost or doubled.
 */
import { HttpStreamSocket, type FetchLike } from './httpStream.js';
import { SseSocket, type SseStart } from './sseSocket.js';
import type { WebSocketFactory, WebSocketLike } from './transport.js';

/**
 * `websocket`: `/ws/events` with `broadcast.v2`; `http-stream`: `GET /stream` + `POST /stream/send`;
 * `sse`: `GET /sse`, receive-only (publish, history, presence, rpc and authenticate fail with `receive_only`).
 */
export type TransportName = 'websocket' | 'http-stream' | 'sse';

export const DEFAULT_TRANSPORTS: readonly TransportName[] = ['websocket', 'http-stream'];

export class TransportChain {
  private index = 0;
  private readonly order: readonly TransportName[];

  constructor(
    order: readonly TransportName[],
    private readonly createWebSocket: WebSocketFactory,
    private readonly fetchImpl?: FetchLike,
    private readonly createHttpStream?: WebSocketFactory,
    /** The client's channels and positions when an 'sse' attempt starts (SSE names them in its URL). */
    private readonly sseStart: () => SseStart = () => ({ channels: [] }),
  ) {
    if (order.length === 0) throw new Error('At least one transport is needed');
    this.order = [...new Set(order)];
  }

  /** The transport of the current (or next) attempt. */
  get current(): TransportName {
    return this.order[this.index] as TransportName;
  }

  /** The attempt with the current transport did not become ready: the next attempt uses the next one. */
  failed(): void {
    this.index = (this.index + 1) % this.order.length;
  }

  /**
   * A socket of the current transport; one that cannot even be created here (no WebSocket in this
   * environment) moves on at once to the next.
   */
  create(url: string, protocols: readonly string[]): WebSocketLike {
    let lastError: unknown;
    for (let tried = 0; tried < this.order.length; tried++) {
      try {
        if (this.current === 'websocket') return this.createWebSocket(url, protocols);
        if (this.current === 'sse') return new SseSocket(url, this.sseStart(), this.fetchImpl);
        return this.createHttpStream
          ? this.createHttpStream(url, protocols)
          : new HttpStreamSocket(url, this.fetchImpl);
      } catch (error) {
        lastError = error;
        this.failed();
      }
    }
    throw lastError;
  }
}
