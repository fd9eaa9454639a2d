import { h } from './dom';

export interface ListEntry {
  readonly text: string;
  readonly time: Date;
  /** Sent by this page (shown on the right in Chat). */
  readonly own: boolean;
}

export interface MessageListOptions {
  readonly list: HTMLElement;
  readonly empty: HTMLElement;
  /** data-testid of each item, e.g. "chat-item". */
  readonly itemTestId: string;
  /** Oldest entries are dropped past this, so a long session cannot grow the DOM forever. */
  readonly maxItems?: number;
  readonly formatTime: (time: Date) => string;
  /** "You" / "Another client" in the current language. */
  readonly authorLabel: (own: boolean) => string;
}

/** One of the two message views (Broadcasts, Chat). */
export class MessageList {
  private readonly maxItems: number;

  constructor(private readonly options: MessageListOptions) {
    this.maxItems = options.maxItems ?? 500;
    this.syncEmpty();
  }

  get size(): number {
    return this.options.list.childElementCount;
  }

  add(entry: ListEntry): void {
    const { list } = this.options;
    // Only follow new messages if the reader is already at the bottom.
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;

    const time = h('time', { datetime: entry.time.toISOString() }, this.options.formatTime(entry.time));
    // data-i18n lets a later language switch relabel existing messages.
    const author = h(
      'span',
      { class: 'author', 'data-i18n': entry.own ? 'you' : 'otherClient' },
      this.options.authorLabel(entry.own),
    );
    const item = h(
      'li',
      {
        class: `message ${entry.own ? 'own' : 'other'}`,
        'data-testid': this.options.itemTestId,
        'data-own': String(entry.own),
      },
      h('div', { class: 'bubble' }, h('p', { class: 'message-text' }, entry.text), h('div', { class: 'meta' }, author, time)),
    );
    list.append(item);

    while (list.childElementCount > this.maxItems) list.firstElementChild?.remove();
    this.syncEmpty();
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  clear(): void {
    this.options.list.replaceChildren();
    this.syncEmpty();
  }

  /** Re-formats timestamps, e.g. after a language change. */
  refreshTimes(): void {
    for (const time of this.options.list.querySelectorAll('time')) {
      const iso = time.getAttribute('datetime');
      if (iso) time.textContent = this.options.formatTime(new Date(iso));
    }
  }

  private syncEmpty(): void {
    const empty = this.size === 0;
    this.options.empty.hidden = !empty;
    this.options.list.hidden = empty;
  }
}
