/**
 * Remembered choices: display name and joined channels (localStorage). Storage
 * may be missing or throw (privacy modes); the app then simply does not remember.
 */
import { isValidChannel, isValidName } from '@broadcast/client';
import { DEFAULT_CHANNEL } from './channels';
import type { StorageLike } from './i18n';

export const NAME_KEY = 'broadcast.name';
export const CHANNELS_KEY = 'broadcast.channels';

function read(storage: StorageLike | undefined, key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

function write(storage: StorageLike | undefined, key: string, value: string): void {
  try {
    storage?.setItem(key, value);
  } catch {
    // Not remembering is acceptable.
  }
}

export function loadName(storage: StorageLike | undefined): string {
  const name = read(storage, NAME_KEY) ?? '';
  return isValidName(name) ? name : '';
}

export function saveName(storage: StorageLike | undefined, name: string): void {
  write(storage, NAME_KEY, name);
}

/** Joined channels; always at least the default one. */
export function loadChannels(storage: StorageLike | undefined): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(read(storage, CHANNELS_KEY) ?? 'null');
  } catch {
    parsed = null;
  }
  const list = Array.isArray(parsed) ? parsed.filter(isValidChannel) : [];
  const unique = [...new Set(list)].slice(0, 32);
  return unique.length > 0 ? unique : [DEFAULT_CHANNEL];
}

export function saveChannels(storage: StorageLike | undefined, channels: readonly string[]): void {
  write(storage, CHANNELS_KEY, JSON.stringify(channels));
}
