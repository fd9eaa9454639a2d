/** Turns successive metric snapshots (totals since start) into per-second rates and latency quantiles. */
import type { MetricsSnapshot } from './api';

export interface Rates {
  received: number;
  published: number;
  delivered: number;
  rejected: number;
  bytesIn: number;
  bytesOut: number;
}

export interface Latency {
  /** Deliveries measured in the interval. */
  count: number;
  p50: number | undefined;
  p95: number | undefined;
  p99: number | undefined;
}

/**
 * Per-second rates between two snapshots of one node. Undefined when no time passed or a counter went
 * down (the node restarted): a rate across a restart would be meaningless.
 */
export function ratesBetween(previous: MetricsSnapshot, next: MetricsSnapshot): Rates | undefined {
  const seconds = (Date.parse(next.time) - Date.parse(previous.time)) / 1000;
  if (!(seconds > 0)) return undefined;
  const pairs: [keyof Rates, number, number][] = [
    ['received', previous.messagesReceived, next.messagesReceived],
    ['published', previous.messagesPublished, next.messagesPublished],
    ['delivered', previous.messagesDelivered, next.messagesDelivered],
    ['rejected', previous.messagesRejected, next.messagesRejected],
    ['bytesIn', previous.bytesReceived, next.bytesReceived],
    ['bytesOut', previous.bytesSent, next.bytesSent],
  ];
  const rates: Partial<Rates> = {};
  for (const [name, before, after] of pairs) {
    if (after < before) return undefined;
    rates[name] = (after - before) / seconds;
  }
  return rates as Rates;
}

/**
 * The q-quantile of a histogram (bucket counts, not cumulative, last bucket above every bound), with linear
 * interpolation inside the bucket, as Prometheus' histogram_quantile does. Values above the last bound
 * are reported as that bound (we only know they are larger).
 */
export function quantile(bounds: readonly number[], counts: readonly number[], q: number): number | undefined {
  const total = counts.reduce((sum, c) => sum + c, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i] ?? 0;
    if (count > 0 && seen + count >= rank) {
      if (i >= bounds.length) return bounds[bounds.length - 1];
      const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
      const upper = bounds[i] ?? lower;
      return lower + (upper - lower) * ((rank - seen) / count);
    }
    seen += count;
  }
  return bounds[bounds.length - 1];
}

/** Latency quantiles of the deliveries between two snapshots (the bucket counts' differences). */
export function latencyBetween(previous: MetricsSnapshot, next: MetricsSnapshot): Latency {
  const delta = next.latencyCounts.map((count, i) => Math.max(0, count - (previous.latencyCounts[i] ?? 0)));
  const bounds = next.latencyBoundsSeconds;
  return {
    count: delta.reduce((sum, c) => sum + c, 0),
    p50: quantile(bounds, delta, 0.5),
    p95: quantile(bounds, delta, 0.95),
    p99: quantile(bounds, delta, 0.99),
  };
}

export function formatRate(perSecond: number | undefined): string {
  if (perSecond === undefined) return '—';
  return perSecond >= 100 ? `${Math.round(perSecond)}/s` : `${perSecond.toFixed(1)}/s`;
}

export function formatBytesRate(perSecond: number | undefined): string {
  if (perSecond === undefined) return '—';
  const units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'];
  let value = perSecond;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined) return '—';
  if (seconds < 0.001) return `${(seconds * 1000).toFixed(2)} ms`;
  if (seconds < 1) return `${(seconds * 1000).toFixed(seconds < 0.01 ? 1 : 0)} ms`;
  return `${seconds.toFixed(2)} s`;
}

export function formatDuration(milliseconds: number): string {
  const total = Math.max(0, Math.floor(milliseconds / 1000));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${seconds}s`;
  return `${seconds}s`;
}
