/**
 * Test harness for the page's DOM tests: the real index.html markup, the real client and the page's real
 * socket tap, on the client package's in-memory fake server. Two hooks stand in for what the fake server
 * cannot do: `welcomeExtras` adds fields to its welcome (server additions that do not exist yet, so the
 * page's feature detection can be tested), and `refuse` answers chosen requests with an error frame
 * (the fake has no permissions).
 */
import { BroadcastClient, type WebSocketFactory } from '@broadcast/client';
import { FakeBroadcastServer, type FakeWebSocket } from '@broadcast/client/testing';
import { vi } from 'vitest';
import html from '../../index.html?raw';
import type { Diagnosis } from '../access/connectCheck';
import { TokenSource, type AuthHook } from '../access/tokenSource';
import type { ClockOffset } from '../timing/clockOffset';
import type { StorageLike } from '../i18n';
import { tappedSocketFactory } from '../wire/tappedSocket';
import { WireEvents } from '../wire/wireEvents';
import { mountApp, type App } from './app';

// Without the module script: the test mounts the app itself with a client on a fake server.
export const body = (/<body>([\s\S]*)<\/body>/.exec(html)?.[1] ?? '').replace(/<script[\s\S]*?<\/script>/g, '');

export type Frame = Record<string, unknown>;

export interface StartOptions {
  readonly locale?: 'en' | 'pt-BR';
  readonly channels?: string[];
  readonly name?: string;
  readonly session?: string;
  /** Fields added to every welcome frame. */
  readonly welcomeExtras?: Frame | ((frame: Frame) => Frame);
  /** An error frame to answer a request with instead of the fake server's answer. */
  readonly refuse?: (frame: Frame) => Frame | undefined;
  /** Turns on sign-in: the diagnosis the page gets for a refused upgrade. */
  readonly diagnose?: (token: string | undefined) => Promise<Diagnosis>;
  readonly hook?: AuthHook;
  readonly clock?: ClockOffset;
}

export class AppHarness {
  readonly server = new FakeBroadcastServer();
  readonly storage = new Map<string, string>();
  readonly tabStorage = new Map<string, string>();
  readonly wire = new WireEvents();
  /** URLs of every connection attempt. */
  readonly urls: string[] = [];
  /** The fake sockets of this page's attempts (client.socket is the tap around the latest). */
  readonly sockets: FakeWebSocket[] = [];
  readonly diagnoses: (string | undefined)[] = [];
  app: App | undefined;
  client!: BroadcastClient;
  tokens: TokenSource | undefined;

  readonly store: StorageLike = {
    getItem: (k) => this.storage.get(k) ?? null,
    setItem: (k, v) => void this.storage.set(k, v),
  };

  readonly tabStore: StorageLike = {
    getItem: (k) => this.tabStorage.get(k) ?? null,
    setItem: (k, v) => void this.tabStorage.set(k, v),
    removeItem: (k) => void this.tabStorage.delete(k),
  };

  async start(options: StartOptions = {}): Promise<void> {
    const inner: WebSocketFactory = (url, protocols) => {
      this.urls.push(url);
      const ws = this.server.create(url, protocols) as FakeWebSocket;
      this.sockets.push(ws);
      interpose(ws, options);
      return ws;
    };
    this.tokens = options.diagnose ? new TokenSource(this.tabStore, () => options.hook) : undefined;
    if (options.hook && this.tokens) await this.tokens.refreshFromHook();
    const tokens = this.tokens;
    this.client = new BroadcastClient({
      url: 'ws://test/ws/events',
      createSocket: tappedSocketFactory({ inner, observer: this.wire.observer, ...(tokens ? { token: () => tokens.current } : {}) }),
      onlineSource: null,
      random: () => 0.5,
      name: options.name,
      session: options.session,
    });
    const diagnose = options.diagnose;
    this.app = mountApp({
      root: document.body,
      client: this.client,
      locale: options.locale ?? 'en',
      storage: this.store,
      channels: options.channels ?? ['events'],
      wire: this.wire,
      clockNow: () => Date.now(),
      clock: options.clock,
      access:
        tokens && diagnose
          ? {
              tokens,
              diagnose: (token) => {
                this.diagnoses.push(token);
                return diagnose(token);
              },
            }
          : undefined,
    });
    this.client.connect();
    await settle();
  }

  get socket(): FakeWebSocket {
    const ws = this.sockets.at(-1);
    if (!ws) throw new Error('no socket yet');
    return ws;
  }

  stop(): void {
    this.app?.dispose();
    this.client.close();
    this.app = undefined;
  }
}

/** Lets microtasks (fake socket opens, promise callbacks) run. */
export const settle = () => vi.advanceTimersByTimeAsync(0);

export const q = <T extends Element = HTMLElement>(id: string) => {
  const el = document.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new Error(`missing ${id}`);
  return el;
};
export const all = (id: string) => [...document.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
export const texts = (id: string) => all(id).map((li) => li.querySelector('.message-text')?.textContent);

export function typeAndSubmit(text: string): void {
  const input = q<HTMLInputElement>('message-input');
  input.value = text;
  input.dispatchEvent(new Event('input'));
  q<HTMLFormElement>('send-form').requestSubmit();
}

export async function join(channel: string): Promise<void> {
  q<HTMLInputElement>('channel-input').value = channel;
  q<HTMLFormElement>('channel-join-form').requestSubmit();
  await settle();
}

export function channelItem(name: string): HTMLElement {
  const item = all('channel-item').find((li) => li.dataset['channel'] === name);
  if (!item) throw new Error(`no channel item ${name}`);
  return item;
}

/** Applies `welcomeExtras` and `refuse` between the fake server and the page. */
function interpose(ws: FakeWebSocket, options: StartOptions): void {
  const { welcomeExtras, refuse } = options;
  if (welcomeExtras) {
    let handler: FakeWebSocket['onmessage'] = null;
    const rewrite: NonNullable<FakeWebSocket['onmessage']> = (event) => {
      const frame = typeof event.data === 'string' ? (JSON.parse(event.data) as Frame) : undefined;
      if (frame?.['type'] === 'welcome') {
        const extra = typeof welcomeExtras === 'function' ? welcomeExtras(frame) : welcomeExtras;
        handler?.({ data: JSON.stringify({ ...frame, ...extra }) });
        return;
      }
      handler?.(event);
    };
    Object.defineProperty(ws, 'onmessage', {
      get: () => (handler ? rewrite : null),
      set: (value: FakeWebSocket['onmessage']) => {
        handler = value;
      },
    });
  }
  if (refuse) {
    const serve = ws.onSend;
    ws.onSend = (raw) => {
      const error = refuse(JSON.parse(raw) as Frame);
      if (error) ws.serverSend(error);
      else serve?.(raw);
    };
  }
}
