/**
 * Per-channel subscription state: what the client wants to be subscribed to,
 * and the stream position (epoch, highest offset seen) it resumes from.
 *
 * Pure bookkeeping, no I/O: the client asks it what `since` to send, tells it
 * the server's `subscribed` reply (and learns whether that recovered the
 * stream), and runs every publication through `accept()`, which drops
 * anything at or below the last offset seen: a safety net against duplicates.
 */
import type { PubFrame, StreamPosition, SubscribedFrame } from './protocol.js';

export interface SubscriptionState {
  readonly channel: string;
  /** Deliver join/leave events for this channel. */
  presence: boolean;
  /** Where this client is in the channel's stream; undefined until the first reply. */
  position: StreamPosition | undefined;
  /** Whether the current connection has a confirmed subscription. */
  subscribed: boolean;
  /** Id of the subscribe request in flight (replies with another id are stale). */
  requestId: string | undefined;
  /** The `since` sent with that request. */
  sentSince: StreamPosition | undefined;
  /**
   * Made by the server (a token's `channels` claim, the connect proxy, the user channel): the server subscribes
   * it again on every connection, so the client does not; it only resumes it when the server's fresh one left a gap.
   */
  server: boolean;
}

/** What a `subscribed` reply meant. */
export type SubscribeOutcome =
  /** No `since` was sent: live from the reply's offset. */
  | { readonly kind: 'fresh'; readonly position: StreamPosition }
  /** Resumed: `missed` publications are replayed right after the reply. */
  | { readonly kind: 'recovered'; readonly position: StreamPosition; readonly missed: number }
  /** The position could not be recovered; live from the reply's offset, events in between are lost. */
  | {
      readonly kind: 'unrecovered';
      readonly position: StreamPosition;
      readonly previous: StreamPosition;
    };

export class SubscriptionRegistry {
  private readonly subs = new Map<string, SubscriptionState>();

  get(channel: string): SubscriptionState | undefined {
    return this.subs.get(channel);
  }

  has(channel: string): boolean {
    return this.subs.has(channel);
  }

  /** Registers a channel (or updates its options); `since` seeds the position to resume from. */
  add(channel: string, presence: boolean, since?: StreamPosition): SubscriptionState {
    let sub = this.subs.get(channel);
    if (!sub) {
      sub = { channel, presence, position: since, subscribed: false, requestId: undefined, sentSince: undefined, server: false };
      this.subs.set(channel, sub);
    } else {
      sub.presence = presence;
      if (since !== undefined) sub.position = since;
    }
    return sub;
  }

  /** Registers a subscription the server made by itself (its `subscribed` frame had no id). */
  addServerMade(channel: string): SubscriptionState {
    const sub = this.add(channel, false);
    sub.server = true;
    return sub;
  }

  remove(channel: string): SubscriptionState | undefined {
    const sub = this.subs.get(channel);
    this.subs.delete(channel);
    return sub;
  }

  channels(): string[] {
    return [...this.subs.keys()];
  }

  all(): SubscriptionState[] {
    return [...this.subs.values()];
  }

  clear(): void {
    this.subs.clear();
  }

  /** The connection is gone: nothing is subscribed on the server any more, positions stay. */
  connectionLost(): void {
    for (const sub of this.subs.values()) {
      sub.subscribed = false;
      sub.requestId = undefined;
      sub.sentSince = undefined;
    }
  }

  /** Records a subscribe request about to be sent; returns the `since` to put in it. */
  requested(sub: SubscriptionState, requestId: string): StreamPosition | undefined {
    sub.requestId = requestId;
    sub.sentSince = sub.position;
    return sub.position;
  }

  /** Applies a `subscribed` reply to the request it answers. */
  confirmed(sub: SubscriptionState, reply: SubscribedFrame): SubscribeOutcome {
    const since = sub.sentSince;
    sub.subscribed = true;
    sub.requestId = undefined;
    sub.sentSince = undefined;
    const live: StreamPosition = { epoch: reply.epoch, offset: reply.offset };

    if (since === undefined) {
      // A publication may already have been seen (resubscribe in place): never move backwards.
      const current = sub.position;
      sub.position =
        current !== undefined && current.epoch === reply.epoch && current.offset > reply.offset ? current : live;
      return { kind: 'fresh', position: sub.position };
    }
    if (reply.recovered && reply.epoch === since.epoch) {
      // The replay follows; keep the highest offset already seen so it can be deduplicated.
      const current = sub.position;
      sub.position =
        current !== undefined && current.epoch === since.epoch && current.offset > since.offset ? current : since;
      return { kind: 'recovered', position: sub.position, missed: reply.missed };
    }
    sub.position = live;
    return { kind: 'unrecovered', position: live, previous: since };
  }

  /**
   * The server says publications before `position` were lost while this subscription stayed live:
   * continue from there. Returns the position given up, or undefined for channels not registered.
   */
  lost(channel: string, position: StreamPosition): StreamPosition | undefined {
    const sub = this.subs.get(channel);
    if (!sub) return undefined;
    const previous = sub.position ?? position;
    sub.position = position;
    return previous;
  }

  /**
   * Decides whether a publication is new and advances the position if so.
   * Returns false for channels not registered and for offsets already seen.
   */
  accept(pub: PubFrame): boolean {
    const sub = this.subs.get(pub.channel);
    if (!sub) return false;
    const pos = sub.position;
    if (pos !== undefined && pos.epoch === pub.epoch && pub.offset <= pos.offset) return false;
    sub.position = { epoch: pub.epoch, offset: pub.offset };
    return true;
  }
}
