import { describe, expect, it } from 'vitest';
import type { StorageLike } from './i18n';
import { CHANNELS_KEY, NAME_KEY, loadChannels, loadName, saveChannels, saveName } from './settings';

function memory(initial: Record<string, string> = {}): StorageLike & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

const throwing: StorageLike = {
  getItem: () => {
    throw new Error('denied');
  },
  setItem: () => {
    throw new Error('denied');
  },
};

describe('settings', () => {
  it('defaults to the events channel and no name', () => {
    expect(loadChannels(memory())).toEqual(['events']);
    expect(loadName(memory())).toBe('');
    expect(loadChannels(undefined)).toEqual(['events']);
    expect(loadChannels(throwing)).toEqual(['events']);
  });

  it('round-trips and drops invalid or duplicate entries', () => {
    const s = memory();
    saveChannels(s, ['events', 'room-2']);
    saveName(s, 'ana');
    expect(loadChannels(s)).toEqual(['events', 'room-2']);
    expect(loadName(s)).toBe('ana');
    s.data.set(CHANNELS_KEY, JSON.stringify(['a', 'a', 'bad name', 5, 'b']));
    expect(loadChannels(s)).toEqual(['a', 'b']);
    s.data.set(CHANNELS_KEY, '{not json');
    expect(loadChannels(s)).toEqual(['events']);
    s.data.set(NAME_KEY, 'x'.repeat(65));
    expect(loadName(s)).toBe('');
  });

  it('ignores storage that throws on write', () => {
    expect(() => saveChannels(throwing, ['a'])).not.toThrow();
    expect(() => saveName(throwing, 'a')).not.toThrow();
  });
});
