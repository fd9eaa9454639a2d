import { describe, expect, it } from 'vitest';
import { Metrics, formatDuration, formatLatency, secondsUntil } from './metrics';

describe('Metrics', () => {
  it('counts sent and received events independently', () => {
    const m = new Metrics();
    m.recordSent();
    m.recordReceived();
    m.recordReceived();
    expect(m.snapshot(0)).toMatchObject({ sent: 1, received: 2 });
  });

  it('has no online time before connecting or after disconnecting', () => {
    const m = new Metrics();
    expect(m.snapshot(1000).onlineMs).toBeUndefined();
    m.markConnected(1000);
    expect(m.snapshot(4500).onlineMs).toBe(3500);
    m.markDisconnected();
    expect(m.snapshot(9000).onlineMs).toBeUndefined();
  });

  it('measures online time from the latest connect, keeping counters across reconnects', () => {
    const m = new Metrics();
    m.markConnected(0);
    m.recordSent();
    m.markDisconnected();
    m.markConnected(60_000);
    expect(m.snapshot(65_000)).toEqual({ sent: 1, received: 0, onlineMs: 5000 });
  });

  it('never reports negative online time', () => {
    const m = new Metrics();
    m.markConnected(10_000);
    expect(m.snapshot(9000).onlineMs).toBe(0);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '00:00:00'],
    [999, '00:00:00'],
    [1000, '00:00:01'],
    [65_000, '00:01:05'],
    [3_600_000, '01:00:00'],
    [3_723_000, '01:02:03'],
    [100 * 3_600_000, '100:00:00'],
    [-5000, '00:00:00'],
  ])('%i ms -> %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});

describe('secondsUntil', () => {
  it('rounds up so a pending retry shows at least 1 s', () => {
    expect(secondsUntil(1100, 1000)).toBe(1);
    expect(secondsUntil(3000, 1000)).toBe(2);
    expect(secondsUntil(3001, 1000)).toBe(3);
    expect(secondsUntil(500, 1000)).toBe(0);
  });
});

describe('formatLatency', () => {
  it('keeps small values readable and switches to seconds past one', () => {
    expect(formatLatency(0.44)).toBe('0.4 ms');
    expect(formatLatency(1)).toBe('1.0 ms');
    expect(formatLatency(9.96)).toBe('10 ms');
    expect(formatLatency(12.4)).toBe('12 ms');
    expect(formatLatency(999)).toBe('999 ms');
    expect(formatLatency(1250)).toBe('1.3 s');
  });
});
