/**
 * What the page knows per joined channel: the two message views, unread
 * count and presence members. Pure state (no DOM, no socket) so it is easy to
 * test; the UI renders from it.
 */

export type EntryState = 'received' | 'pending' | 'sent' | 'failed';

export interface ChatEntry {
  readonly text: string;
  readonly time: Date;
  /** Sent by this page (shown on the right in Chat). */
  readonly own: boolean;
  /** Display name of the sender when known (from presence), else undefined. */
  readonly author: string | undefined;
  state: EntryState;
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
  /** Names seen on this channel by session, kept after they leave (to label old messages). */
  readonly names: Map<string, string>;
}

export const DEFAULT_CHANNEL = 'events';

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
    this.views.set(name, { name, broadcasts: [], chat: [], unread: 0, members: new Map(), names: new Map() });
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

  /** A publication from someone else; returns the entry (undefined for unknown channels). */
  addReceived(channel: string, text: string, time: Date, origin: string | undefined): ChatEntry | undefined {
    const view = this.views.get(channel);
    if (!view) return undefined;
    const entry: ChatEntry = {
      text,
      time,
      own: false,
      author: origin === undefined ? undefined : view.names.get(origin),
      state: 'received',
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
    const entry: ChatEntry = { text, time, own: true, author: undefined, state: 'pending' };
    push(view.chat, entry, this.maxItems);
    return entry;
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
}

function push<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}
