/**
 * A WebSocket factory for BroadcastClient (its `createSocket` option) that lets the page see what the
 * client does not expose: whether an attempt's socket ever opened (a failed upgrade closes without
 * opening, and browsers hide its HTTP status), the raw frames (fields of `welcome` and `ack` that newer
 * servers add), when frames were sent (for round-trip clock samples), and the token each attempt presents.
 * The client still owns the socket: every handler it sets is called as before.
 */
import type { CloseEventLike, WebSocketFactory, WebSocketLike } from '@broadcast/client';

export interface WireObserver {
  /** The socket of an attempt opened (the upgrade succeeded). */
  readonly opened?: (attempt: number) => void;
  /**
   * The socket closed: `opened` says whether it ever opened, `byClient` whether the client closed it
   * (disconnect, a broken handshake, a connect timeout) rather than the server or the network.
   */
  readonly closed?: (attempt: number, info: { readonly opened: boolean; readonly byClient: boolean; readonly event: CloseEventLike }) => void;
  /** A text frame from the server, before the client sees it. */
  readonly received?: (raw: string) => void;
  /** A text frame the client is handing to the socket. */
  readonly sent?: (raw: string) => void;
}

export interface TapOptions {
  readonly inner: WebSocketFactory;
  readonly observer: WireObserver;
  /** The token to present on the next attempt (replaces any `access_token` in the URL); undefined: none. */
  readonly token?: () => string | undefined;
}

/** `url` with `access_token` set to `token`, or removed when there is none. */
export function withToken(url: string, token: string | undefined): string {
  const parsed = new URL(url);
  parsed.searchParams.delete('access_token');
  if (token !== undefined && token !== '') parsed.searchParams.set('access_token', token);
  return parsed.toString();
}

export function tappedSocketFactory(options: TapOptions): WebSocketFactory {
  let attempts = 0;
  return (url, protocols) => {
    const target = options.token ? withToken(url, options.token()) : url;
    return new TappedSocket(options.inner(target, protocols), ++attempts, options.observer);
  };
}

type Handler<E> = ((event: E) => void) | null;

class TappedSocket implements WebSocketLike {
  onopen: Handler<unknown> = null;
  onclose: Handler<CloseEventLike> = null;
  onmessage: Handler<{ readonly data: unknown }> = null;
  onerror: Handler<unknown> = null;
  private didOpen = false;
  private closing = false;

  constructor(
    private readonly inner: WebSocketLike,
    private readonly attempt: number,
    private readonly observer: WireObserver,
  ) {
    inner.onopen = (event) => {
      this.didOpen = true;
      observer.opened?.(attempt);
      this.onopen?.(event);
    };
    inner.onmessage = (event) => {
      if (typeof event.data === 'string') observer.received?.(event.data);
      this.onmessage?.(event);
    };
    inner.onerror = (event) => this.onerror?.(event);
    inner.onclose = (event) => {
      observer.closed?.(attempt, { opened: this.didOpen, byClient: this.closing, event });
      this.onclose?.(event);
    };
  }

  get readyState(): number {
    return this.inner.readyState;
  }

  /** Browser sockets (and `ws`) always have one; '' until the upgrade chose a subprotocol. */
  get protocol(): string {
    return this.inner.protocol ?? '';
  }

  send(data: string): void {
    // Observed first: a round trip measured from here can only be longer than the real one, never shorter.
    this.observer.sent?.(data);
    this.inner.send(data);
  }

  close(code?: number, reason?: string): void {
    this.closing = true;
    if (code === undefined) this.inner.close();
    else this.inner.close(code, reason);
  }
}
