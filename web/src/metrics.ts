/**
 * Session counters shown in the metrics bar. Pure (time is passed in) so it
 * is trivial to test and independent of the UI.
 */
export interface MetricsSnapshot {
  readonly received: number;
  readonly sent: number;
  /** Milliseconds since the current connection opened; undefined while offline. */
  readonly onlineMs: number | undefined;
}

export class Metrics {
  private received = 0;
  private sent = 0;
  private connectedAt: number | undefined;

  recordReceived(): void {
    this.received += 1;
  }

  recordSent(): void {
    this.sent += 1;
  }

  /** Starts the online timer; each new connection restarts it ("since the last connect"). */
  markConnected(now: number): void {
    this.connectedAt = now;
  }

  markDisconnected(): void {
    this.connectedAt = undefined;
  }

  snapshot(now: number): MetricsSnapshot {
    return {
      received: this.received,
      sent: this.sent,
      // Clamp: a clock that steps backwards must not show negative time.
      onlineMs: this.connectedAt === undefined ? undefined : Math.max(0, now - this.connectedAt),
    };
  }
}

/** Formats a duration as H:MM:SS style `00:01:05` (hours grow past 99 if needed). */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.floor(Math.max(0, ms) / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(hours)}:${pad(minutes)}:${pad(seconds)}`;
}

/** Whole seconds left until `target`, rounded up so a countdown never shows 0 while waiting. */
export function secondsUntil(target: number, now: number): number {
  return Math.max(0, Math.ceil((target - now) / 1000));
}

/** A latency for people: `0.4 ms`, `12 ms`, `1.3 s`. */
export function formatLatency(ms: number): string {
  const tenths = Math.round(ms * 10) / 10;
  if (tenths < 10) return `${tenths.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Below this accuracy a latency is shown as a value; above it only its upper bound is honest. */
export const PRECISE_LATENCY_MS = 50;
