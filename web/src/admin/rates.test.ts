import { describe, expect, it } from 'vitest';
import type { MetricsSnapshot } from './api';
import { formatBytesRate, formatRate, formatSeconds, latencyBetween, quantile, ratesBetween } from './rates';

const bounds = [0.001, 0.01, 0.1, 1];

function snapshot(time: string, overrides: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
  return {
    time,
    connectionsOpened: 0,
    connectionsClosed: 0,
    messagesReceived: 0,
    messagesPublished: 0,
    messagesDelivered: 0,
    messagesRejected: 0,
    bytesReceived: 0,
    bytesSent: 0,
    slowConsumerDisconnects: 0,
    slowConsumerDroppedFrames: 0,
    engineErrors: 0,
    queuedFrames: 0,
    maxQueuedFrames: 0,
    latencyBoundsSeconds: bounds,
    latencyCounts: [0, 0, 0, 0, 0],
    latencySumSeconds: 0,
    ...overrides,
  };
}

describe('ratesBetween', () => {
  it('divides the growth of each total by the seconds between the snapshots', () => {
    const rates = ratesBetween(
      snapshot('2026-01-01T00:00:00Z', { messagesPublished: 10, messagesDelivered: 100, bytesSent: 1000 }),
      snapshot('2026-01-01T00:00:02Z', { messagesPublished: 30, messagesDelivered: 500, bytesSent: 5096 }),
    );
    expect(rates).toMatchObject({ published: 10, delivered: 200, bytesOut: 2048, received: 0 });
  });

  it('gives no rate across a restart (a total went down) or without elapsed time', () => {
    const before = snapshot('2026-01-01T00:00:00Z', { messagesPublished: 50 });
    expect(ratesBetween(before, snapshot('2026-01-01T00:00:01Z', { messagesPublished: 2 }))).toBeUndefined();
    expect(ratesBetween(before, before)).toBeUndefined();
  });
});

describe('quantile', () => {
  it('interpolates inside the bucket holding the rank', () => {
    // 10 values: 5 in (0, 1 ms], 5 in (1 ms, 10 ms].
    expect(quantile(bounds, [5, 5, 0, 0, 0], 0.5)).toBeCloseTo(0.001);
    expect(quantile(bounds, [5, 5, 0, 0, 0], 0.75)).toBeCloseTo(0.0055);
  });

  it('reports values above the last bound as the last bound, and nothing for no values', () => {
    expect(quantile(bounds, [0, 0, 0, 0, 3], 0.99)).toBe(1);
    expect(quantile(bounds, [0, 0, 0, 0, 0], 0.5)).toBeUndefined();
  });
});

describe('latencyBetween', () => {
  it('uses only the deliveries made between the snapshots', () => {
    const latency = latencyBetween(
      snapshot('2026-01-01T00:00:00Z', { latencyCounts: [100, 0, 0, 0, 0] }),
      snapshot('2026-01-01T00:00:01Z', { latencyCounts: [100, 0, 4, 0, 0] }),
    );
    expect(latency.count).toBe(4);
    expect(latency.p50).toBeGreaterThan(0.01);
    expect(latency.p99).toBeLessThanOrEqual(0.1);
  });
});

describe('formatting', () => {
  it('formats rates, byte rates and latencies for people', () => {
    expect(formatRate(2.345)).toBe('2.3/s');
    expect(formatRate(1234.4)).toBe('1234/s');
    expect(formatRate(undefined)).toBe('—');
    expect(formatBytesRate(512)).toBe('512 B/s');
    expect(formatBytesRate(1536)).toBe('1.5 KiB/s');
    expect(formatSeconds(0.0004)).toBe('0.40 ms');
    expect(formatSeconds(0.0042)).toBe('4.2 ms');
    expect(formatSeconds(0.25)).toBe('250 ms');
    expect(formatSeconds(2)).toBe('2.00 s');
  });
});
