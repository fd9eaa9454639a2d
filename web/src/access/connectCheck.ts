/**
 * Why did the WebSocket upgrade fail? Browsers hide the HTTP status of a refused upgrade (the socket just
 * closes with 1006), so the page asks the server over plain HTTP:
 *
 * 1. `GET /api/connect-check` (a server addition, web/README.md "Server additions"): the upgrade's own
 *    checks with the same token, answering 200 `{"ok": true, …}` or the upgrade's refusal with
 *    `{"error", "code"}` (401 `token_required` / `token_invalid`, 403 `origin_forbidden`, 429, 503).
 * 2. Servers without it answer 404: then `GET /ready` tells a server that is up and accepting (so it refused
 *    this page for a reason the browser hides: most likely a token) from one that is starting or stopping.
 */
import { parsePermissions, type Permissions } from './permissions';

export type Diagnosis =
  /** The server would accept this page now: the failure was passing. */
  | { readonly kind: 'accepted'; readonly permissions: Permissions | undefined }
  /** The server said why it refuses (a code of the upgrade's refusals). */
  | { readonly kind: 'refused'; readonly status: number; readonly code: string; readonly message: string }
  /** Up and accepting, yet the upgrade failed, and this server cannot say why. */
  | { readonly kind: 'unexplained' }
  /** Starting, stopping, or not ready: the reconnect loop will get there. */
  | { readonly kind: 'unavailable' }
  /** Nothing answered. */
  | { readonly kind: 'unreachable' };

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** Called with every response's `Date` header and the request's local send and receive times. */
export type DateSample = (dateMs: number, sentAt: number, receivedAt: number) => void;

export interface CheckOptions {
  readonly fetch: Fetch;
  /** Base URL of the server, e.g. `http://host:8000` (no trailing slash). */
  readonly base: string;
  readonly token: string | undefined;
  readonly now: () => number;
  readonly onDate?: DateSample;
}

/** Codes the upgrade refuses with (docs/protocol.md); anything else is not an answer of the check. */
const REFUSALS = new Set([
  'token_required',
  'token_invalid',
  'origin_forbidden',
  'host_forbidden',
  'too_many_connections',
  'too_many_upgrades',
  'server_full',
  'shutting_down',
]);

export async function diagnoseRefusal(options: CheckOptions): Promise<Diagnosis> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  const check = await timedFetch(options, '/api/connect-check', { headers, cache: 'no-store', credentials: 'same-origin' });
  if (check === undefined) return { kind: 'unreachable' };
  const body = await jsonOf(check);
  if (check.ok && body?.['ok'] === true) return { kind: 'accepted', permissions: parsePermissions(body['permissions']) };
  const code = body?.['code'];
  if (!check.ok && typeof code === 'string' && REFUSALS.has(code)) {
    const error = body?.['error'];
    return { kind: 'refused', status: check.status, code, message: typeof error === 'string' ? error : code };
  }

  // No check endpoint on this server: is it up and accepting?
  const ready = await timedFetch(options, '/ready', { cache: 'no-store' });
  if (ready === undefined) return { kind: 'unreachable' };
  return ready.ok ? { kind: 'unexplained' } : { kind: 'unavailable' };
}

async function timedFetch(options: CheckOptions, path: string, init: RequestInit): Promise<Response | undefined> {
  const sentAt = options.now();
  try {
    const response = await options.fetch(`${options.base}${path}`, init);
    const date = Date.parse(response.headers.get('date') ?? '');
    if (!Number.isNaN(date)) options.onDate?.(date, sentAt, options.now());
    return response;
  } catch {
    return undefined;
  }
}

async function jsonOf(response: Response): Promise<Record<string, unknown> | undefined> {
  if (!(response.headers.get('content-type') ?? '').includes('json')) return undefined;
  try {
    const value: unknown = await response.json();
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
