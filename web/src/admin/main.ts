import '../styles.css';
import './admin.css';
import { byTestId } from '../ui/dom';
import { AdminApi, UnauthorizedError } from './api';
import { Dashboard } from './dashboard';
import { wireUserActions } from './userActions';

/** How often the dashboard polls the admin API. */
const POLL_MS = 1000;
const KEY_STORAGE = 'broadcast.adminKey';

function session(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

const storage = session();
const api = new AdminApi((input, init) => fetch(input, init), storage?.getItem(KEY_STORAGE) ?? undefined);
const dashboard = new Dashboard(document.body);
const keyForm = byTestId(document, 'admin-key-form', HTMLFormElement);
const keyInput = byTestId(document, 'admin-key-input', HTMLInputElement);
const keyError = byTestId(document, 'admin-key-error', HTMLElement);
const board = byTestId(document, 'admin-dashboard', HTMLElement);
const errorLine = byTestId(document, 'admin-error', HTMLElement);
const status = byTestId(document, 'admin-status', HTMLElement);
const statusText = byTestId(document, 'admin-status-text', HTMLElement);
let timer: number | undefined;
let triedKey = false;

async function poll(): Promise<void> {
  window.clearTimeout(timer);
  try {
    const [overview, connections] = await Promise.all([api.overview(), api.connections()]);
    keyForm.hidden = true;
    errorLine.hidden = true;
    board.hidden = false;
    dashboard.update(overview, connections, Date.now());
  } catch (error) {
    if (error instanceof UnauthorizedError) {
      // Locked: ask for the key and stop polling until one is entered.
      board.hidden = true;
      keyForm.hidden = false;
      keyError.hidden = !triedKey;
      status.setAttribute('data-status', 'locked');
      statusText.textContent = 'Locked';
      keyInput.focus();
      return;
    }
    // The server is away (restarting, network): say so, keep the last numbers, and keep trying.
    errorLine.hidden = false;
    errorLine.textContent = `Cannot reach the server: ${error instanceof Error ? error.message : String(error)}`;
    status.setAttribute('data-status', 'error');
    statusText.textContent = 'Unreachable';
  }
  timer = window.setTimeout(() => void poll(), POLL_MS);
}

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  triedKey = true;
  api.setKey(key === '' ? undefined : key);
  try {
    storage?.setItem(KEY_STORAGE, key);
  } catch {
    // Not remembering the key only means asking again after a reload.
  }
  keyInput.value = '';
  void poll();
});

wireUserActions(document.body, api);
void poll();
