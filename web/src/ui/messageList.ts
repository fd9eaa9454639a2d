import type { ChatEntry } from '../channels';
import type { MessageKey, Params } from '../i18n';
import { PRECISE_LATENCY_MS, formatLatency } from '../metrics';
import { h } from './dom';

export interface MessageListOptions {
  readonly list: HTMLElement;
  readonly empty: HTMLElement;
  /** data-testid of each item, e.g. "chat-item". */
  readonly itemTestId: string;
  readonly formatTime: (time: Date) => string;
  /** Text for an i18n key in the current language. */
  readonly label: (key: MessageKey, params?: Params) => string;
}

const STATE_LABEL: Partial<Record<ChatEntry['state'], MessageKey>> = {
  pending: 'sendPending',
  failed: 'sendFailedLabel',
};

/** A latency as shown: the value when the clock offset is known precisely, else its upper bound. */
export function latencyText(latency: NonNullable<ChatEntry['latency']>, label: MessageListOptions['label']): string {
  return latency.accuracyMs <= PRECISE_LATENCY_MS ? formatLatency(latency.ms) : label('latencyAtMost', { value: formatLatency(latency.upperMs) });
}

/** One of the two message views (Broadcasts, Chat), showing the selected channel's entries. */
export class MessageList {
  private readonly items = new WeakMap<ChatEntry, HTMLElement>();

  constructor(private readonly options: MessageListOptions) {
    this.syncEmpty();
  }

  get size(): number {
    return this.options.list.childElementCount;
  }

  /** Replaces the content (e.g. another channel was selected). */
  render(entries: readonly ChatEntry[]): void {
    const { list } = this.options;
    list.replaceChildren(...entries.map((e) => this.item(e)));
    this.syncEmpty();
    list.scrollTop = list.scrollHeight;
  }

  /** Appends one entry; `max` drops the oldest items beyond it. */
  add(entry: ChatEntry, max = 500): void {
    const { list } = this.options;
    // Only follow new messages if the reader is already at the bottom.
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.append(this.item(entry));
    while (list.childElementCount > max) list.firstElementChild?.remove();
    this.syncEmpty();
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  /** Re-renders an entry whose state changed, if it is shown. */
  update(entry: ChatEntry): void {
    const old = this.items.get(entry);
    if (old?.isConnected) old.replaceWith(this.item(entry));
  }

  clear(): void {
    this.options.list.replaceChildren();
    this.syncEmpty();
  }

  private item(entry: ChatEntry): HTMLElement {
    const { label } = this.options;
    const valid = !Number.isNaN(entry.time.getTime());
    const time = h('time', valid ? { datetime: entry.time.toISOString() } : {}, valid ? this.options.formatTime(entry.time) : '');
    // data-i18n lets a later language switch relabel existing messages; names are shown as they are.
    const author =
      entry.author !== undefined && !entry.own
        ? h('span', { class: 'author' }, entry.author)
        : h('span', { class: 'author', 'data-i18n': entry.own ? 'you' : 'otherClient' }, label(entry.own ? 'you' : 'otherClient'));
    const meta = h('div', { class: 'meta' }, author, time);
    if (entry.latency) {
      const text = latencyText(entry.latency, label);
      meta.append(
        h(
          'span',
          {
            class: 'latency',
            'data-testid': 'message-latency',
            'data-ms': entry.latency.ms.toFixed(1),
            'data-accuracy-ms': entry.latency.accuracyMs.toFixed(1),
            title: label('latencyOfEvent', { value: text }),
          },
          text,
        ),
      );
    }
    const stateKey = STATE_LABEL[entry.state];
    if (stateKey) meta.append(h('span', { class: 'state', 'data-i18n': stateKey }, label(stateKey)));
    const li = h(
      'li',
      {
        class: `message ${entry.own ? 'own' : 'other'}`,
        'data-testid': this.options.itemTestId,
        'data-own': String(entry.own),
        'data-state': entry.state,
        'data-source': entry.source,
      },
      h(
        'div',
        { class: 'bubble' },
        entry.kind === 'data'
          ? h('pre', { class: 'message-text message-data', 'data-kind': 'data' }, entry.text)
          : h('p', { class: 'message-text', ...(entry.kind === 'bytes' ? { 'data-kind': 'bytes' } : {}) }, entry.text),
        meta,
      ),
    );
    if (entry.offset !== undefined) li.dataset['offset'] = String(entry.offset);
    this.items.set(entry, li);
    return li;
  }

  private syncEmpty(): void {
    const empty = this.size === 0;
    this.options.empty.hidden = !empty;
    this.options.list.hidden = empty;
  }
}
