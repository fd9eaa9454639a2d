import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, backoffWindow, computeDelay } from './backoff.js';

describe('backoffWindow', () => {
  it('starts at the 0.5 s base and doubles per attempt', () => {
    expect(backoffWindow(0)).toBe(500);
    expect(backoffWindow(1)).toBe(1000);
    expect(backoffWindow(2)).toBe(2000);
    expect(backoffWindow(5)).toBe(16_000);
  });

  it('is capped at 20 s, even for huge attempt numbers', () => {
    expect(backoffWindow(6)).toBe(20_000);
    expect(backoffWindow(50)).toBe(20_000);
    expect(backoffWindow(5000)).toBe(20_000);
  });

  it('treats negative or invalid attempts as the first attempt', () => {
    expect(backoffWindow(-3)).toBe(500);
    expect(backoffWindow(Number.NaN)).toBe(500);
  });
});

describe('computeDelay (full jitter)', () => {
  it('scales the whole window by the rng value', () => {
    expect(computeDelay(3, () => 0.5)).toBe(2000); // window 4000
    expect(computeDelay(3, () => 0.25)).toBe(1000);
    expect(computeDelay(10, () => 0.5)).toBe(10_000); // window capped to 20000
  });

  it('never reaches the window upper bound and never exceeds the cap', () => {
    expect(computeDelay(0, () => 0.999999)).toBeLessThan(500);
    expect(computeDelay(40, () => 0.999999)).toBeLessThan(20_000);
    // A broken rng returning > 1 is clamped.
    expect(computeDelay(40, () => 7)).toBeLessThanOrEqual(20_000);
  });

  it('applies the floor so rng() === 0 cannot cause a tight loop', () => {
    expect(computeDelay(0, () => 0)).toBe(DEFAULT_BACKOFF.minMs);
    expect(computeDelay(9, () => 0)).toBe(DEFAULT_BACKOFF.minMs);
  });

  it('stays within [min, window) for many random draws and covers the window', () => {
    let seed = 42;
    // Small LCG so the test is deterministic but exercises many values.
    const rng = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let attempt = 0; attempt < 12; attempt++) {
      const window = backoffWindow(attempt);
      const delays = Array.from({ length: 400 }, () => computeDelay(attempt, rng));
      for (const d of delays) {
        expect(d).toBeGreaterThanOrEqual(DEFAULT_BACKOFF.minMs);
        expect(d).toBeLessThan(window);
      }
      // Full jitter: draws land in both the lower and the upper half of the window.
      expect(delays.some((d) => d < window / 2)).toBe(true);
      expect(delays.some((d) => d > window / 2)).toBe(true);
    }
  });

  it('grows on average with the attempt number until the cap', () => {
    const mid = () => 0.5;
    const values = [0, 1, 2, 3, 4, 5, 6, 7].map((a) => computeDelay(a, mid));
    expect(values).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('honours custom options', () => {
    expect(computeDelay(2, () => 0.5, { baseMs: 100, capMs: 300, minMs: 0 })).toBe(150);
  });
});
