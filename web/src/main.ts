import './styles.css';
import { BroadcastClient, socketUrl } from '@broadcast/client';
import { loadLocale } from './i18n';
import { loadChannels, loadName } from './settings';
import { mountApp } from './ui/app';

/** localStorage can throw on access (e.g. disabled storage); the app works without it. */
function safeStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

const storage = safeStorage();
const name = loadName(storage);
const client = new BroadcastClient({ url: socketUrl(window.location), name: name === '' ? undefined : name });

mountApp({
  root: document.body,
  client,
  storage,
  locale: loadLocale(storage, navigator.language),
  channels: loadChannels(storage),
});

client.connect();

// Close cleanly on navigation so the server frees the slot right away.
window.addEventListener('pagehide', () => client.disconnect());
// Coming back from the back/forward cache: the page is alive again, so reconnect.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) client.connect();
});
