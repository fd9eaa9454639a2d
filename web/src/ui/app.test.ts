// @vitest-environment happy-dom
import { BroadcastClient } from '@broadcast/client';
import { FakeBroadcastServer, type FakeWebSocket } from '@broadcast/client/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { STORAGE_KEY, type StorageLike } from '../i18n';
import { CHANNELS_KEY, NAME_KEY } from '../settings';
import html from '../../index.html?raw';
import { mountApp, type App } from './app';

// The real page markup, so these tests break if index.html loses an element the app needs.
// Without the module script: the test mounts the app itself with a client on a fake server.
const body = (/<body>([\s\S]*)<\/body>/.exec(html)?.[1] ?? '').replace(/<script[\s\S]*?<\/script>/g, '');

let server: FakeBroadcastServer;
let storage: Map<string, string>;
let app: App | undefined;
let client: BroadcastClient;

const q = <T extends Element = HTMLElement>(id: string) => {
  const el = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`missing ${id}`);
  return el;
};
const all = (id: string) => [...document.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
const texts = (id: string) => all(id).map((li) => li.querySelector('.message-text')?.textContent);
/** Lets microtasks (fake socket opens, promise callbacks) run. */
const settle = () => vi.advanceTimersByTimeAsync(0);
const socket = () => client.socket as FakeWebSocket;

const store: StorageLike = {
  getItem: (k) => storage.get(k) ?? null,
  setItem: (k, v) => void storage.set(k, v),
};

async function start(options: { locale?: 'en' | 'pt-BR'; channels?: string[]; name?: string } = {}) {
  client = new BroadcastClient({
    url: 'ws://test/ws/events',
    createSocket: server.create,
    onlineSource: null,
    random: () => 0.5,
    name: options.name,
  });
  app = mountApp({
    root: document.body,
    client,
    locale: options.locale ?? 'en',
    storage: store,
    channels: options.channels ?? ['events'],
  });
  client.connect();
  await settle();
}

function submit(text: string) {
  q<HTMLInputElement>('message-input').value = text;
  q<HTMLFormElement>('send-form').requestSubmit();
}

async function join(channel: string) {
  q<HTMLInputElement>('channel-input').value = channel;
  q<HTMLFormElement>('channel-join-form').requestSubmit();
  await settle();
}

function channelItem(name: string) {
  const item = all('channel-item').find((li) => li.dataset['channel'] === name);
  if (!item) throw new Error(`no channel item ${name}`);
  return item;
}

beforeEach(() => {
  vi.useFakeTimers();
  document.body.innerHTML = body; // trusted static markup from index.html
  server = new FakeBroadcastServer();
  storage = new Map();
});

afterEach(() => {
  app?.dispose();
  client.close();
  app = undefined;
  vi.useRealTimers();
});

describe('app wiring', () => {
  it('disables sending until connected and reflects the status badge', async () => {
    server.autoOpen = false;
    await start();
    expect(q('status-badge').dataset['status']).toBe('connecting');
    expect(q<HTMLButtonElement>('send-button').disabled).toBe(true);
    expect(q<HTMLInputElement>('message-input').disabled).toBe(true);
    socket().serverOpen();
    await settle();
    expect(q('status-badge').dataset['status']).toBe('open');
    expect(q('status-text').textContent).toBe('Connected');
    expect(q<HTMLInputElement>('message-input').disabled).toBe(false);
    expect(q('reconnect-countdown').hidden).toBe(true);
  });

  it('enables Send only when there is something to send', async () => {
    await start();
    const input = q<HTMLInputElement>('message-input');
    const send = q<HTMLButtonElement>('send-button');
    expect(send.disabled).toBe(true); // empty
    for (const [value, disabled] of [
      ['   ', true],
      ['\t', true],
      [' hi ', false],
      ['', true],
    ] as const) {
      input.value = value;
      input.dispatchEvent(new Event('input'));
      expect(send.disabled, JSON.stringify(value)).toBe(disabled);
    }
    input.value = 'hello';
    input.dispatchEvent(new Event('input'));
    q<HTMLFormElement>('send-form').requestSubmit();
    // Sent: the input is empty again, and so is the button's reason to be enabled.
    expect(input.value).toBe('');
    expect(send.disabled).toBe(true);
  });

  it('speaks broadcast.v2: hello, then subscribe to the default channel with presence', async () => {
    await start({ name: 'ana' });
    expect(socket().protocols).toEqual(['broadcast.v2']);
    expect(socket().frames.slice(0, 2)).toEqual([
      { type: 'hello', name: 'ana' },
      { type: 'subscribe', id: expect.any(String), channel: 'events', presence: true },
    ]);
    expect(q('composer-channel').textContent).toBe('Sending to #events');
  });

  it('sends own messages to Chat (right) only and counts them once acknowledged', async () => {
    await start();
    submit('hello from A');
    expect(socket().framesOf('publish')).toEqual([{ type: 'publish', id: expect.any(String), channel: 'events', message: 'hello from A' }]);
    expect(all('chat-item').map((li) => [li.dataset['own'], li.querySelector('.message-text')?.textContent])).toEqual([
      ['true', 'hello from A'],
    ]);
    expect(all('broadcast-item')).toHaveLength(0);
    expect(q<HTMLInputElement>('message-input').value).toBe('');
    await settle();
    expect(q('chat-item').dataset['state']).toBe('sent');
    expect(q('count-sent').textContent).toBe('1');
    expect(q('count-received').textContent).toBe('0');
  });

  it('ignores whitespace-only input', async () => {
    await start();
    submit('   ');
    expect(socket().framesOf('publish')).toEqual([]);
    expect(all('chat-item')).toHaveLength(0);
  });

  it('shows messages from others in both views (left in Chat) and counts them', async () => {
    server.now = () => new Date('2025-05-01T12:00:00Z');
    await start();
    server.publish('events', 'from B');
    expect(texts('broadcast-item')).toEqual(['from B']);
    expect(all('chat-item').map((li) => li.dataset['own'])).toEqual(['false']);
    expect(q('count-received').textContent).toBe('1');
    expect(q('broadcasts-empty').hidden).toBe(true);
    expect(q('broadcast-item').querySelector('time')?.getAttribute('datetime')).toBe('2025-05-01T12:00:00.000Z');
  });

  it('renders HTML in messages and names as plain text', async () => {
    await start();
    const payload = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    server.publish('events', payload);
    submit('<b>bold</b>');
    await join('room-1');
    expect(document.querySelectorAll('.message-list img, .message-list script, .message-list b')).toHaveLength(0);
    q<HTMLButtonElement>('channel-select').click(); // back to events
    expect(q('broadcast-item').querySelector('.message-text')?.textContent).toBe(payload);
    expect(all('chat-item')[1]?.querySelector('.message-text')?.textContent).toBe('<b>bold</b>');
  });

  it('shows server errors as a dismissable toast, not in the lists', async () => {
    await start();
    socket().serverSend({ type: 'error', code: 'invalid_json', error: 'Message must be JSON' });
    expect(all('toast').map((t) => t.textContent)).toEqual([expect.stringContaining('Message must be JSON')]);
    expect(all('chat-item')).toHaveLength(0);
    q<HTMLButtonElement>('toast-dismiss').click();
    expect(all('toast')).toHaveLength(0);
  });

  it('clear buttons empty a view and bring back its empty state', async () => {
    await start();
    server.publish('events', 'm1');
    q<HTMLButtonElement>('broadcasts-clear').click();
    expect(all('broadcast-item')).toHaveLength(0);
    expect(q('broadcasts-empty').hidden).toBe(false);
    expect(all('chat-item')).toHaveLength(1); // the other view is untouched
    q<HTMLButtonElement>('chat-clear').click();
    expect(q('chat-empty').hidden).toBe(false);
  });

  it('shows a reconnect countdown after a drop and a toast for 1009', async () => {
    await start();
    socket().serverClose(1009, 'too big');
    expect(q('status-badge').dataset['status']).toBe('reconnecting');
    expect(q('reconnect-countdown').hidden).toBe(false);
    expect(q('reconnect-countdown').textContent).toMatch(/^Reconnecting in \d+ s$/);
    expect(q<HTMLButtonElement>('send-button').disabled).toBe(true);
    expect(all('toast').map((t) => t.textContent)).toEqual([expect.stringContaining('1009')]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(q('status-badge').dataset['status']).toBe('open');
  });

  it('manual disconnect / connect via the toggle button', async () => {
    await start();
    const toggle = q<HTMLButtonElement>('connection-toggle');
    expect(toggle.textContent).toBe('Disconnect');
    toggle.click();
    expect(q('status-badge').dataset['status']).toBe('idle');
    expect(toggle.textContent).toBe('Connect');
    expect(q('reconnect-countdown').hidden).toBe(true);
    toggle.click();
    expect(server.factory.sockets).toHaveLength(2);
    expect(q('status-badge').dataset['status']).toBe('connecting');
    await settle();
    expect(q('status-badge').dataset['status']).toBe('open');
  });

  it('switches language, relabels existing messages and remembers the choice', async () => {
    await start({ locale: 'en' });
    submit('oi');
    const select = q<HTMLSelectElement>('language-select');
    expect(select.value).toBe('en');
    select.value = 'pt-BR';
    select.dispatchEvent(new Event('change'));
    expect(q('app-title').textContent).toBe('Servidor de Broadcast WebSocket');
    expect(q('send-button').textContent).toBe('Enviar evento');
    expect(q('status-text').textContent).toBe('Conectado');
    expect(q('chat-item').querySelector('.author')?.textContent).toBe('Você');
    expect(q<HTMLInputElement>('message-input').placeholder).toBe('Digite um evento e tecle Enter');
    expect(q('composer-channel').textContent).toBe('Enviando para #events');
    expect(q('channel-join').textContent).toBe('Entrar');
    expect(q<HTMLInputElement>('name-input').placeholder).toBe('Seu nome (opcional)');
    expect(q('presence-count').textContent).toBe('1 online');
    expect(document.documentElement.lang).toBe('pt-BR');
    expect(storage.get(STORAGE_KEY)).toBe('pt-BR');
  });
});

describe('channels', () => {
  it('joins a channel from the form, selects it, subscribes and remembers the list', async () => {
    await start();
    await join('room-2');
    expect(all('channel-item').map((li) => [li.dataset['channel'], li.dataset['selected']])).toEqual([
      ['events', 'false'],
      ['room-2', 'true'],
    ]);
    expect(channelItem('room-2').dataset['subscribed']).toBe('true');
    expect(socket().framesOf('subscribe').map((f) => f['channel'])).toEqual(['events', 'room-2']);
    expect(JSON.parse(storage.get(CHANNELS_KEY) ?? '[]')).toEqual(['events', 'room-2']);
    expect(q('composer-channel').textContent).toBe('Sending to #room-2');
    submit('to room 2');
    expect(socket().framesOf('publish').at(-1)).toMatchObject({ channel: 'room-2', message: 'to room 2' });
  });

  it('shows only the selected channel and counts unread messages on the others', async () => {
    await start({ channels: ['events', 'room-2'] });
    server.publish('room-2', 'in room 2');
    server.publish('events', 'in events');
    expect(texts('broadcast-item')).toEqual(['in events']);
    expect(channelItem('room-2').querySelector('[data-testid="channel-unread"]')?.textContent).toBe('1');
    channelItem('room-2').querySelector<HTMLButtonElement>('[data-testid="channel-select"]')?.click();
    expect(texts('broadcast-item')).toEqual(['in room 2']);
    expect(channelItem('room-2').querySelector('[data-testid="channel-unread"]')).toBeNull();
    expect(q('count-received').textContent).toBe('2');
  });

  it('refuses invalid channel names with a toast and leaves channels with the × button', async () => {
    await start({ channels: ['events', 'room-2'] });
    await join('no spaces allowed');
    expect(all('toast').map((t) => t.textContent)).toEqual([expect.stringContaining('1–128')]);
    expect(all('channel-item')).toHaveLength(2);

    channelItem('room-2').querySelector<HTMLButtonElement>('[data-testid="channel-leave"]')?.click();
    await settle();
    expect(all('channel-item').map((li) => li.dataset['channel'])).toEqual(['events']);
    expect(socket().framesOf('unsubscribe').map((f) => f['channel'])).toEqual(['room-2']);
    // The last channel cannot be left.
    expect(channelItem('events').querySelector<HTMLButtonElement>('[data-testid="channel-leave"]')?.disabled).toBe(true);
  });

  it('leaves a channel the server ended (a refreshed token no longer allows it) with a toast', async () => {
    await start({ channels: ['events', 'room-2'] });
    socket().serverSend({ type: 'unsubscribed', channel: 'room-2', code: 'forbidden', error: 'not allowed any more' });
    await settle();
    expect(all('channel-item').map((li) => li.dataset['channel'])).toEqual(['events']);
    expect(all('toast').map((t) => t.textContent)).toEqual([expect.stringContaining('not allowed any more')]);
    // The server already ended it: nothing to unsubscribe.
    expect(socket().framesOf('unsubscribe')).toHaveLength(0);
  });

  it('restores remembered channels', async () => {
    storage.set(CHANNELS_KEY, JSON.stringify(['room-a', 'bad name', 'room-b']));
    const { loadChannels } = await import('../settings');
    await start({ channels: loadChannels(store) });
    expect(all('channel-item').map((li) => li.dataset['channel'])).toEqual(['room-a', 'room-b']);
  });
});

describe('presence and display name', () => {
  it('lists members with names, marks this page, and follows join/leave', async () => {
    await start({ name: 'ana' });
    const other = new BroadcastClient({ url: 'ws://x', createSocket: server.create, onlineSource: null, name: 'bo' });
    other.connect();
    await settle();
    void other.subscribe('events');
    await settle();
    const names = () => all('presence-item').map((li) => [li.querySelector('.member-name')?.textContent, li.dataset['self']]);
    expect(names()).toEqual([
      ['ana (you)', 'true'],
      ['bo', 'false'],
    ]);
    expect(q('presence-count').textContent).toBe('2 online');
    expect(q('presence-empty').hidden).toBe(true);

    // Messages from a known member carry the name.
    await other.publish('events', 'hi from bo');
    await settle();
    expect(q('broadcast-item').querySelector('.author')?.textContent).toBe('bo');

    other.close();
    await settle();
    expect(names()).toEqual([['ana (you)', 'true']]);
    expect(q('presence-empty').hidden).toBe(false);
  });

  it('saves the display name and reconnects so hello carries it', async () => {
    await start();
    const first = socket();
    q<HTMLInputElement>('name-input').value = '  carla ';
    q<HTMLFormElement>('name-form').requestSubmit();
    await settle();
    expect(storage.get(NAME_KEY)).toBe('carla');
    expect(socket()).not.toBe(first);
    expect(socket().frames[0]).toEqual({ type: 'hello', session: client.session, name: 'carla' });
    expect(all('presence-item').map((li) => li.querySelector('.member-name')?.textContent)).toEqual(['carla (you)']);
  });
});

describe('recovery notice', () => {
  it('after a drop, says how many missed events were recovered, and they show up', async () => {
    await start();
    expect(q('recovery-notice').hidden).toBe(true);
    socket().serverClose(1006);
    for (let i = 1; i <= 12; i++) server.publish('events', `missed ${i}`);
    await vi.advanceTimersByTimeAsync(1000);
    expect(q('status-badge').dataset['status']).toBe('open');
    expect(q('recovery-notice').hidden).toBe(false);
    expect(q('recovery-notice').dataset['kind']).toBe('recovered');
    expect(q('recovery-text').textContent).toBe('Reconnected: recovered 12 missed events.');
    expect(all('broadcast-item')).toHaveLength(12);
    q<HTMLButtonElement>('recovery-dismiss').click();
    expect(q('recovery-notice').hidden).toBe(true);
  });

  it('after a graceful restart (1001) whose new epoch was read whole, claims no loss and shows what was missed', async () => {
    await start({ channels: ['events', 'room-2'] });
    server.publish('events', 'before');
    server.restart(); // closes with 1001 and forgets every channel: new epochs
    server.publish('events', 'new epoch 1');
    server.publish('events', 'new epoch 2');
    await vi.advanceTimersByTimeAsync(1000);
    expect(q('status-badge').dataset['status']).toBe('open');
    expect(q('recovery-notice').dataset['kind']).toBe('recovered');
    expect(q('recovery-text').textContent).toBe('Reconnected: recovered 2 missed events.');
    expect(texts('broadcast-item')).toEqual(['before', 'new epoch 1', 'new epoch 2']);
    server.publish('events', 'live again');
    expect(texts('broadcast-item')).toEqual(['before', 'new epoch 1', 'new epoch 2', 'live again']);
  });

  it('after a graceful restart with nothing published since, shows no notice at all', async () => {
    await start({ channels: ['events', 'room-2'] });
    server.publish('events', 'before');
    server.restart();
    await vi.advanceTimersByTimeAsync(1000);
    expect(q('status-badge').dataset['status']).toBe('open');
    expect(q('recovery-notice').hidden).toBe(true);
  });

  it('after an abrupt end (no 1001: kill -9, network) and a new epoch, says some events could not be recovered', async () => {
    await start({ channels: ['events', 'room-2'] });
    server.publish('events', 'before');
    // A crash: the history is gone (new epochs) and the socket just drops.
    server.channels.clear();
    server.epochSuffix = 'crashed';
    socket().serverClose(1006);
    await vi.advanceTimersByTimeAsync(1000);
    expect(q('recovery-notice').dataset['kind']).toBe('unrecovered');
    expect(q('recovery-text').textContent).toBe('Reconnected, but some events could not be recovered (#events, #room-2).');
    const select = q<HTMLSelectElement>('language-select');
    select.value = 'pt-BR';
    select.dispatchEvent(new Event('change'));
    expect(q('recovery-text').textContent).toBe('Reconectado, mas alguns eventos não puderam ser recuperados (#events, #room-2).');
  });
});
