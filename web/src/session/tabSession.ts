/**
 * Keeps this tab's session across reloads, so a reload resumes the same session: its own publications in
 * history are recognised as its own (Chat shows them on the right), and presence keeps its identity.
 *
 * The session token is a credential: it stays in this tab's sessionStorage (`broadcast.session`) only. A
 * duplicated tab copies sessionStorage, and two pages on one session would not receive each other's
 * publications (the server never delivers a session its own), so a tab uses the remembered session only
 * while it holds a Web Lock named after it; a copy that finds the lock taken starts a new session.
 * Without Web Locks, sessions are not resumed across reloads.
 */
import type { StorageLike } from '../i18n';

export const SESSION_KEY = 'broadcast.session';

/** The subset of navigator.locks used here. */
export interface LockManagerLike {
  request(name: string, options: { ifAvailable: boolean }, callback: (lock: unknown) => Promise<unknown> | unknown): Promise<unknown>;
}

const lockName = (session: string) => `broadcast.session.${session}`;

export class TabSession {
  private held: string | undefined;

  constructor(
    private readonly storage: StorageLike | undefined,
    private readonly locks: LockManagerLike | undefined,
  ) {}

  /** The remembered session, if this tab may use it (it got the session's lock). */
  async claim(): Promise<string | undefined> {
    let session: string | null | undefined;
    try {
      session = this.storage?.getItem(SESSION_KEY);
    } catch {
      session = undefined;
    }
    if (!session || !this.locks) return undefined;
    return (await this.lock(session)) ? session : undefined;
  }

  /** The server welcomed this page with `session`: remember it and hold its lock. */
  async remember(session: string): Promise<void> {
    if (!this.locks || session === this.held) return;
    if (!(await this.lock(session))) return;
    try {
      this.storage?.setItem(SESSION_KEY, session);
    } catch {
      // Not remembered: a reload starts a new session, as without this.
    }
  }

  /** Takes the lock for the page's lifetime (the callback's promise never settles); false if taken. */
  private lock(session: string): Promise<boolean> {
    const locks = this.locks;
    if (!locks) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      locks
        .request(lockName(session), { ifAvailable: true }, (lock) => {
          if (lock === null) {
            resolve(false);
            return null;
          }
          this.held = session;
          resolve(true);
          return new Promise(() => {});
        })
        .catch(() => resolve(false));
    });
  }
}
