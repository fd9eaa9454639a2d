/**
 * Wires the page (index.html) to a BroadcastClient: status, metrics, channels,
 * presence, the two message views of the selected channel, the recovery notice
 * after a reconnect, and user input. All browser globals are passed in so the
 * wiring can run in a DOM test environment too.
 */
import {
  BroadcastError,
  ClientErrorCode,
  CloseCode,
  MAX_NAME_LENGTH,
  isValidChannel,
  isValidName,
  type BroadcastClient,
  type ConnectionStatus,
} from '@broadcast/client';
import { ChannelStore, type ChatEntry } from '../channels';
import {
  LOCALES,
  LOCALE_NAMES,
  createTranslator,
  isLocale,
  saveLocale,
  type Locale,
  type MessageKey,
  type StorageLike,
  type Translate,
} from '../i18n';
import { Metrics, formatDuration, secondsUntil } from '../metrics';
import { saveChannels, saveName } from '../settings';
import { byTestId, h } from './dom';
import { MessageList } from './messageList';
import { Toasts } from './toasts';
import { translateDom } from './translateDom';

export interface AppOptions {
  readonly root: HTMLElement;
  readonly client: BroadcastClient;
  readonly locale: Locale;
  /** Channels to join at start (the first one is selected). */
  readonly channels: readonly string[];
  readonly storage?: StorageLike | undefined;
  readonly now?: () => number;
}

const STATUS_TEXT: Readonly<Record<ConnectionStatus['state'], MessageKey>> = {
  idle: 'statusIdle',
  connecting: 'statusConnecting',
  open: 'statusOpen',
  reconnecting: 'statusReconnecting',
};

const MAX_ITEMS = 500;

export interface App {
  readonly setLocale: (locale: Locale) => void;
  readonly joinChannel: (channel: string) => void;
  readonly selectChannel: (channel: string) => void;
  readonly dispose: () => void;
}

type Notice = { readonly kind: 'recovered'; readonly missed: number } | { readonly kind: 'unrecovered'; readonly channels: readonly string[] };

export function mountApp(options: AppOptions): App {
  const { root, client } = options;
  const now = options.now ?? (() => Date.now());
  const metrics = new Metrics();
  const store = new ChannelStore(MAX_ITEMS);
  let locale = options.locale;
  let t: Translate = createTranslator(locale);
  let status = client.status;
  let notice: Notice | undefined;

  const el = {
    languageSelect: byTestId(root, 'language-select', HTMLSelectElement),
    badge: byTestId(root, 'status-badge', HTMLElement),
    badgeText: byTestId(root, 'status-text', HTMLElement),
    countdown: byTestId(root, 'reconnect-countdown', HTMLElement),
    retryNow: byTestId(root, 'retry-now', HTMLButtonElement),
    toggle: byTestId(root, 'connection-toggle', HTMLButtonElement),
    received: byTestId(root, 'count-received', HTMLElement),
    sent: byTestId(root, 'count-sent', HTMLElement),
    online: byTestId(root, 'online-time', HTMLElement),
    form: byTestId(root, 'send-form', HTMLFormElement),
    input: byTestId(root, 'message-input', HTMLInputElement),
    sendButton: byTestId(root, 'send-button', HTMLButtonElement),
    composerChannel: byTestId(root, 'composer-channel', HTMLElement),
    offlineHint: byTestId(root, 'offline-hint', HTMLElement),
    broadcastsClear: byTestId(root, 'broadcasts-clear', HTMLButtonElement),
    chatClear: byTestId(root, 'chat-clear', HTMLButtonElement),
    toastRegion: byTestId(root, 'toast-region', HTMLElement),
    channelList: byTestId(root, 'channel-list', HTMLElement),
    joinForm: byTestId(root, 'channel-join-form', HTMLFormElement),
    joinInput: byTestId(root, 'channel-input', HTMLInputElement),
    presenceList: byTestId(root, 'presence-list', HTMLElement),
    presenceCount: byTestId(root, 'presence-count', HTMLElement),
    presenceEmpty: byTestId(root, 'presence-empty', HTMLElement),
    nameForm: byTestId(root, 'name-form', HTMLFormElement),
    nameInput: byTestId(root, 'name-input', HTMLInputElement),
    notice: byTestId(root, 'recovery-notice', HTMLElement),
    noticeText: byTestId(root, 'recovery-text', HTMLElement),
    noticeDismiss: byTestId(root, 'recovery-dismiss', HTMLButtonElement),
  };

  const formatTime = (time: Date) =>
    new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(time);
  const label = (key: MessageKey) => t(key);

  const broadcasts = new MessageList({
    list: byTestId(root, 'broadcasts-list', HTMLElement),
    empty: byTestId(root, 'broadcasts-empty', HTMLElement),
    itemTestId: 'broadcast-item',
    formatTime,
    label,
  });
  const chat = new MessageList({
    list: byTestId(root, 'chat-list', HTMLElement),
    empty: byTestId(root, 'chat-empty', HTMLElement),
    itemTestId: 'chat-item',
    formatTime,
    label,
  });
  const toasts = new Toasts(el.toastRegion, () => t('dismiss'));

  // Language switch options come from the locale list, labelled in their own language.
  el.languageSelect.replaceChildren(...LOCALES.map((l) => h('option', { value: l, lang: l }, LOCALE_NAMES[l])));
  el.nameInput.maxLength = MAX_NAME_LENGTH;
  el.nameInput.value = client.name ?? '';

  // ---- rendering ---------------------------------------------------------

  /** Parts that change with time (countdown, online timer) or counters. */
  function renderLive(): void {
    const snap = metrics.snapshot(now());
    el.received.textContent = String(snap.received);
    el.sent.textContent = String(snap.sent);
    el.online.textContent = snap.onlineMs === undefined ? t('metricOffline') : formatDuration(snap.onlineMs);

    const waiting = status.state === 'reconnecting' && status.retryAt !== undefined;
    el.countdown.hidden = !waiting;
    el.retryNow.hidden = !waiting;
    if (waiting && status.retryAt !== undefined) {
      const seconds = secondsUntil(status.retryAt, now());
      el.countdown.dataset['seconds'] = String(seconds);
      el.countdown.textContent = t('reconnectIn', { seconds });
    }
  }

  function renderStatus(): void {
    const { state } = status;
    el.badge.dataset['status'] = state;
    el.badgeText.textContent = t(STATUS_TEXT[state]);
    const canSend = state === 'open' && store.selected !== undefined;
    el.input.disabled = !canSend;
    el.sendButton.disabled = !canSend;
    el.offlineHint.hidden = state === 'open';
    // idle = the user (or startup) stopped us; anything else counts as "trying to be online".
    const manualOff = state === 'idle';
    el.toggle.textContent = t(manualOff ? 'connect' : 'disconnect');
    el.toggle.dataset['action'] = manualOff ? 'connect' : 'disconnect';
    renderLive();
  }

  function renderChannels(): void {
    const channels = store.list();
    const focused = root.ownerDocument.activeElement;
    const focusKey = focused instanceof HTMLElement ? `${focused.dataset['testid']}|${focused.dataset['channel']}` : '';
    el.channelList.replaceChildren(
      ...channels.map((name) => {
        const view = store.get(name);
        const selected = name === store.selected;
        const select = h(
          'button',
          {
            type: 'button',
            class: 'channel-select',
            'data-testid': 'channel-select',
            'data-channel': name,
            'aria-pressed': String(selected),
          },
          h('span', { class: 'channel-name' }, `#${name}`),
        );
        if (view && view.unread > 0) {
          select.append(
            h('span', { class: 'unread', 'data-testid': 'channel-unread', 'aria-label': t('channelUnread', { count: view.unread }) }, String(view.unread)),
          );
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
            'data-subscribed': String(client.isSubscribed(name)),
          },
          select,
          leave,
        );
      }),
    );
    // Keep keyboard focus on the same control across re-renders.
    if (focusKey) {
      for (const b of el.channelList.querySelectorAll<HTMLElement>('button')) {
        if (`${b.dataset['testid']}|${b.dataset['channel']}` === focusKey) b.focus();
      }
    }
    el.composerChannel.textContent = store.selected === undefined ? '' : t('composerChannel', { channel: store.selected });
  }

  function renderPresence(): void {
    const view = store.selectedView;
    const members = view ? [...view.members.values()] : [];
    // Presence shows public ids; the session token (client.session) is never shown to anyone.
    const self = client.publicId;
    el.presenceCount.textContent = t('presenceCount', { count: members.length });
    el.presenceList.replaceChildren(
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
    el.presenceEmpty.hidden = members.some((m) => m.session !== self);
  }

  function renderNotice(): void {
    el.notice.hidden = notice === undefined;
    if (!notice) return;
    el.notice.dataset['kind'] = notice.kind;
    if (notice.kind === 'recovered') {
      el.notice.dataset['missed'] = String(notice.missed);
      el.noticeText.textContent = notice.missed === 1 ? t('recoveredOne') : t('recoveredMany', { count: notice.missed });
    } else {
      delete el.notice.dataset['missed'];
      el.noticeText.textContent = t('unrecovered', { channels: notice.channels.join(', #') });
    }
  }

  function renderViews(): void {
    const view = store.selectedView;
    broadcasts.render(view?.broadcasts ?? []);
    chat.render(view?.chat ?? []);
  }

  function renderAll(): void {
    document.documentElement.lang = locale;
    document.title = t('documentTitle');
    el.languageSelect.value = locale;
    translateDom(root, t);
    renderViews();
    renderChannels();
    renderPresence();
    renderNotice();
    renderStatus();
  }

  function setLocale(next: Locale): void {
    locale = next;
    t = createTranslator(locale);
    saveLocale(options.storage, locale);
    renderAll();
  }

  // ---- channels ------------------------------------------------------------

  function refreshPresence(channel: string): void {
    client.presence(channel).then(
      (result) => {
        store.setMembers(channel, result.members);
        if (channel === store.selected) renderPresence();
      },
      () => {
        // Presence is informative; a failed request is retried at the next (re)subscribe.
      },
    );
  }

  function subscribe(channel: string): void {
    client.subscribe(channel, { presence: true }).catch((error: unknown) => {
      if (error instanceof BroadcastError && error.code === ClientErrorCode.Timeout) return; // retried on reconnect
      if (error instanceof BroadcastError && error.code === ClientErrorCode.Unsubscribed) return;
      if (error instanceof BroadcastError && error.code === ClientErrorCode.ClientClosed) return;
      const reason = error instanceof Error ? error.message : String(error);
      toasts.show(t('channelRefused', { channel, reason }));
      leaveChannel(channel);
    });
  }

  function joinChannel(channel: string): void {
    if (!store.join(channel)) {
      selectChannel(channel);
      return;
    }
    saveChannels(options.storage, store.list());
    subscribe(channel);
    renderChannels();
    renderStatus();
  }

  function leaveChannel(channel: string): void {
    if (!store.has(channel)) return;
    const wasSelected = store.selected === channel;
    store.leave(channel);
    saveChannels(options.storage, store.list());
    if (client.channels.includes(channel)) client.unsubscribe(channel).catch(() => {});
    if (wasSelected) {
      renderViews();
      renderPresence();
    }
    renderChannels();
    renderStatus();
  }

  function selectChannel(channel: string): void {
    if (!store.select(channel)) return;
    renderViews();
    renderChannels();
    renderPresence();
  }

  // ---- client events -----------------------------------------------------------

  const unsubscribe = [
    client.on('status', (s) => {
      const wasOpen = status.state === 'open';
      status = s;
      if (s.state === 'open' && !wasOpen) metrics.markConnected(s.openedAt ?? now());
      if (s.state !== 'open') metrics.markDisconnected();
      renderStatus();
    }),
    client.on('subscribed', (info) => {
      refreshPresence(info.channel);
      renderChannels();
    }),
    client.on('disconnected', (info) => {
      if (info.code === CloseCode.PolicyViolation) toasts.show(t('closedPolicy'));
      else if (info.code === CloseCode.MessageTooBig) toasts.show(t('closedTooBig'));
      renderChannels();
    }),
    client.on('publication', (pub) => {
      const parsed = pub.timestamp === undefined ? undefined : new Date(pub.timestamp);
      const entry = store.addReceived(pub.channel, pub.message, parsed ?? new Date(now()), pub.origin);
      if (!entry) return;
      metrics.recordReceived();
      if (pub.channel === store.selected) {
        broadcasts.add(entry, MAX_ITEMS);
        chat.add(entry, MAX_ITEMS);
      } else {
        renderChannels(); // unread badge
      }
      renderLive();
    }),
    client.on('join', (e) => {
      store.memberJoined(e.channel, { session: e.session, name: e.name });
      if (e.channel === store.selected) renderPresence();
    }),
    client.on('leave', (e) => {
      store.memberLeft(e.channel, e.session);
      if (e.channel === store.selected) renderPresence();
    }),
    client.on('resumed', (summary) => {
      if (summary.unrecovered.length > 0) notice = { kind: 'unrecovered', channels: summary.unrecovered };
      else if (summary.missed > 0) notice = { kind: 'recovered', missed: summary.missed };
      renderNotice();
    }),
    client.on('error', (error) => {
      toasts.show(t('errorFromServer', { reason: error.message }));
    }),
    client.on('subscriptionError', (error) => {
      const channel = error.channel ?? '';
      toasts.show(t('channelRefused', { channel, reason: error.message }));
      leaveChannel(channel);
    }),
    client.on('subscriptionEnded', (ended) => {
      // The server ended it (e.g. a refreshed token no longer allows the channel): leave it here too.
      toasts.show(t('channelEnded', { channel: ended.channel, reason: ended.reason }));
      leaveChannel(ended.channel);
    }),
  ];

  // ---- user input ----------------------------------------------------------------

  function updateEntry(entry: ChatEntry): void {
    chat.update(entry);
  }

  function onSubmit(event: SubmitEvent): void {
    event.preventDefault();
    const text = el.input.value;
    const channel = store.selected;
    if (text.trim() === '' || channel === undefined) {
      el.input.focus();
      return;
    }
    const entry = store.addOwn(channel, text, new Date(now()));
    // The server does not echo our own events, so Chat shows them locally.
    if (entry) chat.add(entry, MAX_ITEMS);
    el.input.value = '';
    client.publish(channel, text).then(
      () => {
        if (!entry) return;
        entry.state = 'sent';
        metrics.recordSent();
        updateEntry(entry);
        renderLive();
      },
      (error: unknown) => {
        if (entry) {
          entry.state = 'failed';
          updateEntry(entry);
        }
        if (error instanceof BroadcastError && error.code === ClientErrorCode.ClientClosed) return;
        if (error instanceof BroadcastError && error.code === ClientErrorCode.MessageTooBig) {
          toasts.show(t('errorTooLarge', { limit: Math.floor(client.serverLimits.maxMessageBytes / 1024) }));
        } else {
          toasts.show(t('sendFailed', { reason: error instanceof Error ? error.message : String(error) }));
        }
      },
    );
    el.input.focus();
  }

  function onJoin(event: SubmitEvent): void {
    event.preventDefault();
    const channel = el.joinInput.value.trim().replace(/^#/, '');
    if (channel === '') {
      el.joinInput.focus();
      return;
    }
    if (!isValidChannel(channel)) {
      toasts.show(t('channelInvalid'));
      el.joinInput.focus();
      return;
    }
    el.joinInput.value = '';
    if (store.has(channel)) toasts.show(t('channelAlreadyJoined', { channel }), 'info');
    joinChannel(channel);
    selectChannel(channel);
  }

  function onChannelClick(event: MouseEvent): void {
    const target = event.target instanceof Element ? event.target.closest<HTMLElement>('button[data-channel]') : null;
    const channel = target?.dataset['channel'];
    if (!target || channel === undefined) return;
    if (target.dataset['testid'] === 'channel-leave') leaveChannel(channel);
    else selectChannel(channel);
  }

  function onNameSubmit(event: SubmitEvent): void {
    event.preventDefault();
    const name = el.nameInput.value.trim();
    if (!isValidName(name)) {
      toasts.show(t('nameTooLong', { max: MAX_NAME_LENGTH }));
      return;
    }
    el.nameInput.value = name;
    if (name === (client.name ?? '')) return;
    client.setName(name === '' ? undefined : name);
    saveName(options.storage, name);
    toasts.show(t('nameSaved'), 'info');
    // The name travels in hello: reconnect (same session, subscriptions resume) to apply it.
    if (status.state !== 'idle') {
      client.disconnect();
      client.connect();
    }
  }

  function onToggle(): void {
    if (status.state === 'idle') client.connect();
    else client.disconnect();
  }

  function onLanguageChange(): void {
    const value = el.languageSelect.value;
    if (isLocale(value)) setLocale(value);
  }

  const onRetryNow = () => client.connect();
  const onClearBroadcasts = () => {
    if (store.selected !== undefined) store.clearBroadcasts(store.selected);
    broadcasts.clear();
  };
  const onClearChat = () => {
    if (store.selected !== undefined) store.clearChat(store.selected);
    chat.clear();
  };
  const onDismissNotice = () => {
    notice = undefined;
    renderNotice();
  };

  const listeners: [EventTarget, string, EventListener][] = [
    [el.form, 'submit', onSubmit as EventListener],
    [el.joinForm, 'submit', onJoin as EventListener],
    [el.nameForm, 'submit', onNameSubmit as EventListener],
    [el.channelList, 'click', onChannelClick as EventListener],
    [el.toggle, 'click', onToggle],
    [el.retryNow, 'click', onRetryNow],
    [el.languageSelect, 'change', onLanguageChange],
    [el.broadcastsClear, 'click', onClearBroadcasts],
    [el.chatClear, 'click', onClearChat],
    [el.noticeDismiss, 'click', onDismissNotice],
  ];
  for (const [target, type, listener] of listeners) target.addEventListener(type, listener);

  // Drives the countdown and the online timer; cheap enough to run always.
  const ticker = setInterval(renderLive, 250);

  for (const channel of options.channels) {
    if (store.join(channel)) subscribe(channel);
  }
  renderAll();

  return {
    setLocale,
    joinChannel,
    selectChannel,
    dispose() {
      clearInterval(ticker);
      for (const off of unsubscribe) off();
      for (const [target, type, listener] of listeners) target.removeEventListener(type, listener);
    },
  };
}
