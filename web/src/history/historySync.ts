/**
 * Reading history into the page: the recent past when a channel is first subscribed (so a reload does not
 * show an empty chat), and the publications of a gap the server could not replay on resume. Positions make
 * both safe to merge with live publications (ChannelStore.addHistory skips what is shown already).
 */
import type { BroadcastClient, SubscribedInfo } from '@broadcast/client';
import type { ChannelStore } from '../channels';

/** How many of the latest publications a newly opened channel shows. */
export const RECENT_ON_OPEN = 50;
/** The most one history request returns (docs/protocol.md, "History"). */
const MAX_LIMIT = 1000;

/** Reads the channel's latest publications, once per channel per page; returns how many were added. */
export async function loadRecent(client: BroadcastClient, store: ChannelStore, info: SubscribedInfo): Promise<number> {
  const view = store.get(info.channel);
  if (!view || view.historyLoaded) return 0;
  view.historyLoaded = true;
  if (info.offset === 0) return 0;
  const since = Math.max(0, info.offset - RECENT_ON_OPEN);
  const result = await client.history(info.channel, since, info.offset - since);
  // The epoch moved between the subscription and the read: the live stream no longer follows this history.
  if (result.epoch !== info.epoch) return 0;
  return store.addHistory(info.channel, result.epoch, result.publications, client.publicId);
}

export interface GapFill {
  /** Every publication after `after` up to `upTo` was read. */
  readonly complete: boolean;
  readonly added: number;
}

/**
 * Reads the publications after offset `after` up to `upTo` (where the live subscription started) of
 * `epoch` and merges them in, as unread on channels not shown.
 */
export async function fillGap(client: BroadcastClient, store: ChannelStore, channel: string, epoch: string, after: number, upTo: number): Promise<GapFill> {
  if (upTo <= after) return { complete: true, added: 0 };
  const wanted = upTo - after;
  const since = wanted > MAX_LIMIT ? upTo - MAX_LIMIT : after;
  const result = await client.history(channel, since, upTo - since);
  if (result.epoch !== epoch) return { complete: false, added: 0 };
  const inGap = result.publications.filter((p) => p.offset > after && p.offset <= upTo);
  // Pages are consecutive (docs/protocol.md): the first offset and the count prove there is no hole.
  const complete = wanted <= MAX_LIMIT && !result.truncated && inGap.length === wanted && inGap[0]?.offset === after + 1;
  const added = store.addHistory(channel, epoch, result.publications, client.publicId, true);
  return { complete, added };
}
