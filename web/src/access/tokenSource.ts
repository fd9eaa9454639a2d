/**
 * Where this page's access token comes from, in order:
 * 1. a token the person entered (kept for this tab only, in sessionStorage `broadcast.token`, once the
 *    server accepted it);
 * 2. the hosting application's hook, `window.broadcastAuth = { getToken: async () => "<jwt>" }`
 *    (web/README.md, "Signing in"): asked before the first connection, again when the server refuses the
 *    token, and shortly before it expires;
 * 3. none: the connection is anonymous.
 */
import type { StorageLike } from '../i18n';

export interface AuthHook {
  /** A current token (a JWT), or null/undefined for none. May be async. */
  getToken(): Promise<string | null | undefined> | string | null | undefined;
}

declare global {
  interface Window {
    broadcastAuth?: AuthHook;
  }
}

export const TOKEN_KEY = 'broadcast.token';
/** The hook gets this long to answer before the page goes on without a token. */
const HOOK_TIMEOUT_MS = 10_000;

export type TokenKind = 'manual' | 'hook' | 'none';

export class TokenSource {
  private manual: string | undefined;
  private fromHook: string | undefined;

  constructor(
    private readonly storage: StorageLike | undefined,
    private readonly hook: () => AuthHook | undefined,
  ) {
    this.manual = read(storage);
  }

  /** The token the next connection attempt presents. */
  get current(): string | undefined {
    return this.manual ?? this.fromHook;
  }

  get kind(): TokenKind {
    if (this.manual !== undefined) return 'manual';
    return this.fromHook !== undefined ? 'hook' : 'none';
  }

  get hasHook(): boolean {
    return this.hook() !== undefined;
  }

  /** Uses a token the person entered; `remember` keeps it for this tab (do so once the server took it). */
  setManual(token: string): void {
    this.manual = token;
  }

  remember(): void {
    if (this.manual === undefined) return;
    try {
      this.storage?.setItem(TOKEN_KEY, this.manual);
    } catch {
      // Not remembering it only means entering it again after a reload.
    }
  }

  /** Forgets the entered token (sign out); the hook's token, if any, applies again. */
  clearManual(): void {
    this.manual = undefined;
    try {
      this.storage?.removeItem?.(TOKEN_KEY);
    } catch {
      // Nothing to forget.
    }
  }

  /** Asks the hook for a token (at most HOOK_TIMEOUT_MS); returns the token now in use. */
  async refreshFromHook(): Promise<string | undefined> {
    const hook = this.hook();
    if (!hook) return this.current;
    try {
      const token = await Promise.race([
        Promise.resolve(hook.getToken()),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), HOOK_TIMEOUT_MS)),
      ]);
      this.fromHook = typeof token === 'string' && token !== '' ? token : undefined;
    } catch {
      this.fromHook = undefined;
    }
    return this.current;
  }
}

function read(storage: StorageLike | undefined): string | undefined {
  try {
    const value = storage?.getItem(TOKEN_KEY);
    return value === null || value === undefined || value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}

/** When a JWT expires (its `exp`, in ms), read without checking the signature (only to plan a refresh). */
export function tokenExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
    const exp = (JSON.parse(json) as Record<string, unknown>)['exp'];
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
