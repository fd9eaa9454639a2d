import './styles.css';
import { BroadcastClient, HttpStreamSocket, socketFactory, socketUrl } from '@broadcast/client';
import { diagnoseRefusal } from './access/connectCheck';
import { TokenSource } from './access/tokenSource';
import { loadLocale } from './i18n';
import { TabSession } from './session/tabSession';
import { loadChannels, loadName } from './settings';
import { ClockOffset } from './timing/clockOffset';
import { mountApp } from './ui/app';
import { tappedSocketFactory } from './wire/tappedSocket';
import { WireEvents } from './wire/wireEvents';

/** Web storage can throw on access (e.g. disabled storage); the app works without it. */
function safeStorage(kind: 'localStorage' | 'sessionStorage'): Storage | undefined {
  try {
    return window[kind];
  } catch {
    return undefined;
  }
}

const clockNow = () => performance.timeOrigin + performance.now();
const HTTP_DATE_EVERY_MS = 5 * 60_000;

async function main(): Promise<void> {
  const storage = safeStorage('localStorage');
  const tabStorage = safeStorage('sessionStorage');
  const name = loadName(storage);
  const tokens = new TokenSource(tabStorage, () => window.broadcastAuth);
  const tabSession = new TabSession(tabStorage, navigator.locks as unknown as TabSession['locks'] | undefined);
  const clock = new ClockOffset();
  const wire = new WireEvents();
  const base = `${window.location.protocol}//${window.location.host}`;

  // A token from the hosting application (if it set window.broadcastAuth) before the first connection.
  if (tokens.hasHook) await tokens.refreshFromHook();
  const session = await tabSession.claim();

  const client = new BroadcastClient({
    url: socketUrl(window.location),
    name: name === '' ? undefined : name,
    session,
    // WebSocket first; where a proxy or filter breaks upgrades (or the browser has none), HTTP streaming.
    transports: ['websocket', 'http-stream'],
    createSocket: tappedSocketFactory({ inner: socketFactory(), observer: wire.observer, token: () => tokens.current }),
    createHttpStream: tappedSocketFactory({ inner: (url) => new HttpStreamSocket(url), observer: wire.observer, token: () => tokens.current }),
  });
  client.on('connected', (e) => void tabSession.remember(e.session));

  mountApp({
    root: document.body,
    client,
    storage,
    locale: loadLocale(storage, navigator.language),
    channels: loadChannels(storage),
    wire,
    clock,
    clockNow,
    access: {
      tokens,
      diagnose: (token) =>
        diagnoseRefusal({
          fetch: (input, init) => fetch(input, init),
          base,
          token,
          now: clockNow,
          onDate: (date, sentAt, receivedAt) => clock.addHttpDate(date, sentAt, receivedAt),
        }),
    },
  });

  client.connect();
  // Samples age out after ten minutes (clockOffset.ts): a page that only reads keeps a coarse bound.
  void sampleHttpDate(base, clock);
  setInterval(() => void sampleHttpDate(base, clock), HTTP_DATE_EVERY_MS);

  // Close cleanly on navigation so the server frees the slot right away.
  window.addEventListener('pagehide', () => client.disconnect());
  // Coming back from the back/forward cache: the page is alive again, so reconnect.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) client.connect();
  });
}

/** A coarse bound on the server's clock (about ±1 s) from an HTTP Date header. */
async function sampleHttpDate(base: string, clock: ClockOffset): Promise<void> {
  const sentAt = clockNow();
  try {
    const response = await fetch(`${base}/health`, { cache: 'no-store' });
    const date = Date.parse(response.headers.get('date') ?? '');
    if (!Number.isNaN(date)) clock.addHttpDate(date, sentAt, clockNow());
  } catch {
    // The connection's own samples follow.
  }
}

void main();
