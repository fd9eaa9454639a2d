/**
 * The observations of tappedSocketFactory as events, with the extras of each frame parsed once, for the
 * parts of the page that need them (access, clock, permissions).
 */
import type { CloseEventLike } from '@broadcast/client';
import { readExtras, type ServerExtras } from './serverExtras';
import type { WireObserver } from './tappedSocket';

export interface AttemptClosed {
  readonly attempt: number;
  readonly opened: boolean;
  readonly byClient: boolean;
  readonly event: CloseEventLike;
}

interface Events {
  opened: number;
  closed: AttemptClosed;
  extras: ServerExtras;
  sent: string;
}

type Listener<T> = (value: T) => void;

export class WireEvents {
  private readonly listeners: { [K in keyof Events]: Set<Listener<Events[K]>> } = {
    opened: new Set(),
    closed: new Set(),
    extras: new Set(),
    sent: new Set(),
  };

  /** Feed for tappedSocketFactory. */
  readonly observer: WireObserver = {
    opened: (attempt) => this.emit('opened', attempt),
    closed: (attempt, info) => this.emit('closed', { attempt, ...info }),
    received: (raw) => {
      const extras = readExtras(raw);
      if (extras) this.emit('extras', extras);
    },
    sent: (raw) => this.emit('sent', raw),
  };

  on<K extends keyof Events>(type: K, listener: Listener<Events[K]>): () => void {
    this.listeners[type].add(listener);
    return () => this.listeners[type].delete(listener);
  }

  private emit<K extends keyof Events>(type: K, value: Events[K]): void {
    for (const listener of [...this.listeners[type]]) listener(value);
  }
}
