/**
 * HttpStreamSocket: the server's HTTP streaming transport (docs/protocol.md, "HTTP streaming") behind the
 * WebSocket interface the client drives, for networks that break WebSocket upgrades.
 *
 * `GET /stream` is read with fetch and a ReadableStream, one JSON frame per line; its first line carries
 * the stream's token, which opens the "socket". Every frame the client sends is POSTed to `/stream/send`
 * with that token: one POST at a time, what was sent meanwhile batched into the next one (one frame per
 * line), so the server handles frames in the order they were sent. The server's `close` line becomes the
 * close event with its code; a response that ends without it is an abnormal close (1006), like a
 * WebSocket that drops.
 */
import { CloseCode } from './codes.js';
import type { CloseEventLike, WebSocketLike } from './transport.js';
import { SUBPROTOCOL } from './protocol.js';

/** The subset of fetch the socket uses (the global one, or a test's). */
export type FetchLike = (input: string, init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal; cache?: 'no-store' }) => Promise<{
  readonly ok: boolean;
  readonly status: number;
  readonly body: ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
}>;

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** `ws://host/ws/events?x` → `http://host/stream?x` (the same host, query and token). */
export function streamUrl(socketUrl: string, path = '/stream'): string {
  const url = new URL(socketUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : url.protocol === 'ws:' ? 'http:' : url.protocol;
  url.pathname = path;
  return url.toString();
}

export class HttpStreamSocket implements WebSocketLike {
  readyState = CONNECTING;
  readonly protocol = SUBPROTOCOL;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: CloseEventLike) => void) | null = null;
  onmessage: ((event: { readonly data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  private readonly abort = new AbortController();
  private readonly fetchImpl: FetchLike;
  private readonly sendUrl: string;
  private token: string | undefined;
  private pending: string[] = [];
  private posting = false;
  private closed = false;

  constructor(
    socketUrl: string,
    fetchImpl?: FetchLike,
  ) {
    // Browsers' fetch must be called on the global object ("Illegal invocation" otherwise), not as a method of this.
    const globalFetch = (globalThis as { fetch?: FetchLike }).fetch;
    this.fetchImpl = fetchImpl ?? ((input, init) => (globalFetch as FetchLike).call(globalThis, input, init));
    this.sendUrl = streamUrl(socketUrl, '/stream/send').split('?')[0] as string;
    void this.read(streamUrl(socketUrl));
  }

  send(data: string): void {
    if (this.readyState !== OPEN) throw new Error('The stream is not open');
    this.pending.push(data);
    void this.flush();
  }

  close(code: number = CloseCode.Normal, reason = ''): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSING;
    this.finish({ code, reason, wasClean: true });
  }

  /** Drops the stream abruptly, like a network failure (tests): the close is abnormal (1006). */
  terminate(): void {
    this.finish({ code: CloseCode.Abnormal, reason: 'terminated', wasClean: false });
  }

  private async read(url: string): Promise<void> {
    let response;
    try {
      response = await this.fetchImpl(url, { method: 'GET', headers: { Accept: 'application/x-ndjson' }, signal: this.abort.signal, cache: 'no-store' });
    } catch {
      this.finish({ code: CloseCode.Abnormal, reason: 'stream request failed', wasClean: false });
      return;
    }
    if (!response.ok || response.body === null) {
      // Refused like an upgrade would be (401, 403, 429, 503): the status is all a WebSocket would not even tell.
      this.finish({ code: CloseCode.Abnormal, reason: `stream refused (HTTP ${response.status})`, wasClean: false });
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += decoder.decode(value, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line !== '' && this.line(line)) return;
        }
      }
    } catch {
      // Cut (or aborted by close()): the end below says so.
    }
    this.finish({ code: CloseCode.Abnormal, reason: 'stream ended', wasClean: false });
  }

  /** Handles one line; true when it was the last (the server's close). */
  private line(line: string): boolean {
    if (this.closed) return true;
    let frame: { type?: unknown; token?: unknown; code?: unknown; reason?: unknown };
    try {
      frame = JSON.parse(line) as typeof frame;
    } catch {
      frame = {};
    }
    if (this.token === undefined) {
      if (frame.type !== 'stream' || typeof frame.token !== 'string') {
        this.finish({ code: CloseCode.ProtocolError, reason: 'not a broadcast stream', wasClean: false });
        return true;
      }
      this.token = frame.token;
      this.readyState = OPEN;
      this.onopen?.({});
      return false;
    }
    if (frame.type === 'ping') return false;
    if (frame.type === 'close') {
      this.finish({
        code: typeof frame.code === 'number' ? frame.code : CloseCode.Abnormal,
        reason: typeof frame.reason === 'string' ? frame.reason : '',
        wasClean: true,
      });
      return true;
    }
    this.onmessage?.({ data: line });
    return false;
  }

  /** POSTs what waits, one POST at a time, so the server sees frames in the order they were sent. */
  private async flush(): Promise<void> {
    if (this.posting || this.pending.length === 0 || this.token === undefined) return;
    this.posting = true;
    const body = this.pending.join('\n');
    this.pending = [];
    try {
      const answer = await this.fetchImpl(this.sendUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-ndjson', 'Broadcast-Stream': this.token },
        body,
        signal: this.abort.signal,
      });
      if (answer.status !== 202 && !this.closed) {
        // 404/410: the stream is gone; 413: it ends with its own close line. Either way this stream is done.
        if (answer.status !== 413) this.finish({ code: CloseCode.Abnormal, reason: `send refused (HTTP ${answer.status})`, wasClean: false });
        return;
      }
    } catch {
      if (!this.closed) this.finish({ code: CloseCode.Abnormal, reason: 'send failed', wasClean: false });
      return;
    } finally {
      this.posting = false;
    }
    void this.flush();
  }

  private finish(info: CloseEventLike): void {
    if (this.closed) return;
    this.closed = true;
    this.readyState = CLOSED;
    this.pending = [];
    this.abort.abort();
    this.onclose?.(info);
  }
}
