/**
 * Wires the page (index.html) to a BroadcastSocket: renders status, metrics
 * and the two message views, and handles user input. All browser globals are
 * passed in so the wiring can run in a DOM test environment too.
 */
import type { BroadcastSocket, StatusSnapshot } from '../connection/broadcastSocket';
import { DEFAULT_MAX_FRAME_BYTES } from '../connection/broadcastSocket';
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
import { byTestId, h } from './dom';
import { MessageList } from './messageList';
import { Toasts } from './toasts';
import { translateDom } from './translateDom';

export interface AppOptions {
  readonly root: HTMLElement;
  readonly socket: BroadcastSocket;
  readonly locale: Locale;
  readonly storage?: StorageLike | undefined;
  readonly now?: () => number;
}

const STATUS_TEXT: Readonly<Record<StatusSnapshot['state'], MessageKey>> = {
  idle: 'statusIdle',
  connecting: 'statusConnecting',
  open: 'statusOpen',
  reconnecting: 'statusReconnecting',
};

export interface App {
  readonly setLocale: (locale: Locale) => void;
  readonly dispose: () => void;
}

export function mountApp(options: AppOptions): App {
  const { root, socket } = options;
  const now = options.now ?? (() => Date.now());
  const metrics = new Metrics();
  let locale = options.locale;
  let t: Translate = createTranslator(locale);
  let status = socket.status;

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
    offlineHint: byTestId(root, 'offline-hint', HTMLElement),
    broadcastsClear: byTestId(root, 'broadcasts-clear', HTMLButtonElement),
    chatClear: byTestId(root, 'chat-clear', HTMLButtonElement),
    toastRegion: byTestId(root, 'toast-region', HTMLElement),
  };

  const formatTime = (time: Date) =>
    new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(time);
  const authorLabel = (own: boolean) => t(own ? 'you' : 'otherClient');

  const broadcasts = new MessageList({
    list: byTestId(root, 'broadcasts-list', HTMLElement),
    empty: byTestId(root, 'broadcasts-empty', HTMLElement),
    itemTestId: 'broadcast-item',
    formatTime,
    authorLabel,
  });
  const chat = new MessageList({
    list: byTestId(root, 'chat-list', HTMLElement),
    empty: byTestId(root, 'chat-empty', HTMLElement),
    itemTestId: 'chat-item',
    formatTime,
    authorLabel,
  });
  const toasts = new Toasts(el.toastRegion, () => t('dismiss'));

  // Language switch options come from the locale list, labelled in their own language.
  el.languageSelect.replaceChildren(...LOCALES.map((l) => h('option', { value: l, lang: l }, LOCALE_NAMES[l])));

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
    const open = state === 'open';
    el.input.disabled = !open;
    el.sendButton.disabled = !open;
    el.offlineHint.hidden = open;
    // idle = the user (or startup) stopped us; anything else counts as "trying to be online".
    const manualOff = state === 'idle';
    el.toggle.textContent = t(manualOff ? 'connect' : 'disconnect');
    el.toggle.dataset['action'] = manualOff ? 'connect' : 'disconnect';
    renderLive();
  }

  function renderAll(): void {
    document.documentElement.lang = locale;
    document.title = t('documentTitle');
    el.languageSelect.value = locale;
    translateDom(root, t);
    broadcasts.refreshTimes();
    chat.refreshTimes();
    renderStatus();
  }

  function setLocale(next: Locale): void {
    locale = next;
    t = createTranslator(locale);
    saveLocale(options.storage, locale);
    renderAll();
  }

  const unsubscribe = [
    socket.on('status', (s) => {
      const wasOpen = status.state === 'open';
      status = s;
      if (s.state === 'open' && !wasOpen) metrics.markConnected(s.openedAt ?? now());
      if (s.state !== 'open') metrics.markDisconnected();
      renderStatus();
    }),
    socket.on('message', (event) => {
      metrics.recordReceived();
      const parsed = event.timestamp === undefined ? undefined : new Date(event.timestamp);
      const entry = { text: event.message, time: parsed ?? new Date(now()), own: false };
      broadcasts.add(entry);
      chat.add(entry);
      renderLive();
    }),
    socket.on('serverError', (event) => {
      toasts.show(t('errorFromServer', { reason: event.error }));
    }),
    socket.on('close', (info) => {
      if (info.code === 1008) toasts.show(t('closedPolicy'));
      else if (info.code === 1009) toasts.show(t('closedTooBig'));
    }),
  ];

  function onSubmit(event: SubmitEvent): void {
    event.preventDefault();
    const text = el.input.value;
    if (text.trim() === '') {
      el.input.focus();
      return;
    }
    const result = socket.send(text);
    if (result === 'sent') {
      metrics.recordSent();
      // The server does not echo our own events, so Chat shows them locally.
      chat.add({ text, time: new Date(now()), own: true });
      el.input.value = '';
      renderLive();
    } else if (result === 'too-large') {
      toasts.show(t('errorTooLarge', { limit: DEFAULT_MAX_FRAME_BYTES / 1024 }));
    } else {
      toasts.show(t('errorNotConnected'));
    }
    el.input.focus();
  }

  function onToggle(): void {
    if (status.state === 'idle') socket.connect();
    else socket.disconnect();
  }

  function onLanguageChange(): void {
    const value = el.languageSelect.value;
    if (isLocale(value)) setLocale(value);
  }

  const onRetryNow = () => socket.connect();
  const onClearBroadcasts = () => broadcasts.clear();
  const onClearChat = () => chat.clear();

  el.form.addEventListener('submit', onSubmit);
  el.toggle.addEventListener('click', onToggle);
  el.retryNow.addEventListener('click', onRetryNow);
  el.languageSelect.addEventListener('change', onLanguageChange);
  el.broadcastsClear.addEventListener('click', onClearBroadcasts);
  el.chatClear.addEventListener('click', onClearChat);

  // Drives the countdown and the online timer; cheap enough to run always.
  const ticker = setInterval(renderLive, 250);

  renderAll();

  return {
    setLocale,
    dispose() {
      clearInterval(ticker);
      for (const off of unsubscribe) off();
      el.form.removeEventListener('submit', onSubmit);
      el.toggle.removeEventListener('click', onToggle);
      el.retryNow.removeEventListener('click', onRetryNow);
      el.languageSelect.removeEventListener('change', onLanguageChange);
      el.broadcastsClear.removeEventListener('click', onClearBroadcasts);
      el.chatClear.removeEventListener('click', onClearChat);
    },
  };
}
