/**
 * What the page knows per joined channel: the two message views, unread
 * count and presence members. Pure state (no DOM, no socket) so it is easy to
 * test; the UI renders from it.
 *
 * Entries carry their stream position (epoch, offset) when known, so the same publication is never shown
 * twice, whichever way it came: live, replayed after a reconnect, or read from history (on open, or to fill
 * a gap), and one's own publications (shown locally when sent) are recognised in history by their ack's
 * offset.
 */
import type { PayloadKind } from '@broadcast/client';
import { displayText, type PayloadView } from './payloadText';
import type { Latency } from './timing/clockOffset';

export type EntryState = 'received' | 'pending' | 'sent' | 'failed';
/** How an entry came: sent from this page, delivered live, replayed after a reconnect, or read from history. */
export type EntrySource = 'sent' | 'live' | 'replay' | 'history';

export interface ChatEntry {
  readonly text: string;
  /** A publication's payload kind (`data` is shown as formatted JSON); absent for plain messages. */
  readonly kind?: PayloadKind | undefined;
  readonly time: Date;
  /** Sent by this page's session (shown on the right in Chat). */
  readonly own: boolean;
  /** Display name of the sender when known (from presence), else undefined. */
  readonly author: string | undefined;
  state: EntryState;
  /** Position in the channel's stream: received entries, and own ones once acknowledged. */
  epoch: string | undefined;
  offset: number | undefined;
  readonly source: EntrySource;
  /** Delivery latency, for live deliveries only. */
  readonly latency: Latency | undefined;
}

export interface Member {
  readonly session: string;
  readonly name: string | null;
}

export interface ChannelView {
  readonly name: string;
  broadcasts: ChatEntry[];
  chat: ChatEntry[];
  unread: number;
  /** Current members by session, in join order. */
  readonly members: Map<string, Member>;
  /** Whether `members` was read on the current connection (false: the last list known, maybe outdated). */
  membersFresh: boolean;
  /** Names seen on this channel by session, kept after they leave (to label old messages). */
  readonly names: Map<string, string>;
  /** Positions (`epoch:offset`) already shown. */
  readonly seen: Set<string>;
  /** Whether recent history was read when the channel was first subscribed. */
  historyLoaded: boolean;
}

/** A publication that arrived live or was replayed. */
export interface IncomingPublication {
  readonly text: string;
  readonly kind?: PayloadKind | undefined;
  readonly time: Date;
  readonly origin: string | undefined;
  readonly epoch: string;
  readonly offset: number;
  /** Replayed after a reconnect rather than delivered live. */
  readonly replayed?: boolean;
  readonly latency?: Latency | undefined;
}

/** A publication read from history. */
export interface HistoryPublication extends PayloadView {
  readonly offset: number;
  readonly origin: string | undefined;
  readonly timestamp: string | undefined;
}

export const DEFAULT_CHANNEL = 'events';

/** Positions remembered per channel for deduplication (more than any list holds). */
const MAX_SEEN = 5000;

const key = (epoch: string, offset: number) => `${epoch}:${offset}`;

export class ChannelStore {
  private readonly views = new Map<string, ChannelView>();
  private selectedName: string | undefined;

  constructor(private readonly maxItems = 500) {}

  get selected(): string | undefined {
    return this.selectedName;
  }

  get selectedView(): ChannelView | undefined {
    return this.selectedName === undefined ? undefined : this.views.get(this.selectedName);
  }

  list(): string[] {
    return [...this.views.keys()];
  }

  has(name: string): boolean {
    return this.views.has(name);
  }

  get(name: string): ChannelView | undefined {
    return this.views.get(name);
  }

  /** Adds a channel (selecting it if nothing is selected); false if it was already there. */
  join(name: string): boolean {
    if (this.views.has(name)) return false;
    this.views.set(name, {
      name,
      broadcasts: [],
      chat: [],
      unread: 0,
      members: new Map(),
      membersFresh: false,
      names: new Map(),
      seen: new Set(),
      historyLoaded: false,
    });
    this.selectedName ??= name;
    return true;
  }

  /** Removes a channel; if it was selected, the first remaining one is selected. */
  leave(name: string): void {
    this.views.delete(name);
    if (this.selectedName === name) this.selectedName = this.views.keys().next().value;
  }

  select(name: string): boolean {
    const view = this.views.get(name);
    if (!view) return false;
    this.selectedName = name;
    view.unread = 0;
    return true;
  }

  /**
   * A publication from someone else; returns the entry, or undefined for unknown channels and for a
   * position already shown.
   */
  addReceived(channel: string, pub: IncomingPublication): ChatEntry | undefined {
    const view = this.views.get(channel);
    if (!view || !this.markSeen(view, pub.epoch, pub.offset)) return undefined;
    const entry: ChatEntry = {
      text: pub.text,
      kind: pub.kind,
      time: pub.time,
      own: false,
      author: pub.origin === undefined ? undefined : view.names.get(pub.origin),
      state: 'received',
      epoch: pub.epoch,
      offset: pub.offset,
      source: pub.replayed === true ? 'replay' : 'live',
      latency: pub.latency,
    };
    push(view.broadcasts, entry, this.maxItems);
    push(view.chat, entry, this.maxItems);
    if (channel !== this.selectedName) view.unread += 1;
    return entry;
  }

  /** One of ours, shown in Chat only. */
  addOwn(channel: string, text: string, time: Date): ChatEntry | undefined {
    const view = this.views.get(channel);
    if (!view) return undefined;
    const entry = ownEntry(text, time, 'pending', 'sent');
    push(view.chat, entry, this.maxItems);
    return entry;
  }

  /** The server acknowledged one of ours at this position. */
  acknowledged(channel: string, entry: ChatEntry, epoch: string, offset: number): void {
    entry.epoch = epoch;
    entry.offset = offset;
    const view = this.views.get(channel);
    if (view) this.markSeen(view, epoch, offset);
  }

  /**
   * Merges publications read from history (oldest first) into the views, in stream order, skipping every
   * position already shown. Those whose origin is `ownId` (this session) are ours: matched to the entry
   * shown when it was sent (by offset, or a pending one with the same text), or else shown as ours.
   * Returns how many entries were added. A `gap` (publications missed while away, read to fill what the
   * server could not replay) shows them as replayed and counts them as unread on a channel not selected.
   */
  addHistory(channel: string, epoch: string, publications: readonly HistoryPublication[], ownId: string | undefined, gap = false): number {
    const view = this.views.get(channel);
    if (!view) return 0;
    let added = 0;
    for (const pub of publications) {
      if (view.seen.has(key(epoch, pub.offset))) continue;
      const time = pub.timestamp === undefined ? new Date(NaN) : new Date(pub.timestamp);
      if (ownId !== undefined && pub.origin === ownId) {
        const waiting = view.chat.find((e) => e.own && e.offset === undefined && e.state !== 'failed' && e.text === pub.message);
        this.markSeen(view, epoch, pub.offset);
        if (waiting) {
          // Its ack has not come yet: the position is known now.
          waiting.epoch = epoch;
          waiting.offset = pub.offset;
          continue;
        }
        const entry = ownEntry(pub.message, time, 'sent', gap ? 'replay' : 'history');
        entry.epoch = epoch;
        entry.offset = pub.offset;
        insertInOrder(view.chat, entry, this.maxItems);
        added += 1;
        continue;
      }
      this.markSeen(view, epoch, pub.offset);
      const entry: ChatEntry = {
        text: displayText(pub),
        kind: pub.payload,
        time,
        own: false,
        author: pub.origin === undefined ? undefined : view.names.get(pub.origin),
        state: 'received',
        epoch,
        offset: pub.offset,
        source: gap ? 'replay' : 'history',
        latency: undefined,
      };
      insertInOrder(view.broadcasts, entry, this.maxItems);
      insertInOrder(view.chat, entry, this.maxItems);
      added += 1;
    }
    if (gap && channel !== this.selectedName) view.unread += added;
    return added;
  }

  clearBroadcasts(channel: string): void {
    const view = this.views.get(channel);
    if (view) view.broadcasts = [];
  }

  clearChat(channel: string): void {
    const view = this.views.get(channel);
    if (view) view.chat = [];
  }

  setMembers(channel: string, members: readonly Member[]): void {
    const view = this.views.get(channel);
    if (!view) return;
    view.members.clear();
    for (const m of members) this.memberJoined(channel, m);
    view.membersFresh = true;
  }

  /** The connection is gone: every member list is now only the last one known. */
  membersOutdated(): void {
    for (const view of this.views.values()) view.membersFresh = false;
  }

  memberJoined(channel: string, member: Member): void {
    const view = this.views.get(channel);
    if (!view) return;
    view.members.set(member.session, member);
    if (member.name) view.names.set(member.session, member.name);
  }

  memberLeft(channel: string, session: string): void {
    this.views.get(channel)?.members.delete(session);
  }

  /** Records a position; false if it had been shown already. */
  private markSeen(view: ChannelView, epoch: string, offset: number): boolean {
    const k = key(epoch, offset);
    if (view.seen.has(k)) return false;
    view.seen.add(k);
    if (view.seen.size > MAX_SEEN) {
      // Sets iterate in insertion order: forget the oldest positions (far behind anything still shown).
      const oldest = view.seen.values().next().value;
      if (oldest !== undefined) view.seen.delete(oldest);
    }
    return true;
  }
}

function ownEntry(text: string, time: Date, state: EntryState, source: EntrySource): ChatEntry {
  return { text, time, own: true, author: undefined, state, epoch: undefined, offset: undefined, source, latency: undefined };
}

function push<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

/**
 * Inserts before the first entry of the same epoch with a larger offset (history arrives after live
 * publications that follow it); at the end when there is none (an older epoch, or nothing later yet).
 */
function insertInOrder(list: ChatEntry[], entry: ChatEntry, max: number): void {
  const index = list.findIndex((e) => e.epoch === entry.epoch && e.offset !== undefined && entry.offset !== undefined && e.offset > entry.offset);
  if (index < 0) list.push(entry);
  else list.splice(index, 0, entry);
  if (list.length > max) list.splice(0, list.length - max);
}
