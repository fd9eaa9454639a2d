/**
 * Reconnect delays: exponential backoff with "full jitter"
 * (delay = random(0, min(cap, base * 2^attempt))).
 *
 * Full jitter spreads reconnecting clients evenly over the whole window, so a
 * server restart is not followed by every browser hammering it at the same
 * instant. A small floor keeps an unlucky rng() === 0 from producing a tight loop.
 */

export interface BackoffOptions {
  /** Window size for the first retry (attempt 0), in ms. */
  readonly baseMs: number;
  /** Upper bound of the window, in ms. */
  readonly capMs: number;
  /** Lower bound of any delay, in ms; guards against zero-delay retries. */
  readonly minMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 20_000, minMs: 100 };

/** Returns a number in [0, 1), like Math.random. Injected so tests are deterministic. */
export type Rng = () => number;

/** Upper bound of the jitter window for a given attempt (0-based). */
export function backoffWindow(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const safeAttempt = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  // 2^attempt overflows to Infinity for large attempts; Math.min handles that fine.
  const exponential = options.baseMs * 2 ** safeAttempt;
  return Math.min(options.capMs, exponential);
}

/** Delay in ms before reconnect attempt number `attempt` (0-based). */
export function computeDelay(
  attempt: number,
  rng: Rng = Math.random,
  options: BackoffOptions = DEFAULT_BACKOFF,
): number {
  const window = backoffWindow(attempt, options);
  // Clamp rng output so a misbehaving source can never exceed the window.
  const r = Math.min(Math.max(rng(), 0), 1);
  const jittered = Math.floor(r * window);
  return Math.min(Math.max(jittered, options.minMs), window);
}
