/**
 * Who this page is to the server, and why it cannot connect when it cannot.
 *
 * - A connection attempt whose socket closed without ever opening was refused at the upgrade (or never
 *   reached the server). The browser hides the HTTP status, so the controller asks (connectCheck.ts) and
 *   turns the answer into a `Problem` the page shows. A refusal that retrying cannot fix (a token required
 *   or refused, an origin not allowed) stops the reconnect loop instead of "Reconnecting" forever; with a
 *   hosting application's hook, a refused token is first replaced by a fresh one from the hook.
 * - Signing in: a token entered by the person is sent with `auth` on an open connection (no reconnect), or
 *   presented by the next attempt otherwise; it is remembered for the tab once the server accepted it.
 * - A token from the hook is refreshed shortly before it expires; for an entered token the page asks for a
 *   fresh one instead.
 */
import { BroadcastError, type BroadcastClient } from '@broadcast/client';
import type { AttemptClosed } from '../wire/wireEvents';
import type { Diagnosis } from './connectCheck';
import type { Permissions } from './permissions';
import { tokenExpiry, type TokenKind, type TokenSource } from './tokenSource';

export type ProblemCode =
  | 'token_required'
  | 'token_invalid'
  | 'origin_forbidden'
  | 'host_forbidden'
  | 'too_many_connections'
  | 'busy'
  | 'unexplained'
  | 'unreachable'
  | 'token_expiring';

export interface Problem {
  readonly code: ProblemCode;
  /** The server's code when it gave one (e.g. `server_full` behind `busy`). */
  readonly serverCode?: string;
  /** When the token expires (token_expiring). */
  readonly at?: number;
}

export interface AccessState {
  readonly tokenKind: TokenKind;
  /** The token's user when the server said it; null: anonymous; undefined: not known. */
  readonly user: string | null | undefined;
  readonly problem: Problem | undefined;
  /** Whether the page stopped reconnecting because of the problem. */
  readonly stopped: boolean;
}

export interface AccessOptions {
  readonly client: BroadcastClient;
  readonly tokens: TokenSource;
  readonly diagnose: (token: string | undefined) => Promise<Diagnosis>;
  readonly onChange: () => void;
  /** The connect-check said what this connection may do. */
  readonly onPermissions?: (permissions: Permissions) => void;
  readonly now?: () => number;
}

/** Refresh a hook's token this long before it expires. */
const REFRESH_BEFORE_MS = 60_000;

export type SignInResult = { readonly ok: true } | { readonly ok: false; readonly code: string; readonly reason: string };

export class AccessController {
  private problem: Problem | undefined;
  private stopped = false;
  private user: string | null | undefined;
  private diagnosing = false;
  private hookRetried = false;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: AccessOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  get state(): AccessState {
    return { tokenKind: this.options.tokens.kind, user: this.user, problem: this.problem, stopped: this.stopped };
  }

  /** An attempt's socket closed (from WireEvents). */
  attemptClosed(info: AttemptClosed): void {
    if (info.opened || info.byClient || this.diagnosing) return;
    this.diagnosing = true;
    const token = this.options.tokens.current;
    void this.options
      .diagnose(token)
      .then((d) => this.applyDiagnosis(d, token))
      .finally(() => {
        this.diagnosing = false;
      });
  }

  /** The server welcomed a connection (`user` from the welcome when the server says it). */
  connected(user?: string | null): void {
    this.hookRetried = false;
    this.stopped = false;
    if (this.problem?.code !== 'token_expiring') this.problem = undefined;
    if (user !== undefined) this.user = user;
    else if (this.options.tokens.current === undefined) this.user = null;
    this.options.tokens.remember();
    this.scheduleExpiry();
    this.options.onChange();
  }

  /** Uses `token`: on an open connection through `auth`, otherwise for the next attempt (started now). */
  async signIn(token: string): Promise<SignInResult> {
    const { client, tokens } = this.options;
    if (client.status.state === 'open') {
      try {
        const result = await client.authenticate(token);
        tokens.setManual(token);
        tokens.remember();
        this.user = result.user;
        this.problem = undefined;
        this.scheduleExpiry();
        this.options.onChange();
        return { ok: true };
      } catch (error) {
        const code = error instanceof BroadcastError ? error.code : 'error';
        return { ok: false, code, reason: error instanceof Error ? error.message : String(error) };
      }
    }
    tokens.setManual(token);
    this.problem = undefined;
    this.stopped = false;
    this.user = undefined;
    this.options.onChange();
    client.connect();
    return { ok: true };
  }

  /** Forgets the entered token and reconnects without it (or with the hook's). */
  signOut(): void {
    const { client, tokens } = this.options;
    tokens.clearManual();
    this.user = undefined;
    this.problem = undefined;
    this.clearExpiry();
    this.options.onChange();
    if (client.status.state !== 'idle' || this.stopped) {
      this.stopped = false;
      client.disconnect();
      client.connect();
    }
  }

  dispose(): void {
    this.clearExpiry();
  }

  private async applyDiagnosis(d: Diagnosis, token: string | undefined): Promise<void> {
    const { client, tokens } = this.options;
    // The person did something in the meantime (signed in or out): this answer is about an old token.
    if (tokens.current !== token) return;
    switch (d.kind) {
      case 'accepted':
        if (d.permissions) this.options.onPermissions?.(d.permissions);
        this.setProblem(undefined);
        return;
      case 'unavailable':
        this.setProblem(undefined);
        return;
      case 'unreachable':
        this.setProblem({ code: 'unreachable' });
        return;
      case 'unexplained':
        // Maybe a token is what is missing: the hook, if any, gets one chance to provide it.
        if (await this.retryWithHook()) return;
        this.setProblem({ code: 'unexplained' });
        return;
      case 'refused':
        break;
    }
    switch (d.code) {
      case 'token_required':
      case 'token_invalid':
        if (await this.retryWithHook()) return;
        if (d.code === 'token_invalid' && tokens.kind === 'manual') tokens.clearManual();
        this.stop({ code: d.code });
        return;
      case 'origin_forbidden':
      case 'host_forbidden':
        this.stop({ code: d.code });
        return;
      case 'too_many_connections':
        this.setProblem({ code: 'too_many_connections' });
        return;
      default:
        this.setProblem({ code: 'busy', serverCode: d.code });
    }
  }

  /** Asks the hook for another token once per refusal streak; true if it gave a new one (retrying now). */
  private async retryWithHook(): Promise<boolean> {
    const { client, tokens } = this.options;
    if (this.hookRetried || tokens.kind === 'manual' || !tokens.hasHook) return false;
    this.hookRetried = true;
    const before = tokens.current;
    const after = await tokens.refreshFromHook();
    if (after === undefined || after === before) return false;
    client.connect();
    return true;
  }

  private stop(problem: Problem): void {
    this.stopped = true;
    this.problem = problem;
    // Retrying cannot help until something changes (a token, the operator's settings): stop the loop.
    this.options.client.disconnect();
    this.options.onChange();
  }

  private setProblem(problem: Problem | undefined): void {
    this.problem = problem;
    this.options.onChange();
  }

  private scheduleExpiry(): void {
    this.clearExpiry();
    const { tokens } = this.options;
    const token = tokens.current;
    const exp = token === undefined ? undefined : tokenExpiry(token);
    if (exp === undefined) return;
    const delay = Math.max(5_000, exp - REFRESH_BEFORE_MS - this.now());
    // Timers past ~24.8 days overflow; a page open that long re-plans at the next connection.
    if (delay > 2 ** 31 - 1) return;
    this.expiryTimer = setTimeout(() => void this.onExpiring(token, exp), delay);
  }

  private async onExpiring(token: string | undefined, exp: number): Promise<void> {
    const { client, tokens } = this.options;
    if (tokens.current !== token) return;
    if (tokens.kind === 'hook') {
      const fresh = await tokens.refreshFromHook();
      if (fresh !== undefined && fresh !== token && client.status.state === 'open') {
        try {
          const result = await client.authenticate(fresh);
          this.user = result.user;
          this.scheduleExpiry();
          this.options.onChange();
          return;
        } catch {
          // Refused: the connection keeps its token until it expires; the reconnect after that asks again.
        }
      }
      return;
    }
    this.setProblem({ code: 'token_expiring', at: exp });
  }

  private clearExpiry(): void {
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
  }
}
