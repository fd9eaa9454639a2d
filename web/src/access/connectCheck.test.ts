import { describe, expect, it } from 'vitest';
import { diagnoseRefusal, type Fetch } from './connectCheck';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** A fetch answering by path, recording requests. */
function server(routes: Record<string, () => Response>) {
  const requests: { url: string; init: RequestInit | undefined }[] = [];
  const fetch: Fetch = async (url, init) => {
    requests.push({ url, init });
    const path = new URL(url).pathname;
    const route = routes[path];
    if (!route) return new Response('', { status: 404 });
    return route();
  };
  return { fetch, requests };
}

const options = (fetch: Fetch, token?: string) => ({ fetch, base: 'http://host:8000', token, now: () => 0 });

describe('diagnoseRefusal', () => {
  it('reads the check endpoint’s refusal, sending the token as a bearer header', async () => {
    const s = server({ '/api/connect-check': () => json(401, { error: 'A token is required.', code: 'token_required' }) });
    const d = await diagnoseRefusal(options(s.fetch, 'tok'));
    expect(d).toEqual({ kind: 'refused', status: 401, code: 'token_required', message: 'A token is required.' });
    expect(s.requests[0]?.url).toBe('http://host:8000/api/connect-check');
    expect((s.requests[0]?.init?.headers as Record<string, string>)['authorization']).toBe('Bearer tok');
  });

  it('reads an acceptance with the permissions the server reports', async () => {
    const s = server({ '/api/connect-check': () => json(200, { ok: true, permissions: { subscribe: ['events'], publish: [] } }) });
    expect(await diagnoseRefusal(options(s.fetch))).toEqual({ kind: 'accepted', permissions: { subscribe: ['events'], publish: [] } });
  });

  it('falls back to /ready on a server without the check (404), telling up from not ready', async () => {
    const up = server({ '/ready': () => json(200, { status: 'ready' }) });
    expect(await diagnoseRefusal(options(up.fetch))).toEqual({ kind: 'unexplained' });
    const stopping = server({ '/ready': () => json(503, { status: 'not_ready' }) });
    expect(await diagnoseRefusal(options(stopping.fetch))).toEqual({ kind: 'unavailable' });
  });

  it('does not take another 401 (an API key filter, no known code) for a token refusal', async () => {
    const s = server({ '/api/connect-check': () => json(401, { error: 'API key required', code: 'api_key_required' }), '/ready': () => json(200, {}) });
    expect(await diagnoseRefusal(options(s.fetch))).toEqual({ kind: 'unexplained' });
  });

  it('says unreachable when nothing answers', async () => {
    const fetch: Fetch = () => Promise.reject(new TypeError('Failed to fetch'));
    expect(await diagnoseRefusal(options(fetch))).toEqual({ kind: 'unreachable' });
  });

  it('hands every Date header to the clock with the request’s times', async () => {
    const dates: number[][] = [];
    let t = 100;
    const s = server({ '/ready': () => new Response('{}', { status: 200, headers: { date: 'Thu, 01 Jan 2026 00:00:07 GMT' } }) });
    await diagnoseRefusal({ ...options(s.fetch), now: () => (t += 5), onDate: (...a) => dates.push(a) });
    expect(dates).toEqual([[Date.UTC(2026, 0, 1, 0, 0, 7), 110, 115]]);
  });
});
