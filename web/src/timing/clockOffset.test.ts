import { describe, expect, it } from 'vitest';
import { ClockOffset } from './clockOffset';

// The server's clock runs 5,000 ms ahead of the page's in these tests: θ = 5000.
const THETA = 5000;

describe('ClockOffset', () => {
  it('has no estimate until the offset is bounded on both sides', () => {
    const c = new ClockOffset();
    expect(c.estimate()).toBeUndefined();
    c.addArrival(1000 + THETA, 1010); // lower bound only
    expect(c.estimate()).toBeUndefined();
    expect(c.latency(1000 + THETA, 1010)).toBeUndefined();
  });

  it('brackets the offset with a round trip, within half the round trip', () => {
    const c = new ClockOffset();
    // Sent at 1000, answered at 1040; the server stamped it 15 ms after sending (asymmetric paths).
    c.addRoundTrip(1015 + THETA, 1000, 1040);
    const e = c.estimate();
    expect(e?.low).toBe(THETA - 25);
    expect(e?.high).toBe(THETA + 15);
    expect(e?.accuracyMs).toBe(20);
    expect(Math.abs((e?.offsetMs ?? 0) - THETA)).toBeLessThanOrEqual(e?.accuracyMs ?? 0);
  });

  it('narrows with more samples and with the arrivals of live events', () => {
    const c = new ClockOffset();
    c.addRoundTrip(1015 + THETA, 1000, 1040);
    c.addRoundTrip(2002 + THETA, 2000, 2004);
    expect(c.estimate()?.accuracyMs).toBe(2);
    c.addArrival(3000 + THETA, 3001); // arrived 1 ms after being stamped: θ ≥ THETA − 1
    expect(c.estimate()?.low).toBe(THETA - 1);
  });

  it('reads an HTTP Date header with its second of rounding and a second of caching', () => {
    const c = new ClockOffset();
    // The server's clock read 10,000.7 s (Date says 10,000 s) while the request was in flight.
    c.addHttpDate(10_000_000, 10_000_700 - THETA - 5, 10_000_700 - THETA + 5);
    const e = c.estimate();
    expect(e).toBeDefined();
    expect(e!.low).toBeLessThanOrEqual(THETA);
    expect(e!.high).toBeGreaterThanOrEqual(THETA);
    expect(e!.accuracyMs).toBeGreaterThan(1000);
    // A cached header, a second old: still within the interval.
    const cached = new ClockOffset();
    cached.addHttpDate(10_000_000 - 1000, 10_000_700 - THETA - 5, 10_000_700 - THETA + 5);
    expect(cached.estimate()!.high).toBeGreaterThanOrEqual(THETA);
  });

  it('gives each event a latency, never negative, with the samples’ accuracy', () => {
    const c = new ClockOffset();
    c.addRoundTrip(1000 + THETA, 999, 1001); // θ = THETA ± 1
    // Stamped at server time 5000 + THETA, arrived 12 ms later on the page's clock.
    const l = c.latency(5000 + THETA, 5012);
    expect(l?.ms).toBe(12);
    expect(l?.accuracyMs).toBe(1);
    expect(l?.upperMs).toBe(13);
    expect(c.latency(5000 + THETA, 4990)?.ms).toBe(0);
  });

  it('forgets samples that contradict newer ones (the page clock was stepped)', () => {
    const c = new ClockOffset();
    c.addRoundTrip(1000 + THETA, 999, 1001);
    // The page's clock jumped 1 h back: the same server time now maps to another offset.
    c.addRoundTrip(2000 + THETA, 2000 - 3_600_000 - 1, 2000 - 3_600_000 + 1);
    expect(c.estimate()?.offsetMs).toBe(THETA + 3_600_000);
  });

  it('forgets samples older than ten minutes', () => {
    const c = new ClockOffset();
    c.addRoundTrip(1000 + THETA, 999, 1001); // tight but old
    c.addRoundTrip(1000 + THETA + 700_000, 700_000, 700_100); // loose and recent
    expect(c.estimate()?.accuracyMs).toBe(50);
  });
});
