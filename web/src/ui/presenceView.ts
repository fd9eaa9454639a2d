/**
 * The presence panel of the selected channel. While the page is disconnected (or before the list was read
 * again on the current connection), the list is shown as the last one known: dimmed, its count labelled
 * "last known", with a line saying why, so "3 online" never claims to be current when it cannot be.
 */
import type { ChannelView } from '../channels';
import type { Translate } from '../i18n';
import { byTestId, h } from './dom';

export class PresenceView {
  private readonly panel: HTMLElement;
  private readonly list: HTMLElement;
  private readonly count: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly staleHint: HTMLElement;

  constructor(root: ParentNode) {
    this.panel = byTestId(root, 'presence-panel', HTMLElement);
    this.list = byTestId(root, 'presence-list', HTMLElement);
    this.count = byTestId(root, 'presence-count', HTMLElement);
    this.empty = byTestId(root, 'presence-empty', HTMLElement);
    this.staleHint = byTestId(root, 'presence-stale', HTMLElement);
  }

  /** `connected`: the connection is open (the list can be current). */
  render(view: ChannelView | undefined, self: string | undefined, connected: boolean, t: Translate): void {
    const members = view ? [...view.members.values()] : [];
    const stale = !connected || !(view?.membersFresh ?? false);
    const known = members.length > 0 || !stale;
    this.panel.dataset['stale'] = String(stale);
    const current = t('presenceCount', { count: members.length });
    this.count.textContent = !known ? '' : stale ? t('presenceStale', { count: current }) : current;
    this.staleHint.hidden = !stale || !known;
    // Presence shows public ids; the session token (client.session) is never shown to anyone.
    this.list.replaceChildren(
      ...members.map((m) => {
        const name = m.name === null || m.name === '' ? t('presenceAnonymous') : m.name;
        const isSelf = m.session === self;
        return h(
          'li',
          { class: `member${isSelf ? ' self' : ''}`, 'data-testid': 'presence-item', 'data-self': String(isSelf), 'data-session': m.session },
          h('span', { class: 'presence-dot', 'aria-hidden': 'true' }),
          h('span', { class: 'member-name' }, isSelf ? t('presenceYou', { name }) : name),
        );
      }),
    );
    this.empty.hidden = stale || members.some((m) => m.session !== self);
  }
}
