/**
 * EventStreamReader: the server's Server-Sent Events (`GET /sse`, docs/protocol.md) for receive-only use,
 * read with fetch so it works in Node and browsers alike, and resumed like a browser's EventSource does:
 * every reconnect sends the last event's id as `Last-Event-ID`, which carries every channel's position, so
 * the server replays exactly what was missed (or says `recovered: false` in a `subscribed` event).
 *
 * It cannot publish; a page that also publishes uses BroadcastClient (WebSocket, then HTTP streaming).
 * A 4000-4999 close (the application meant this user to go) and refusals (HTTP 401, 403, 429) stop it.
 */
import { computeDelay, DEFAULT_BACKOFF, type BackoffOptions, type Rng } from './backoff.js';
import { Emitter } from './emitter.js';
import type { FetchLike } from './httpStream.js';
import { streamUrl } from './httpStream.js';
import { readServerSentEvents } from './sseEvents.js';

export interface EventStreamOptions {
  /** The server's WebSocket URL (`ws://host/ws/events`) or its base (`http://host`): `/sse` is derived from it. */
  readonly url: string;
  readonly channels: readonly string[];
  /** Sent as `access_token` (EventSource cannot send headers either). */
  readonly token?: string;
  /** Where to resume from: an event id from an earlier reader (`lastEventId`). */
  readonly lastEventId?: string;
  readonly presence?: boolean;
  readonly fetch?: FetchLike;
  readonly backoff?: BackoffOptions;
  readonly random?: Rng;
}

export interface EventStreamPublication {
  readonly channel: string;
  readonly epoch: string;
  readonly offset: number;
  readonly origin: string;
  readonly message: string;
  readonly timestamp: string;
}

export interface EventStreamEvents {
  /** The response started (each reconnect too). */
  open: undefined;
  publication: EventStreamPublication;
  /** A `subscribed` event: `recovered: false` (with a `since`) means the position was lost. */
  subscribed: { readonly channel: string; readonly epoch: string; readonly offset: number; readonly recovered: boolean | undefined };
  unrecovered: { readonly channel: string; readonly epoch: string; readonly offset: number };
  /** The server's last event (`{code, reason}`), or a cut (1006); a reconnect follows unless stopped. */
  close: { readonly code: number; readonly reason: string };
  /** Any other named event (`welcome`, `join`, `leave`, `dropped`, `broadcast-error`, …) with its JSON. */
  event: { readonly name: string; readonly data: unknown };
}

export class EventStreamReader {
  private readonly events = new Emitter<EventStreamEvents>();
  private readonly fetchImpl: FetchLike;
  private abort: AbortController | undefined;
  private running = false;
  private open = false;
  private attempt = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  /** The id of the last event that had one: every channel's position. */
  lastEventId: string | undefined;

  constructor(private readonly options: EventStreamOptions) {
    const globalFetch = (globalThis as { fetch?: FetchLike }).fetch;
    this.fetchImpl = options.fetch ?? ((input, init) => (globalFetch as FetchLike).call(globalThis, input, init));
    this.lastEventId = options.lastEventId;
  }

  on<K extends keyof EventStreamEvents>(event: K, listener: (payload: EventStreamEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.read();
  }

  stop(): void {
    this.running = false;
    if (this.retry !== undefined) clearTimeout(this.retry);
    this.abort?.abort();
  }

  /** True while a response is being read. */
  get isOpen(): boolean {
    return this.open;
  }

  /** Cuts the current response (tests: a network failure); the reader reconnects and resumes. False unless open. */
  terminate(): boolean {
    if (this.abort === undefined || !this.open) return false;
    this.abort.abort();
    return true;
  }

  private url(): string {
    const base = this.options.url.startsWith('ws') ? streamUrl(this.options.url, '/sse') : `${this.options.url.replace(/\/$/, '')}/sse`;
    const url = new URL(base);
    url.search = '';
    for (const channel of this.options.channels) url.searchParams.append('channel', channel);
    if (this.options.presence) url.searchParams.set('presence', 'true');
    if (this.options.token) url.searchParams.set('access_token', this.options.token);
    return url.toString();
  }

  private async read(): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    let close = { code: 1006, reason: 'stream ended' };
    let stop = false;
    try {
      const headers: Record<string, string> = { Accept: 'text/event-stream' };
      if (this.lastEventId !== undefined) headers['Last-Event-ID'] = this.lastEventId;
      const response = await this.fetchImpl(this.url(), { method: 'GET', headers, signal: abort.signal, cache: 'no-store' });
      if (!response.ok || response.body === null) {
        close = { code: 1006, reason: `refused (HTTP ${response.status})` };
        // Like EventSource: a refusal is final, except when the server is busy or draining.
        stop = response.status !== 503;
      } else {
        this.open = true;
        this.events.emit('open', undefined);
        const result = await this.parse(response.body);
        if (result !== undefined) {
          close = result;
          stop = result.code >= 4000 && result.code <= 4999;
        }
        this.attempt = 0;
      }
    } catch {
      // Cut or aborted: reconnect below (unless stopped).
    }
    this.abort = undefined;
    this.open = false;
    this.events.emit('close', close);
    if (stop) this.running = false;
    if (!this.running) return;
    const delay = computeDelay(this.attempt++, this.options.random ?? Math.random, this.options.backoff ?? DEFAULT_BACKOFF);
    this.retry = setTimeout(() => void this.read(), delay);
  }

  /** Reads events until the response ends; returns the server's close, if it sent one. */
  private parse(body: ReadableStream<Uint8Array>): Promise<{ code: number; reason: string } | undefined> {
    return readServerSentEvents(body, (event) => {
      if (event.id !== undefined) this.lastEventId = event.id;
      return this.dispatch(event.name, event.data);
    });
  }

  private dispatch(name: string, raw: string): { code: number; reason: string } | undefined {
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    switch (name) {
      case 'message':
        this.events.emit('publication', frame as unknown as EventStreamPublication);
        return undefined;
      case 'subscribed':
        this.events.emit('subscribed', {
          channel: String(frame['channel']),
          epoch: String(frame['epoch']),
          offset: Number(frame['offset']),
          recovered: typeof frame['recovered'] === 'boolean' ? frame['recovered'] : undefined,
        });
        return undefined;
      case 'unrecovered':
        this.events.emit('unrecovered', { channel: String(frame['channel']), epoch: String(frame['epoch']), offset: Number(frame['offset']) });
        return undefined;
      case 'close':
        return { code: Number(frame['code']), reason: String(frame['reason'] ?? '') };
      default:
        this.events.emit('event', { name, data: frame });
        return undefined;
    }
  }
}
