import { describe, expect, it } from 'vitest';
import { EventRate } from './eventRate';

describe('EventRate', () => {
  it('counts the events of the last 60 seconds', () => {
    const r = new EventRate();
    r.record(1_000);
    r.record(1_500);
    r.record(30_000);
    expect(r.perMinute(30_000)).toBe(3);
    expect(r.perMinute(60_999)).toBe(3);
    expect(r.perMinute(61_000)).toBe(1); // the two of second 1 left the window
    expect(r.perMinute(90_000)).toBe(0);
  });

  it('starts from zero and survives long quiet spells', () => {
    const r = new EventRate();
    expect(r.perMinute(5_000)).toBe(0);
    r.record(5_000);
    expect(r.perMinute(10_000_000)).toBe(0);
    r.record(10_000_000, 4);
    expect(r.perMinute(10_000_000)).toBe(4);
  });

  it('counts a late-stamped event within the window in its own second, an older one now', () => {
    const r = new EventRate();
    r.record(100_000);
    r.record(70_000); // 30 s before the newest: still in the window
    expect(r.perMinute(100_000)).toBe(2);
    expect(r.perMinute(130_500)).toBe(1);
    r.record(1_000); // older than the window: counts now
    expect(r.perMinute(130_500)).toBe(2);
  });
});
