/**
 * Estimates θ = (server clock) − (this page's clock) from what the connection shows, as an interval that
 * every sample narrows (the NTP idea, without assuming symmetric paths):
 *
 * - a round trip: the server read `serverMs` at some local time between sending and receiving, so
 *   θ ∈ [serverMs − receivedAt, serverMs − sentAt] (a publish and its ack with the publication's timestamp,
 *   or a frame carrying the server's `time`);
 * - an HTTP `Date` header: the same, with two seconds of rounding and caching;
 * - a live publication: it cannot arrive before the server stamped it, so θ ≥ serverMs − receivedAt.
 *
 * Only recent samples count (clocks drift, and a page's clock can be stepped): the estimate intersects the
 * newest samples back in time and stops at the first that contradicts them. Times on the page side should
 * come from a monotonic clock (performance.timeOrigin + performance.now()).
 */
export interface OffsetEstimate {
  /** Best guess of θ in ms (the middle of the interval). */
  readonly offsetMs: number;
  /** Half the interval's width: θ is within offsetMs ± accuracyMs. */
  readonly accuracyMs: number;
  /** The interval itself. */
  readonly low: number;
  readonly high: number;
}

export interface Latency {
  /** Best guess, ms (never negative). */
  readonly ms: number;
  /** Largest latency the samples allow, ms. */
  readonly upperMs: number;
  readonly accuracyMs: number;
}

interface Sample {
  readonly at: number;
  readonly low: number;
  readonly high: number;
}

/** Samples older than this no longer count: 10 min of drift at 50 ppm is 30 ms. */
const MAX_AGE_MS = 10 * 60_000;
const MAX_SAMPLES = 64;
/** How far past an HTTP Date header's second the server's clock may be: the second itself, and a cached header's age. */
const HTTP_DATE_SPAN_MS = 2000;

export class ClockOffset {
  private samples: Sample[] = [];
  private cached: OffsetEstimate | undefined;
  private dirty = true;

  /** The server's clock read `serverMs` at a local time between `sentAt` and `receivedAt`. */
  addRoundTrip(serverMs: number, sentAt: number, receivedAt: number): void {
    if (!(receivedAt >= sentAt)) return;
    this.add({ at: receivedAt, low: serverMs - receivedAt, high: serverMs - sentAt });
  }

  /**
   * An HTTP `Date` header of a response to a request sent at `sentAt`: whole seconds, rounded down, and
   * servers cache it (Kestrel renews it once a second), so the server's clock read up to two seconds more.
   */
  addHttpDate(dateMs: number, sentAt: number, receivedAt: number): void {
    if (!(receivedAt >= sentAt)) return;
    this.add({ at: receivedAt, low: dateMs - receivedAt, high: dateMs + HTTP_DATE_SPAN_MS - sentAt });
  }

  /** A live publication stamped `serverMs` arrived at `receivedAt`. */
  addArrival(serverMs: number, receivedAt: number): void {
    const low = serverMs - receivedAt;
    const current = this.estimate();
    // Only a bound that narrows the interval is worth keeping (there is one per event).
    if (current && low <= current.low) return;
    this.add({ at: receivedAt, low, high: Infinity });
  }

  /** The current interval, or undefined while it is unbounded on either side. */
  estimate(): OffsetEstimate | undefined {
    if (!this.dirty) return this.cached;
    this.dirty = false;
    const newest = this.samples.at(-1);
    let low = -Infinity;
    let high = Infinity;
    for (let i = this.samples.length - 1; i >= 0; i--) {
      const s = this.samples[i]!;
      if (newest && newest.at - s.at > MAX_AGE_MS) break;
      const nextLow = Math.max(low, s.low);
      const nextHigh = Math.min(high, s.high);
      // An older sample that contradicts the newer ones was taken before a clock step: stop there.
      if (nextLow > nextHigh) break;
      low = nextLow;
      high = nextHigh;
    }
    this.cached =
      Number.isFinite(low) && Number.isFinite(high) ? { offsetMs: (low + high) / 2, accuracyMs: (high - low) / 2, low, high } : undefined;
    return this.cached;
  }

  /** Delivery latency of a publication stamped `serverMs` that arrived at `receivedAt`; undefined without an estimate. */
  latency(serverMs: number, receivedAt: number): Latency | undefined {
    const e = this.estimate();
    if (!e) return undefined;
    const upperMs = Math.max(0, receivedAt + e.high - serverMs);
    const lowerMs = Math.max(0, receivedAt + e.low - serverMs);
    return { ms: Math.max(0, receivedAt + e.offsetMs - serverMs), upperMs, accuracyMs: (upperMs - lowerMs) / 2 };
  }

  private add(sample: Sample): void {
    this.samples.push(sample);
    if (this.samples.length > MAX_SAMPLES) this.samples.splice(0, this.samples.length - MAX_SAMPLES);
    this.dirty = true;
  }
}
