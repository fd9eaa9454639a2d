import { describe, expect, it } from 'vitest';
import type { StorageLike } from '../i18n';
import { SESSION_KEY, TabSession, type LockManagerLike } from './tabSession';

/** Web Locks within one test: a name is held until its holder's promise settles (never, here). */
class Locks implements LockManagerLike {
  readonly held = new Set<string>();
  request(name: string, _options: { ifAvailable: boolean }, callback: (lock: unknown) => unknown): Promise<unknown> {
    if (this.held.has(name)) return Promise.resolve(callback(null));
    this.held.add(name);
    return Promise.resolve(callback({ name }));
  }
}

const tab = (map = new Map<string, string>()): StorageLike => ({ getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) });

describe('TabSession', () => {
  it('resumes the remembered session after a reload', async () => {
    const storage = new Map<string, string>();
    const first = new TabSession(tab(storage), new Locks());
    expect(await first.claim()).toBeUndefined();
    await first.remember('session-a');
    expect(storage.get(SESSION_KEY)).toBe('session-a');
    // The reload: the old page's locks are gone with it.
    expect(await new TabSession(tab(storage), new Locks()).claim()).toBe('session-a');
  });

  it('starts a new session in a duplicated tab (same storage, lock held by the original)', async () => {
    const locks = new Locks();
    const original = new Map([[SESSION_KEY, 'session-a']]);
    expect(await new TabSession(tab(original), locks).claim()).toBe('session-a');
    const copy = new Map(original);
    const duplicate = new TabSession(tab(copy), locks);
    expect(await duplicate.claim()).toBeUndefined();
    await duplicate.remember('session-b');
    expect(copy.get(SESSION_KEY)).toBe('session-b');
    expect(original.get(SESSION_KEY)).toBe('session-a');
  });

  it('does not resume without Web Locks', async () => {
    const storage = new Map([[SESSION_KEY, 'session-a']]);
    expect(await new TabSession(tab(storage), undefined).claim()).toBeUndefined();
  });
});
