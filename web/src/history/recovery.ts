/**
 * What to tell the reader after a reconnect. The client reports a channel as unrecovered whenever its
 * resume position could not be replayed, which after a server restart (the in-memory engine starts a new
 * epoch) is every channel, although nothing may be missing. A loss is impossible when both ends of the gap
 * are accounted for:
 *
 * - the old epoch: the connection ended with 1001 (going away), which the server sends only after the
 *   client's queue was written out (graceful shutdown), so everything of the old epoch that was delivered to
 *   this page arrived;
 * - the new epoch: its history, read from offset 0 up to where the new subscription went live, came back
 *   whole (first offset 1, nothing truncated).
 *
 * Anything else (an abrupt end such as kill -9 or a network cut, a manual disconnect during which the server
 * restarted, a history that no longer reaches back) keeps the "could not be recovered" notice.
 */
export type Notice =
  | { readonly kind: 'recovered'; readonly missed: number }
  | { readonly kind: 'unrecovered'; readonly channels: readonly string[] };

/** The close code of a graceful shutdown: the server wrote everything queued first. */
export const GOING_AWAY = 1001;

/** How a channel the server could not resume was checked against its history. */
export interface GapCheck {
  /** The previous connection ended with 1001 after the server drained it. */
  readonly graceful: boolean;
  /** The resume position was of another epoch (the channel's history had been lost: a restart). */
  readonly epochChanged: boolean;
  /** The history read to fill the gap had every publication of it. */
  readonly complete: boolean;
  /** Publications it added to the page. */
  readonly added: number;
}

export interface ResumeSummary {
  readonly unrecovered: readonly string[];
  /** Publications replayed by the server on the channels it could resume. */
  readonly missed: number;
}

/** The gap of this channel cannot have lost anything (see the file comment). */
export function nothingLost(check: GapCheck | undefined): boolean {
  return check !== undefined && check.graceful && check.epochChanged && check.complete;
}

export function resumeNotice(summary: ResumeSummary, checks: ReadonlyMap<string, GapCheck>): Notice | undefined {
  const lost = summary.unrecovered.filter((channel) => !nothingLost(checks.get(channel)));
  if (lost.length > 0) return { kind: 'unrecovered', channels: lost };
  const filled = summary.unrecovered.reduce((sum, channel) => sum + (checks.get(channel)?.added ?? 0), 0);
  const missed = summary.missed + filled;
  return missed > 0 ? { kind: 'recovered', missed } : undefined;
}
