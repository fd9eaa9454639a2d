import './styles.css';
import { BroadcastSocket } from './connection/broadcastSocket';
import { socketUrlFor } from './connection/protocol';
import { loadLocale } from './i18n';
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
const socket = new BroadcastSocket({ url: socketUrlFor(window.location) });

mountApp({
  root: document.body,
  socket,
  storage,
  locale: loadLocale(storage, navigator.language),
});

socket.connect();

// Close cleanly on navigation so the server frees the slot right away.
window.addEventListener('pagehide', () => socket.disconnect());
// Coming back from the back/forward cache: the page is alive again, so reconnect.
window.addEventListener('pageshow', (event) => {
  if (event.persisted) socket.connect();
});
