/**
 * SseSocket: the server's Server-Sent Events (`GET /sse`, docs/protocol.md) as the client's last-resort,
 * receive-only transport ('sse' in `transports`), behind the WebSocket interface the client drives.
 *
 * The server makes up the session's requests from the URL (hello, then one subscribe per channel with its
 * `since`), so the stream is opened with the client's channels and their positions, and the client's own
 * hello and subscribes are answered from it: the stream's first `welcome` is passed on, each `subscribed`
 * (whose id is the channel) is given the id of the client's subscribe for that channel. A subscribe to a
 * channel the stream lacks, or an unsubscribe, reopens the stream with the new set, resuming every other
 * channel from the last position passed on (the client drops anything at or below it, so nothing doubles).
 * Requests SSE cannot carry (publish, history, presence, rpc, auth) are answered `receive_only` at once,
 * so they fail clearly instead of waiting for their timeout.
 */
import { ClientErrorCode, CloseCode } from './codes.js';
import type { FetchLike } from './httpStream.js';
import { streamUrl } from './httpStream.js';
import { SUBPROTOCOL, type StreamPosition } from './protocol.js';
import { readServerSentEvents } from './sseEvents.js';
import type { CloseEventLike, WebSocketLike } from './transport.js';

/** One channel the stream is opened with, and where the client is in it. */
export interface SseChannel {
  readonly channel: string;
  readonly position: StreamPosition | undefined;
  readonly presence: boolean;
}

/** What the client holds when an 'sse' attempt starts. */
export interface SseStart {
  readonly channels: readonly SseChannel[];
  readonly name?: string | undefined;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

/** Frames the server's /sse session cannot be sent (it cannot publish, nor ask for anything). */
const REQUESTS = new Set(['publish', 'history', 'presence', 'rpc', 'auth']);

type Frame = Record<string, unknown>;

export class SseSocket implements WebSocketLike {
  readyState = CONNECTING;
  readonly protocol = SUBPROTOCOL;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: CloseEventLike) => void) | null = null;
  onmessage: ((event: { readonly data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  private readonly fetchImpl: FetchLike;
  private readonly channels = new Map<string, { presence: boolean }>();
  private readonly positions = new Map<string, StreamPosition>();
  /** channel → id of the client's subscribe not answered yet. */
  private readonly pending = new Map<string, string>();
  private abort: AbortController | undefined;
  private welcomed = false;
  private closed = false;

  constructor(
    private readonly socketUrl: string,
    start: SseStart,
    fetchImpl?: FetchLike,
  ) {
    const globalFetch = (globalThis as { fetch?: FetchLike }).fetch;
    this.fetchImpl = fetchImpl ?? ((input, init) => (globalFetch as FetchLike).call(globalThis, input, init));
    for (const c of start.channels) {
      this.channels.set(c.channel, { presence: c.presence });
      if (c.position !== undefined) this.positions.set(c.channel, c.position);
    }
    if (this.channels.size === 0) {
      // The server needs a channel (400 channel_required): with none there is nothing to receive here.
      queueMicrotask(() => this.finish({ code: CloseCode.Abnormal, reason: 'sse needs at least one channel', wasClean: false }));
      return;
    }
    void this.read(start.name);
  }

  send(data: string | Uint8Array): void {
    if (this.readyState !== OPEN) throw new Error('The stream is not open');
    if (typeof data !== 'string') throw new Error('SSE carries JSON frames only');
    let frame: Frame;
    try {
      frame = JSON.parse(data) as Frame;
    } catch {
      return;
    }
    const type = String(frame['type']);
    const id = typeof frame['id'] === 'string' ? frame['id'] : undefined;
    const channel = typeof frame['channel'] === 'string' ? frame['channel'] : undefined;
    if (type === 'subscribe' && channel !== undefined && id !== undefined) return this.subscribe(channel, id, frame);
    if (type === 'unsubscribe' && channel !== undefined) return this.unsubscribe(channel, id);
    if (REQUESTS.has(type) && id !== undefined) {
      this.reply({
        type: 'error',
        id,
        code: ClientErrorCode.ReceiveOnly,
        error: `${type} is not possible over SSE (receive-only): use WebSocket or HTTP streaming`,
        ...(channel !== undefined ? { channel } : {}),
      });
    }
    // hello: the server said hello from the URL already.
  }

  close(code: number = CloseCode.Normal, reason = ''): void {
    this.finish({ code, reason, wasClean: true });
  }

  /** Drops the stream abruptly, like a network failure (tests): the close is abnormal (1006). */
  terminate(): void {
    this.finish({ code: CloseCode.Abnormal, reason: 'terminated', wasClean: false });
  }

  private subscribe(channel: string, id: string, frame: Frame): void {
    this.pending.set(channel, id);
    const presence = frame['presence'] === true;
    const known = this.channels.get(channel);
    if (known !== undefined && (known.presence || !presence)) return; // the stream's subscribed answers it
    this.channels.set(channel, { presence });
    this.reopen();
  }

  private unsubscribe(channel: string, id: string | undefined): void {
    this.channels.delete(channel);
    this.pending.delete(channel);
    this.positions.delete(channel);
    if (id !== undefined) this.reply({ type: 'unsubscribed', id, channel });
    // With no channel left the stream stays as it is (the server needs one); its publications are dropped here.
    if (this.channels.size > 0) this.reopen();
  }

  private reopen(): void {
    this.abort?.abort();
    void this.read(undefined);
  }

  private url(name: string | undefined): string {
    const url = new URL(streamUrl(this.socketUrl, '/sse'));
    const token = url.searchParams.get('access_token');
    url.search = '';
    for (const channel of this.channels.keys()) url.searchParams.append('channel', channel);
    const since = [...this.positions].filter(([c]) => this.channels.has(c)).map(([c, p]) => `${c}=${p.epoch}:${p.offset}`);
    if (since.length > 0) url.searchParams.set('since', since.join(','));
    if ([...this.channels.values()].some((c) => c.presence)) url.searchParams.set('presence', 'true');
    if (name !== undefined && name !== '') url.searchParams.set('name', name);
    if (token !== null) url.searchParams.set('access_token', token);
    return url.toString();
  }

  private async read(name: string | undefined): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    let close: CloseEventLike = { code: CloseCode.Abnormal, reason: 'stream ended', wasClean: false };
    try {
      const response = await this.fetchImpl(this.url(name), { method: 'GET', headers: { Accept: 'text/event-stream' }, signal: abort.signal, cache: 'no-store' });
      if (!response.ok || response.body === null) {
        close = { code: CloseCode.Abnormal, reason: `sse refused (HTTP ${response.status})`, wasClean: false };
      } else {
        if (this.readyState === CONNECTING && !this.closed) {
          this.readyState = OPEN;
          this.onopen?.({});
        }
        const last = await readServerSentEvents(response.body, (event) => (this.abort === abort ? this.event(event.name, event.data) : close));
        if (last !== undefined) close = last;
      }
    } catch {
      // Cut, refused, or aborted by a reopen or close(): see below.
    }
    // A reopen replaced this response: the new one carries on.
    if (this.abort === abort) this.finish(close);
  }

  /** Handles one event; returns the close it stood for when it was the last. */
  private event(name: string, raw: string): CloseEventLike | undefined {
    if (this.closed) return { code: CloseCode.Normal, reason: '', wasClean: true };
    let frame: Frame;
    try {
      frame = JSON.parse(raw) as Frame;
    } catch {
      return undefined;
    }
    if (name === 'close') {
      return { code: typeof frame['code'] === 'number' ? frame['code'] : CloseCode.Abnormal, reason: String(frame['reason'] ?? ''), wasClean: true };
    }
    const channel = typeof frame['channel'] === 'string' ? frame['channel'] : undefined;
    if (channel !== undefined && !this.channels.has(channel)) return undefined; // unsubscribed meanwhile
    if (name === 'welcome') {
      // A reopened stream is a new server session; the client keeps the first one's welcome.
      if (!this.welcomed) this.deliver(frame);
      this.welcomed = true;
      return undefined;
    }
    if (name === 'subscribed' && channel !== undefined) return this.subscribed(channel, frame);
    if (name === 'broadcast-error') return this.error(frame);
    if (name === 'unsubscribed' && channel !== undefined && frame['id'] === undefined) {
      // The server ended it (the application unsubscribed the user): a reopen must not ask for it again.
      this.channels.delete(channel);
      this.positions.delete(channel);
    }
    if (name === 'message') this.advance(channel, frame);
    this.deliver(frame);
    return undefined;
  }

  private subscribed(channel: string, frame: Frame): undefined {
    const id = this.pending.get(channel);
    this.pending.delete(channel);
    if (id !== undefined) {
      this.advance(channel, frame);
      this.deliver({ ...frame, id });
    } else if (frame['recovered'] === false) {
      // A reopen could not resume this channel: what was in between is lost, as `unrecovered` says.
      this.advance(channel, frame);
      this.deliver({ type: 'unrecovered', channel, epoch: frame['epoch'], offset: frame['offset'] });
    }
    return undefined;
  }

  /** A refused subscribe names its channel as the id (the server made the request): give it the client's. */
  private error(frame: Frame): undefined {
    const channel = typeof frame['id'] === 'string' ? frame['id'] : undefined;
    const id = channel !== undefined ? this.pending.get(channel) : undefined;
    if (channel !== undefined && id !== undefined) {
      this.pending.delete(channel);
      this.channels.delete(channel);
      this.deliver({ ...frame, id });
    } else {
      this.deliver(frame);
    }
    return undefined;
  }

  /** Remembers the position passed on to the client, to resume from on a reopen. */
  private advance(channel: string | undefined, frame: Frame): void {
    if (channel === undefined || typeof frame['epoch'] !== 'string' || typeof frame['offset'] !== 'number') return;
    const current = this.positions.get(channel);
    if (current !== undefined && current.epoch === frame['epoch'] && current.offset >= frame['offset']) return;
    this.positions.set(channel, { epoch: frame['epoch'], offset: frame['offset'] });
  }

  private deliver(frame: Frame): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  /** A local answer, after the send that asked (as a server's would come). */
  private reply(frame: Frame): void {
    queueMicrotask(() => {
      if (!this.closed) this.deliver(frame);
    });
  }

  private finish(info: CloseEventLike): void {
    if (this.closed) return;
    this.closed = true;
    this.readyState = CLOSED;
    this.abort?.abort();
    this.onclose?.(info);
  }
}
