/**
 * Feeds ClockOffset from the connection:
 * - `hello` → `welcome` and `publish` → `ack` round trips, when the server puts its `time` in those frames
 *   (a server addition: web/README.md, "Server additions");
 * - without it, a publish → ack round trip plus the publication's timestamp, read back with one `history`
 *   request (the page's own publications are never delivered to it). That needs the person to publish; it
 *   is done while the estimate is coarse, at most every 30 s.
 * Live arrivals and HTTP `Date` headers are added by the page directly.
 */
import type { ServerExtras } from '../wire/serverExtras';
import type { ClockOffset } from './clockOffset';

/** An estimate this good needs no more history look-ups. */
export const GOOD_ACCURACY_MS = 25;
const LOOKUP_EVERY_MS = 30_000;
const MAX_PENDING = 256;

export interface PublishTiming {
  readonly sentAt: number;
  readonly ackedAt: number;
  /** The ack carried the server's time, already used. */
  readonly timed: boolean;
}

export class ClockSampler {
  private helloSentAt: number | undefined;
  private readonly publishSent = new Map<string, number>();
  private readonly acked = new Map<string, PublishTiming>();
  private lastLookup = -Infinity;

  constructor(
    private readonly clock: ClockOffset,
    private readonly now: () => number,
  ) {}

  /** A frame the client sent. */
  sent(raw: string): void {
    if (!raw.startsWith('{"type":"hello"') && !raw.startsWith('{"type":"publish"')) return;
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return;
    }
    const at = this.now();
    if (frame['type'] === 'hello') this.helloSentAt = at;
    else if (typeof frame['id'] === 'string' && !this.publishSent.has(frame['id'])) {
      // A re-send after a reconnect keeps the first send time: the server may have taken the first one.
      this.publishSent.set(frame['id'], at);
      trim(this.publishSent);
    }
  }

  extras(extras: ServerExtras): void {
    const at = this.now();
    if (extras.type === 'welcome') {
      if (extras.time !== undefined && this.helloSentAt !== undefined) this.clock.addRoundTrip(extras.time, this.helloSentAt, at);
      this.helloSentAt = undefined;
      return;
    }
    if (extras.type !== 'ack') return;
    const sentAt = this.publishSent.get(extras.id);
    if (sentAt === undefined) return;
    this.publishSent.delete(extras.id);
    if (extras.time !== undefined) this.clock.addRoundTrip(extras.time, sentAt, at);
    this.acked.set(extras.id, { sentAt, ackedAt: at, timed: extras.time !== undefined });
    trim(this.acked);
  }

  /**
   * The timing of an acknowledged publish, if a history look-up of its timestamp is worth it now; the
   * caller then reads the publication and calls `publicationTime`.
   */
  lookupWanted(id: string): PublishTiming | undefined {
    const timing = this.acked.get(id);
    this.acked.delete(id);
    if (!timing || timing.timed) return undefined;
    const estimate = this.clock.estimate();
    if (estimate && estimate.accuracyMs <= GOOD_ACCURACY_MS) return undefined;
    if (timing.ackedAt - this.lastLookup < LOOKUP_EVERY_MS) return undefined;
    this.lastLookup = timing.ackedAt;
    return timing;
  }

  /** The server's timestamp of a publication whose publish and ack were timed. */
  publicationTime(serverMs: number, timing: PublishTiming): void {
    this.clock.addRoundTrip(serverMs, timing.sentAt, timing.ackedAt);
  }
}

function trim<K, V>(map: Map<K, V>): void {
  while (map.size > MAX_PENDING) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) return;
    map.delete(oldest);
  }
}
