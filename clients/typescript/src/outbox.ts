/**
 * Requests waiting for their reply (publish → ack, history, presence,
 * unsubscribe), keyed by request id, each with a deadline.
 *
 * A request is sent when the connection is ready; if the connection drops
 * first, it stays here and `resendable()` hands it back after the next
 * handshake, with the same id and frame. For publishes that is what makes
 * retries safe: the server acknowledges a repeated id with the original offset
 * instead of publishing twice.
 */
import { ClientErrorCode } from './codes.js';
import { BroadcastError } from './errors.js';
import type { EncodedFrame } from './protocol.js';
import type { Clock, TimerHandle } from './transport.js';

export type RequestKind = 'publish' | 'history' | 'presence' | 'unsubscribe' | 'auth' | 'rpc';

export interface PendingRequest {
  readonly id: string;
  readonly kind: RequestKind;
  readonly channel: string;
  /** The encoded frame, re-sent as is. */
  readonly frame: EncodedFrame;
  /** Re-send after a reconnect (true), or settle with `onConnectionLost` (false). */
  readonly resend: boolean;
  /** How many times the frame was handed to a socket. */
  sends: number;
}

interface Entry extends PendingRequest {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: BroadcastError) => void;
  readonly timer: TimerHandle;
  readonly onConnectionLost: (() => unknown) | undefined;
  readonly sendOnce: boolean;
}

export interface AddRequest {
  readonly id: string;
  readonly kind: RequestKind;
  readonly channel: string;
  readonly frame: EncodedFrame;
  readonly timeoutMs: number;
  readonly resend: boolean;
  /** For requests that are not re-sent: the value they resolve with (or the error they reject with) when the connection drops. */
  readonly onConnectionLost?: () => unknown;
  /**
   * Not re-sent, but sent once: a request made while no connection is ready waits for the next one (rather
   * than being settled by `onConnectionLost` before it was ever sent).
   */
  readonly sendOnce?: boolean;
}

export class Outbox {
  // Map keeps insertion order, so re-sends go out in the order the caller made them.
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): PendingRequest | undefined {
    return this.entries.get(id);
  }

  /** Registers a request; the promise settles through resolve()/reject() or the deadline. */
  add<T>(request: AddRequest): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        if (!this.entries.delete(request.id)) return;
        reject(
          new BroadcastError(
            ClientErrorCode.Timeout,
            `No reply to ${request.kind} on "${request.channel}" within ${request.timeoutMs} ms`,
            request.channel,
            request.id,
          ),
        );
      }, request.timeoutMs);
      this.entries.set(request.id, {
        id: request.id,
        kind: request.kind,
        channel: request.channel,
        frame: request.frame,
        resend: request.resend,
        sends: 0,
        resolve: resolve as (value: unknown) => void,
        reject,
        timer,
        onConnectionLost: request.onConnectionLost,
        sendOnce: request.sendOnce ?? false,
      });
    });
  }

  /** Marks a request as handed to the socket. */
  sent(id: string): void {
    const entry = this.entries.get(id);
    if (entry) entry.sends += 1;
  }

  resolve(id: string, value: unknown): boolean {
    const entry = this.take(id);
    entry?.resolve(value);
    return entry !== undefined;
  }

  reject(id: string, error: BroadcastError): boolean {
    const entry = this.take(id);
    entry?.reject(error);
    return entry !== undefined;
  }

  /** Requests to send (again) once a connection is ready, oldest first. */
  resendable(): PendingRequest[] {
    return [...this.entries.values()].filter((e) => e.resend || (e.sendOnce && e.sends === 0));
  }

  /** The connection dropped: settles the requests that are not re-sent. */
  connectionLost(): void {
    for (const entry of [...this.entries.values()]) {
      if (entry.resend || (entry.sendOnce && entry.sends === 0)) continue;
      this.take(entry.id);
      const outcome = entry.onConnectionLost?.();
      if (outcome instanceof BroadcastError) entry.reject(outcome);
      else entry.resolve(outcome);
    }
  }

  rejectAll(error: (request: PendingRequest) => BroadcastError): void {
    for (const entry of [...this.entries.values()]) {
      this.take(entry.id);
      entry.reject(error(entry));
    }
  }

  private take(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    this.clock.clearTimeout(entry.timer);
    return entry;
  }
}
