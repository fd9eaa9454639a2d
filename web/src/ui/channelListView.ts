/** The channel list: one row per joined channel (select, unread badge, leave). */
import type { ChannelStore } from '../channels';
import type { Translate } from '../i18n';
import { h } from './dom';

export function renderChannelList(list: HTMLElement, store: ChannelStore, isSubscribed: (channel: string) => boolean, t: Translate): void {
  const channels = store.list();
  const focused = list.ownerDocument.activeElement;
  const focusKey = focused instanceof HTMLElement ? `${focused.dataset['testid']}|${focused.dataset['channel']}` : '';
  list.replaceChildren(
    ...channels.map((name) => {
      const view = store.get(name);
      const selected = name === store.selected;
      const select = h(
        'button',
        { type: 'button', class: 'channel-select', 'data-testid': 'channel-select', 'data-channel': name, 'aria-pressed': String(selected) },
        h('span', { class: 'channel-name' }, `#${name}`),
      );
      if (view && view.unread > 0) {
        select.append(h('span', { class: 'unread', 'data-testid': 'channel-unread', 'aria-label': t('channelUnread', { count: view.unread }) }, String(view.unread)));
      }
      const leave = h(
        'button',
        {
          type: 'button',
          class: 'channel-leave',
          'data-testid': 'channel-leave',
          'data-channel': name,
          'aria-label': t('channelLeave', { channel: name }),
          title: t('channelLeave', { channel: name }),
        },
        '×',
      );
      // Leaving the last channel would leave nothing to send to.
      leave.disabled = channels.length <= 1;
      return h(
        'li',
        {
          class: `channel${selected ? ' selected' : ''}`,
          'data-testid': 'channel-item',
          'data-channel': name,
          'data-selected': String(selected),
          'data-subscribed': String(isSubscribed(name)),
        },
        select,
        leave,
      );
    }),
  );
  // Keep keyboard focus on the same control across re-renders.
  if (focusKey) {
    for (const b of list.querySelectorAll<HTMLElement>('button')) {
      if (`${b.dataset['testid']}|${b.dataset['channel']}` === focusKey) b.focus();
    }
  }
}
