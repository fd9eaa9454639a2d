/**
 * Events per minute: how many events arrived in the last 60 seconds, counted in one-second buckets so a
 * busy channel costs 60 numbers, not one timestamp per event.
 */
const BUCKETS = 60;

export class EventRate {
  private readonly counts = new Array<number>(BUCKETS).fill(0);
  /** The second (Math.floor(ms / 1000)) of the newest bucket. */
  private head: number | undefined;

  record(at: number, count = 1): void {
    this.advance(Math.floor(at / 1000));
    const second = Math.floor(at / 1000);
    // An event stamped before the window (a clock that stepped back) counts in the current second.
    const index = (this.head !== undefined && second < this.head - BUCKETS + 1 ? this.head : second) % BUCKETS;
    this.counts[index] = (this.counts[index] ?? 0) + count;
  }

  /** Events in the 60 seconds up to `now`. */
  perMinute(now: number): number {
    this.advance(Math.floor(now / 1000));
    return this.counts.reduce((sum, c) => sum + c, 0);
  }

  private advance(second: number): void {
    if (this.head === undefined) {
      this.head = second;
      return;
    }
    if (second <= this.head) return;
    const steps = Math.min(BUCKETS, second - this.head);
    for (let i = 1; i <= steps; i++) this.counts[(this.head + i) % BUCKETS] = 0;
    this.head = second;
  }
}
