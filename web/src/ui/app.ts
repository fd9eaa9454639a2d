/**
 * Wires the page (index.html) to a BroadcastClient: status, metrics, channels,
 * presence, the two message views of the selected channel, the recovery notice
 * after a reconnect, access (sign-in, refusals) and user input. All browser
 * globals are passed in so the wiring can run in a DOM test environment too.
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
  type PublishResult,
  type SubscribedInfo,
} from '@broadcast/client';
import { AccessController } from '../access/accessController';
import type { Diagnosis } from '../access/connectCheck';
import { allows, canJoinMore, type Permissions } from '../access/permissions';
import type { TokenSource } from '../access/tokenSource';
import { ChannelStore, type ChatEntry } from '../channels';
import { fillGap, loadRecent } from '../history/historySync';
import { GOING_AWAY, resumeNotice, type GapCheck, type Notice } from '../history/recovery';
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
import { displayText } from '../payloadText';
import { saveChannels, saveName } from '../settings';
import { ClockOffset, type Latency } from '../timing/clockOffset';
import { ClockSampler } from '../timing/clockSampler';
import { EventRate } from '../timing/eventRate';
import { parseServerTime } from '../wire/serverExtras';
import type { WireEvents } from '../wire/wireEvents';
import { AccessView } from './accessView';
import { renderChannelList } from './channelListView';
import { byTestId, h } from './dom';
import { MessageList, latencyText } from './messageList';
import { PresenceView } from './presenceView';
import { Toasts } from './toasts';
import { translateDom } from './translateDom';

export interface AccessOptions {
  readonly tokens: TokenSource;
  /** Asks the server why an upgrade failed (connectCheck.ts). */
  readonly diagnose: (token: string | undefined) => Promise<Diagnosis>;
}

export interface AppOptions {
  readonly root: HTMLElement;
  readonly client: BroadcastClient;
  readonly locale: Locale;
  /** Channels to join at start (the first one is selected). */
  readonly channels: readonly string[];
  readonly storage?: StorageLike | undefined;
  /** Wall-clock time (ms): online timer, countdown, events per minute. */
  readonly now?: () => number;
  /** What the socket factory saw (tappedSocketFactory); without it the server additions stay unused. */
  readonly wire?: WireEvents | undefined;
  /** Sign-in and refusal diagnosis; without it the page does not offer signing in. */
  readonly access?: AccessOptions | undefined;
  /** The page's estimate of the server's clock; shared with whatever else samples it (HTTP Date headers). */
  readonly clock?: ClockOffset | undefined;
  /** A monotonic clock (ms, same scale as Date.now) for latencies; default performance.timeOrigin + now(). */
  readonly clockNow?: (() => number) | undefined;
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

function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

export function mountApp(options: AppOptions): App {
  const { root, client } = options;
  const now = options.now ?? (() => Date.now());
  const clockNow = options.clockNow ?? monotonicNow;
  const clock = options.clock ?? new ClockOffset();
  const sampler = new ClockSampler(clock, clockNow);
  const rate = new EventRate();
  const metrics = new Metrics();
  const store = new ChannelStore(MAX_ITEMS);
  let locale = options.locale;
  let t: Translate = createTranslator(locale);
  let status = client.status;
  let notice: Notice | undefined;
  /** What this connection may do, when the server said so (welcome `permissions`); else unknown. */
  let permissions: Permissions | undefined;
  let lastLatency: Latency | undefined;
  /** Per channel: the position the current subscription went live from (what follows is not a replay). */
  const liveFrom = new Map<string, { epoch: string; offset: number }>();
  /** How the last welcomed connection ended: 1001 after a graceful drain, or otherwise. */
  let welcomed = false;
  let endedGracefully = false;
  let inResumeRound = false;
  const gapChecks = new Map<string, Promise<GapCheck | undefined>>();
  let channelRefusal: string | undefined;
  /** Reconnects whose outcome was decided (data-resumes on the notice: tests wait on it, notice or not). */
  let resumes = 0;

  const el = {
    languageSelect: byTestId(root, 'language-select', HTMLSelectElement),
    badge: byTestId(root, 'status-badge', HTMLElement),
    badgeText: byTestId(root, 'status-text', HTMLElement),
    transport: byTestId(root, 'transport', HTMLElement),
    countdown: byTestId(root, 'reconnect-countdown', HTMLElement),
    retryNow: byTestId(root, 'retry-now', HTMLButtonElement),
    toggle: byTestId(root, 'connection-toggle', HTMLButtonElement),
    received: byTestId(root, 'count-received', HTMLElement),
    sent: byTestId(root, 'count-sent', HTMLElement),
    online: byTestId(root, 'online-time', HTMLElement),
    perMinute: byTestId(root, 'events-per-minute', HTMLElement),
    latency: byTestId(root, 'latency', HTMLElement),
    form: byTestId(root, 'send-form', HTMLFormElement),
    input: byTestId(root, 'message-input', HTMLInputElement),
    sendButton: byTestId(root, 'send-button', HTMLButtonElement),
    composerChannel: byTestId(root, 'composer-channel', HTMLElement),
    offlineHint: byTestId(root, 'offline-hint', HTMLElement),
    publishHint: byTestId(root, 'publish-hint', HTMLElement),
    broadcastsClear: byTestId(root, 'broadcasts-clear', HTMLButtonElement),
    chatClear: byTestId(root, 'chat-clear', HTMLButtonElement),
    toastRegion: byTestId(root, 'toast-region', HTMLElement),
    channelList: byTestId(root, 'channel-list', HTMLElement),
    joinForm: byTestId(root, 'channel-join-form', HTMLFormElement),
    joinInput: byTestId(root, 'channel-input', HTMLInputElement),
    channelHint: byTestId(root, 'channel-hint', HTMLElement),
    channelOnly: byTestId(root, 'channel-only', HTMLElement),
    channelOnlyText: byTestId(root, 'channel-only-text', HTMLElement),
    channelOnlySignIn: byTestId(root, 'channel-only-signin', HTMLButtonElement),
    refusal: byTestId(root, 'channel-refusal', HTMLElement),
    refusalText: byTestId(root, 'channel-refusal-text', HTMLElement),
    refusalSignIn: byTestId(root, 'channel-refusal-signin', HTMLButtonElement),
    nameForm: byTestId(root, 'name-form', HTMLFormElement),
    nameInput: byTestId(root, 'name-input', HTMLInputElement),
    notice: byTestId(root, 'recovery-notice', HTMLElement),
    noticeText: byTestId(root, 'recovery-text', HTMLElement),
    noticeDismiss: byTestId(root, 'recovery-dismiss', HTMLButtonElement),
  };

  const formatTime = (time: Date) =>
    new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(time);
  const label: Translate = (key, params) => t(key, params);

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
  const presence = new PresenceView(root);

  const access = options.access
    ? new AccessController({
        client,
        tokens: options.access.tokens,
        diagnose: options.access.diagnose,
        onChange: () => renderAccess(),
        onPermissions: (p) => {
          permissions = p;
          renderChannels();
          renderStatus();
        },
        now,
      })
    : undefined;
  const accessView = new AccessView(
    root,
    {
      signIn: async (token) => {
        if (!access) return { ok: false };
        const result = await access.signIn(token);
        if (result.ok) {
          toasts.show(t('signedIn'), 'info');
          return { ok: true };
        }
        return { ok: false, reason: t('tokenRefused', { reason: result.reason }) };
      },
      signOut: () => {
        access?.signOut();
        permissions = undefined;
        toasts.show(t('signedOut'), 'info');
      },
    },
    (ms) => formatTime(new Date(ms)),
  );

  // Language switch options come from the locale list, labelled in their own language.
  el.languageSelect.replaceChildren(...LOCALES.map((l) => h('option', { value: l, lang: l }, LOCALE_NAMES[l])));
  el.nameInput.maxLength = MAX_NAME_LENGTH;
  el.nameInput.value = client.name ?? '';

  // ---- rendering ---------------------------------------------------------

  /** Parts that change with time (countdown, online timer, rate) or counters. */
  function renderLive(): void {
    const snap = metrics.snapshot(now());
    el.received.textContent = String(snap.received);
    el.sent.textContent = String(snap.sent);
    el.online.textContent = snap.onlineMs === undefined ? t('metricOffline') : formatDuration(snap.onlineMs);
    el.perMinute.textContent = String(rate.perMinute(now()));

    const waiting = status.state === 'reconnecting' && status.retryAt !== undefined;
    el.countdown.hidden = !waiting;
    el.retryNow.hidden = !waiting;
    if (waiting && status.retryAt !== undefined) {
      const seconds = secondsUntil(status.retryAt, now());
      el.countdown.dataset['seconds'] = String(seconds);
      el.countdown.textContent = t('reconnectIn', { seconds });
    }
  }

  function renderLatency(): void {
    if (!lastLatency) {
      el.latency.textContent = t('metricOffline');
      el.latency.title = t('latencyUnknown');
      delete el.latency.dataset['ms'];
      return;
    }
    el.latency.textContent = latencyText(lastLatency, label);
    el.latency.dataset['ms'] = lastLatency.ms.toFixed(1);
    el.latency.dataset['accuracyMs'] = lastLatency.accuracyMs.toFixed(1);
    el.latency.title = t('latencyTitle', { accuracy: Math.ceil(lastLatency.accuracyMs) });
  }

  const mayPublish = (channel: string | undefined) =>
    channel !== undefined && (permissions === undefined || allows(permissions.publish, channel));

  /** Send is possible: connected, a channel the connection may publish to, and something to send. */
  function renderComposer(): void {
    const open = status.state === 'open' && store.selected !== undefined;
    const allowed = mayPublish(store.selected);
    el.input.disabled = !open || !allowed;
    el.sendButton.disabled = el.input.disabled || el.input.value.trim() === '';
    el.offlineHint.hidden = status.state === 'open';
    el.publishHint.hidden = allowed || store.selected === undefined;
    if (!allowed && store.selected !== undefined) el.publishHint.textContent = t('publishNotAllowed', { channel: store.selected });
  }

  function renderStatus(): void {
    const { state } = status;
    el.badge.dataset['status'] = state;
    el.badgeText.textContent = t(STATUS_TEXT[state]);
    // Which transport carries the connection: shown while connected (a fallback is worth knowing about).
    const transport = client.transportName;
    el.transport.hidden = state !== 'open';
    el.transport.dataset['transport'] = transport;
    el.transport.textContent = t(transport === 'http-stream' ? 'transportHttpStream' : 'transportWebSocket');
    renderComposer();
    // idle = the user (or startup, or a refusal retrying cannot fix) stopped us; anything else is "trying".
    const manualOff = state === 'idle';
    el.toggle.textContent = t(manualOff ? 'connect' : 'disconnect');
    el.toggle.dataset['action'] = manualOff ? 'connect' : 'disconnect';
    renderLive();
  }

  function renderChannels(): void {
    renderChannelList(el.channelList, store, (c) => client.isSubscribed(c), t);
    el.composerChannel.textContent = store.selected === undefined ? '' : t('composerChannel', { channel: store.selected });
    renderJoinOffer();
  }

  /** Offer joining only what this connection may join (when known), else explain the last refusal. */
  function renderJoinOffer(): void {
    const signedIn = options.access?.tokens.current !== undefined;
    const canSignIn = access !== undefined;
    const joined = store.list();
    if (permissions && !canJoinMore(permissions, joined)) {
      el.joinForm.hidden = true;
      el.channelOnly.hidden = false;
      const allowed = permissions.subscribe.map((p) => `#${p}`).join(', ');
      el.channelOnlyText.textContent = t(canSignIn && !signedIn ? 'channelOnlySignIn' : 'channelOnly', { allowed: allowed || '—' });
      el.channelOnlySignIn.hidden = !canSignIn || signedIn;
    } else {
      el.joinForm.hidden = false;
      el.channelOnly.hidden = true;
      const wildcard = permissions?.subscribe.includes('*') ?? true;
      el.channelHint.hidden = wildcard;
      if (permissions && !wildcard) el.channelHint.textContent = t('channelMayJoin', { allowed: permissions.subscribe.map((p) => `#${p}`).join(', ') });
    }
    el.refusal.hidden = channelRefusal === undefined;
    if (channelRefusal !== undefined) el.refusalText.textContent = channelRefusal;
    el.refusalSignIn.hidden = !canSignIn;
  }

  function renderPresence(): void {
    presence.render(store.selectedView, client.publicId, status.state === 'open', t);
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

  function renderAccess(): void {
    accessView.render(access?.state, t);
    renderJoinOffer();
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
    renderAccess();
    renderLatency();
    renderStatus();
  }

  function setLocale(next: Locale): void {
    locale = next;
    t = createTranslator(locale);
    saveLocale(options.storage, locale);
    renderAll();
  }

  /** History was merged into a channel: show it if it is the selected one, else its unread count. */
  function historyMerged(channel: string, added: number): void {
    if (added === 0) return;
    if (channel === store.selected) renderViews();
    else renderChannels();
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

  /** Why the server refused a channel, and what would allow it. */
  function explainRefusal(channel: string, error: unknown): string {
    if (error instanceof BroadcastError && error.code === 'forbidden') {
      return t(options.access?.tokens.current === undefined ? 'channelRefusedAnonymous' : 'channelRefusedToken', { channel });
    }
    const reason = error instanceof Error ? error.message : String(error);
    return t('channelRefused', { channel, reason });
  }

  function refused(channel: string, error: unknown): void {
    channelRefusal = explainRefusal(channel, error);
    leaveChannel(channel);
  }

  function subscribe(channel: string): void {
    client.subscribe(channel, { presence: true }).catch((error: unknown) => {
      if (error instanceof BroadcastError && error.code === ClientErrorCode.Timeout) return; // retried on reconnect
      if (error instanceof BroadcastError && error.code === ClientErrorCode.Unsubscribed) return;
      if (error instanceof BroadcastError && error.code === ClientErrorCode.ClientClosed) return;
      refused(channel, error);
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
    liveFrom.delete(channel);
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
    renderComposer();
  }

  /** Known permissions: leave the joined channels this connection may not use, before they are refused. */
  function dropForbiddenChannels(): void {
    if (!permissions) return;
    const allowed = permissions.subscribe;
    const forbidden = store.list().filter((c) => !allows(allowed, c));
    // Keep one channel to show, even if it cannot be used.
    const dropped = forbidden.length === store.list().length ? forbidden.slice(1) : forbidden;
    for (const channel of dropped) leaveChannel(channel);
    if (dropped.length > 0) channelRefusal = t('channelsDropped', { channels: dropped.map((c) => `#${c}`).join(', ') });
  }

  // ---- after a reconnect -----------------------------------------------------

  function onSubscribed(info: SubscribedInfo): void {
    liveFrom.set(info.channel, { epoch: info.epoch, offset: info.offset });
    refreshPresence(info.channel);
    renderChannels();
    if (!info.resumed) {
      loadRecent(client, store, info).then(
        (added) => historyMerged(info.channel, added),
        () => {
          // History is a convenience on open; live publications follow regardless.
        },
      );
    }
  }

  function onUnrecovered(channel: string, epoch: string, offset: number, previous: { epoch: string; offset: number }): void {
    const epochChanged = previous.epoch !== epoch;
    const graceful = inResumeRound && endedGracefully;
    const check = fillGap(client, store, channel, epoch, epochChanged ? 0 : previous.offset, offset).then(
      (fill): GapCheck => {
        historyMerged(channel, fill.added);
        return { graceful, epochChanged, complete: fill.complete, added: fill.added };
      },
      () => undefined,
    );
    if (inResumeRound) {
      gapChecks.set(channel, check);
      return;
    }
    // The server lost publications while this page stayed connected: nothing accounts for them.
    void check.then(() => {
      notice = { kind: 'unrecovered', channels: [channel] };
      renderNotice();
    });
  }

  async function onResumed(summary: { unrecovered: readonly string[]; missed: number }): Promise<void> {
    inResumeRound = false;
    const checks = new Map<string, GapCheck>();
    for (const channel of summary.unrecovered) {
      const check = await gapChecks.get(channel);
      if (check) checks.set(channel, check);
    }
    gapChecks.clear();
    const next = resumeNotice(summary, checks);
    if (next) notice = next;
    el.notice.dataset['resumes'] = String(++resumes);
    renderNotice();
  }

  // ---- client events -----------------------------------------------------------

  const unsubscribe = [
    client.on('status', (s) => {
      const wasOpen = status.state === 'open';
      status = s;
      if (s.state === 'open' && !wasOpen) metrics.markConnected(s.openedAt ?? now());
      if (s.state !== 'open') {
        metrics.markDisconnected();
        store.membersOutdated();
        renderPresence();
      }
      renderStatus();
    }),
    client.on('connected', () => {
      welcomed = true;
      // The client renews every subscription with a position right after this event: a resume round.
      inResumeRound = client.channels.some((c) => client.position(c) !== undefined);
      gapChecks.clear();
      dropForbiddenChannels();
      renderChannels();
    }),
    client.on('subscribed', onSubscribed),
    client.on('disconnected', (info) => {
      if (welcomed) endedGracefully = info.code === GOING_AWAY;
      welcomed = false;
      if (info.code === CloseCode.PolicyViolation) toasts.show(t('closedPolicy'));
      else if (info.code === CloseCode.MessageTooBig) toasts.show(t('closedTooBig'));
      renderChannels();
    }),
    client.on('publication', (pub) => {
      const at = clockNow();
      const from = liveFrom.get(pub.channel);
      const replayed = from !== undefined && from.epoch === pub.epoch && pub.offset <= from.offset;
      const serverMs = parseServerTime(pub.timestamp);
      let latency: Latency | undefined;
      if (!replayed && serverMs !== undefined) {
        clock.addArrival(serverMs, at);
        latency = clock.latency(serverMs, at);
      }
      const entry = store.addReceived(pub.channel, {
        text: displayText(pub),
        kind: pub.payload,
        time: pub.timestamp === undefined ? new Date(now()) : new Date(pub.timestamp),
        origin: pub.origin,
        epoch: pub.epoch,
        offset: pub.offset,
        replayed,
        latency,
      });
      if (!entry) return;
      metrics.recordReceived();
      if (!replayed) rate.record(now());
      if (latency) {
        lastLatency = latency;
        renderLatency();
      }
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
    client.on('unrecovered', (e) => onUnrecovered(e.channel, e.epoch, e.offset, e.previous)),
    client.on('resumed', (summary) => void onResumed(summary)),
    client.on('error', (error) => {
      // After signing out, the signed-in session cannot be resumed anonymously: the client starts a new one.
      if (error.code === 'session_forbidden') return;
      toasts.show(t('errorFromServer', { reason: error.message }));
    }),
    client.on('subscriptionError', (error) => refused(error.channel ?? '', error)),
    client.on('subscriptionEnded', (ended) => {
      // The server ended it (e.g. a refreshed token no longer allows the channel): leave it here too.
      toasts.show(t('channelEnded', { channel: ended.channel, reason: ended.reason }));
      leaveChannel(ended.channel);
    }),
    ...(options.wire
      ? [
          options.wire.on('sent', (raw) => sampler.sent(raw)),
          options.wire.on('extras', (extras) => {
            sampler.extras(extras);
            if (extras.type === 'welcome') {
              // Each connection says it anew (another token, another server): unknown unless said.
              permissions = extras.permissions;
              access?.connected(extras.user);
            } else if (extras.type === 'authenticated') {
              permissions = extras.permissions;
              renderChannels();
              renderComposer();
            }
          }),
          options.wire.on('closed', (info) => access?.attemptClosed(info)),
        ]
      : []),
  ];
  // Without the wire, the access state still follows the connection.
  if (!options.wire && access) unsubscribe.push(client.on('connected', () => access.connected()));

  // ---- user input ----------------------------------------------------------------

  function updateEntry(entry: ChatEntry): void {
    chat.update(entry);
  }

  /** While the clock estimate is coarse, one history read of our own publication times it (clockSampler.ts). */
  function timeOwnPublication(result: PublishResult): void {
    const timing = sampler.lookupWanted(result.id);
    if (!timing) return;
    client.history(result.channel, result.offset - 1, 1).then(
      (h) => {
        const pub = h.publications.find((p) => p.offset === result.offset);
        const serverMs = parseServerTime(pub?.timestamp);
        if (h.epoch === result.epoch && serverMs !== undefined) sampler.publicationTime(serverMs, timing);
      },
      () => {},
    );
  }

  function onSubmit(event: SubmitEvent): void {
    event.preventDefault();
    const text = el.input.value;
    const channel = store.selected;
    if (text.trim() === '' || channel === undefined || el.input.disabled) {
      el.input.focus();
      return;
    }
    const entry = store.addOwn(channel, text, new Date(now()));
    // The server does not echo our own events, so Chat shows them locally.
    if (entry) chat.add(entry, MAX_ITEMS);
    el.input.value = '';
    renderComposer();
    client.publish(channel, text).then(
      (result) => {
        if (!entry) return;
        store.acknowledged(channel, entry, result.epoch, result.offset);
        entry.state = 'sent';
        metrics.recordSent();
        updateEntry(entry);
        renderLive();
        timeOwnPublication(result);
      },
      (error: unknown) => {
        if (entry) {
          entry.state = 'failed';
          updateEntry(entry);
        }
        if (error instanceof BroadcastError && error.code === ClientErrorCode.ClientClosed) return;
        if (error instanceof BroadcastError && error.code === ClientErrorCode.MessageTooBig) {
          toasts.show(t('errorTooLarge', { limit: Math.floor(client.serverLimits.maxMessageBytes / 1024) }));
        } else if (error instanceof BroadcastError && error.code === 'forbidden') {
          toasts.show(t(options.access?.tokens.current === undefined ? 'publishRefusedAnonymous' : 'publishRefusedToken', { channel }));
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
    if (permissions && !allows(permissions.subscribe, channel)) {
      // Known in advance: say so without asking the server.
      channelRefusal = t('channelNotAllowed', { channel, allowed: permissions.subscribe.map((p) => `#${p}`).join(', ') || '—' });
      renderJoinOffer();
      el.joinInput.focus();
      return;
    }
    el.joinInput.value = '';
    channelRefusal = undefined;
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
  const onSignInForChannels = () => accessView.openForm();

  const listeners: [EventTarget, string, EventListener][] = [
    [el.form, 'submit', onSubmit as EventListener],
    [el.input, 'input', renderComposer],
    [el.joinForm, 'submit', onJoin as EventListener],
    [el.nameForm, 'submit', onNameSubmit as EventListener],
    [el.channelList, 'click', onChannelClick as EventListener],
    [el.toggle, 'click', onToggle],
    [el.retryNow, 'click', onRetryNow],
    [el.languageSelect, 'change', onLanguageChange],
    [el.broadcastsClear, 'click', onClearBroadcasts],
    [el.chatClear, 'click', onClearChat],
    [el.noticeDismiss, 'click', onDismissNotice],
    [el.refusalSignIn, 'click', onSignInForChannels],
    [el.channelOnlySignIn, 'click', onSignInForChannels],
  ];
  for (const [target, type, listener] of listeners) target.addEventListener(type, listener);

  // Drives the countdown, the online timer and the rate; cheap enough to run always.
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
      access?.dispose();
      for (const off of unsubscribe) off();
      for (const [target, type, listener] of listeners) target.removeEventListener(type, listener);
    },
  };
}
