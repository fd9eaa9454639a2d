import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StorageLike } from '../i18n';
import { TOKEN_KEY, TokenSource, tokenExpiry } from './tokenSource';

const storage = () => {
  const map = new Map<string, string>();
  const s: StorageLike = { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v), removeItem: (k) => void map.delete(k) };
  return { map, s };
};
const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

afterEach(() => vi.useRealTimers());

describe('TokenSource', () => {
  it('prefers the entered token, remembers it only when told, and falls back to the hook', async () => {
    const { map, s } = storage();
    const tokens = new TokenSource(s, () => ({ getToken: () => 'from-hook' }));
    expect(tokens.kind).toBe('none');
    await tokens.refreshFromHook();
    expect([tokens.current, tokens.kind]).toEqual(['from-hook', 'hook']);
    tokens.setManual('typed');
    expect([tokens.current, tokens.kind]).toEqual(['typed', 'manual']);
    expect(map.has(TOKEN_KEY)).toBe(false);
    tokens.remember();
    expect(map.get(TOKEN_KEY)).toBe('typed');
    tokens.clearManual();
    expect([tokens.current, map.has(TOKEN_KEY)]).toEqual(['from-hook', false]);
  });

  it('restores a remembered token', () => {
    const { map, s } = storage();
    map.set(TOKEN_KEY, 'kept');
    expect(new TokenSource(s, () => undefined).current).toBe('kept');
  });

  it('survives a hook that throws, answers nothing, or never answers', async () => {
    vi.useFakeTimers();
    const { s } = storage();
    const throwing = new TokenSource(s, () => ({ getToken: () => Promise.reject(new Error('no')) }));
    expect(await throwing.refreshFromHook()).toBeUndefined();
    const empty = new TokenSource(s, () => ({ getToken: () => null }));
    expect(await empty.refreshFromHook()).toBeUndefined();
    const stuck = new TokenSource(s, () => ({ getToken: () => new Promise<string>(() => {}) }));
    const pending = stuck.refreshFromHook();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await pending).toBeUndefined();
  });
});

describe('tokenExpiry', () => {
  it('reads exp from a JWT without checking it', () => {
    expect(tokenExpiry(`${b64url({ alg: 'HS256' })}.${b64url({ sub: 'a', exp: 1_900_000_000 })}.sig`)).toBe(1_900_000_000_000);
    expect(tokenExpiry(`${b64url({})}.${b64url({ sub: 'a' })}.sig`)).toBeUndefined();
    expect(tokenExpiry('not a jwt')).toBeUndefined();
    expect(tokenExpiry('a.%%%.c')).toBeUndefined();
  });
});
