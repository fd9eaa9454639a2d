// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BroadcastSocket, type CloseEventLike, type WebSocketLike } from '../connection/broadcastSocket';
import { STORAGE_KEY, type StorageLike } from '../i18n';
import html from '../../index.html?raw';
import { mountApp, type App } from './app';

class FakeWebSocket implements WebSocketLike {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: CloseEventLike) => void) | null = null;
  onmessage: ((event: { readonly data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: string[] = [];
  send(data: string): void {
    this.sent.push(data);
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '', wasClean: true });
  }
  receive(data: string): void {
    this.onmessage?.({ data });
  }
}

// The real page markup, so these tests break if index.html loses an element the app needs.
// Without the module script: the test mounts the app itself with a fake socket.
const body = (/<body>([\s\S]*)<\/body>/.exec(html)?.[1] ?? '').replace(/<script[\s\S]*?<\/script>/g, '');

let sockets: FakeWebSocket[];
let storage: Map<string, string>;
let app: App | undefined;
let client: BroadcastSocket;

const q = <T extends Element = HTMLElement>(id: string) => {
  const el = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`missing ${id}`);
  return el;
};
const all = (id: string) => [...document.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];

function start(locale: 'en' | 'pt-BR' = 'en') {
  const store: StorageLike = {
    getItem: (k) => storage.get(k) ?? null,
    setItem: (k, v) => void storage.set(k, v),
  };
  client = new BroadcastSocket({
    url: 'ws://test/ws/events',
    createSocket: () => {
      const ws = new FakeWebSocket();
      sockets.push(ws);
      return ws;
    },
    onlineSource: null,
  });
  app = mountApp({ root: document.body, socket: client, locale, storage: store });
  client.connect();
  const ws = sockets.at(-1);
  if (!ws) throw new Error('no socket');
  return ws;
}

function submit(text: string) {
  q<HTMLInputElement>('message-input').value = text;
  q<HTMLFormElement>('send-form').requestSubmit();
}

beforeEach(() => {
  document.body.innerHTML = body; // trusted static markup from index.html
  sockets = [];
  storage = new Map();
});

afterEach(() => {
  app?.dispose();
  client.dispose();
  app = undefined;
});

describe('app wiring', () => {
  it('disables sending until connected and reflects the status badge', () => {
    const ws = start();
    expect(q('status-badge').dataset['status']).toBe('connecting');
    expect(q<HTMLButtonElement>('send-button').disabled).toBe(true);
    expect(q<HTMLInputElement>('message-input').disabled).toBe(true);
    ws.open();
    expect(q('status-badge').dataset['status']).toBe('open');
    expect(q('status-text').textContent).toBe('Connected');
    expect(q<HTMLButtonElement>('send-button').disabled).toBe(false);
    expect(q('reconnect-countdown').hidden).toBe(true);
  });

  it('sends own messages to Chat (right) only and counts them', () => {
    const ws = start();
    ws.open();
    submit('hello from A');
    expect(ws.sent).toEqual(['{"message":"hello from A"}']);
    expect(all('chat-item').map((li) => [li.dataset['own'], li.querySelector('.message-text')?.textContent])).toEqual([
      ['true', 'hello from A'],
    ]);
    expect(all('broadcast-item')).toHaveLength(0);
    expect(q('count-sent').textContent).toBe('1');
    expect(q('count-received').textContent).toBe('0');
    expect(q<HTMLInputElement>('message-input').value).toBe('');
  });

  it('ignores whitespace-only input', () => {
    const ws = start();
    ws.open();
    submit('   ');
    expect(ws.sent).toEqual([]);
    expect(all('chat-item')).toHaveLength(0);
  });

  it('shows messages from others in both views (left in Chat) and counts them', () => {
    const ws = start();
    ws.open();
    ws.receive('{"message":"from B","timestamp":"2025-05-01T12:00:00Z"}');
    expect(all('broadcast-item').map((li) => li.textContent)).toEqual([expect.stringContaining('from B')]);
    expect(all('chat-item').map((li) => li.dataset['own'])).toEqual(['false']);
    expect(q('count-received').textContent).toBe('1');
    expect(q('broadcasts-empty').hidden).toBe(true);
    expect(q('broadcast-item').querySelector('time')?.getAttribute('datetime')).toBe('2025-05-01T12:00:00.000Z');
  });

  it('renders HTML in messages as plain text', () => {
    const ws = start();
    ws.open();
    const payload = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    ws.receive(JSON.stringify({ message: payload, timestamp: '2025-05-01T12:00:00Z' }));
    submit('<b>bold</b>');
    expect(document.querySelectorAll('.message-list img, .message-list script, .message-list b')).toHaveLength(0);
    expect(q('broadcast-item').querySelector('.message-text')?.textContent).toBe(payload);
    expect(all('chat-item')[1]?.querySelector('.message-text')?.textContent).toBe('<b>bold</b>');
  });

  it('shows server errors as a dismissable toast, not in the lists', () => {
    const ws = start();
    ws.open();
    ws.receive('{"error":"Message must not be empty","code":"empty_message"}');
    expect(all('toast').map((t) => t.textContent)).toEqual([expect.stringContaining('Message must not be empty')]);
    expect(all('chat-item')).toHaveLength(0);
    q<HTMLButtonElement>('toast-dismiss').click();
    expect(all('toast')).toHaveLength(0);
  });

  it('clear buttons empty a view and bring back its empty state', () => {
    const ws = start();
    ws.open();
    ws.receive('{"message":"m1","timestamp":"2025-05-01T12:00:00Z"}');
    q<HTMLButtonElement>('broadcasts-clear').click();
    expect(all('broadcast-item')).toHaveLength(0);
    expect(q('broadcasts-empty').hidden).toBe(false);
    expect(all('chat-item')).toHaveLength(1); // the other view is untouched
    q<HTMLButtonElement>('chat-clear').click();
    expect(q('chat-empty').hidden).toBe(false);
  });

  it('shows a reconnect countdown after a drop and a toast for 1009', () => {
    const ws = start();
    ws.open();
    ws.drop(1009);
    expect(q('status-badge').dataset['status']).toBe('reconnecting');
    expect(q('reconnect-countdown').hidden).toBe(false);
    expect(q('reconnect-countdown').textContent).toMatch(/^Reconnecting in \d+ s$/);
    expect(q<HTMLButtonElement>('send-button').disabled).toBe(true);
    expect(all('toast').map((t) => t.textContent)).toEqual([expect.stringContaining('1009')]);
  });

  it('manual disconnect / connect via the toggle button', () => {
    const ws = start();
    ws.open();
    const toggle = q<HTMLButtonElement>('connection-toggle');
    expect(toggle.textContent).toBe('Disconnect');
    toggle.click();
    expect(q('status-badge').dataset['status']).toBe('idle');
    expect(toggle.textContent).toBe('Connect');
    expect(q('reconnect-countdown').hidden).toBe(true);
    toggle.click();
    expect(sockets).toHaveLength(2);
    expect(q('status-badge').dataset['status']).toBe('connecting');
  });

  it('switches language, relabels existing messages and remembers the choice', () => {
    const ws = start('en');
    ws.open();
    submit('oi');
    const select = q<HTMLSelectElement>('language-select');
    expect(select.value).toBe('en');
    select.value = 'pt-BR';
    select.dispatchEvent(new Event('change'));
    expect(q('app-title').textContent).toBe('Servidor de Broadcast WebSocket');
    expect(q('send-button').textContent).toBe('Enviar evento');
    expect(q('status-text').textContent).toBe('Conectado');
    expect(q('chat-item').querySelector('.author')?.textContent).toBe('Você');
    expect(q<HTMLInputElement>('message-input').placeholder).toBe('Digite um evento e pressione Enter');
    expect(document.documentElement.lang).toBe('pt-BR');
    expect(storage.get(STORAGE_KEY)).toBe('pt-BR');
  });
});
