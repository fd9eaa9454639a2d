// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Diagnosis } from '../access/connectCheck';
import { TOKEN_KEY } from '../access/tokenSource';
import { AppHarness, all, body, channelItem, join, q, settle, type Frame } from './appTestHarness';

let h: AppHarness;

beforeEach(() => {
  vi.useFakeTimers();
  document.body.innerHTML = body; // trusted static markup from index.html
  h = new AppHarness();
});

afterEach(() => {
  h.stop();
  vi.useRealTimers();
});

const refusedWith = (code: string): Diagnosis => ({ kind: 'refused', status: 401, code, message: code });
const tokenOf = (url: string | undefined) => (url === undefined ? null : new URL(url).searchParams.get('access_token'));

/** Signs in through the token form. */
async function signIn(token: string): Promise<void> {
  q<HTMLInputElement>('token-input').value = token;
  q<HTMLFormElement>('signin-form').requestSubmit();
  await settle();
}

/** The socket's upgrade is refused: it closes without ever opening (the browser gives 1006 and no status). */
async function refuseUpgrade(): Promise<void> {
  h.socket.serverClose(1006);
  await settle();
}

describe('a server that requires a token', () => {
  it('says why it cannot connect, stops retrying, and connects once a token is given', async () => {
    h.server.autoOpen = false;
    await h.start({ diagnose: async (token) => (token === 'good-token' ? { kind: 'accepted', permissions: undefined } : refusedWith('token_required')) });
    await refuseUpgrade();

    expect(h.diagnoses).toEqual([undefined]);
    expect(q('connection-problem').hidden).toBe(false);
    expect(q('connection-problem').dataset['code']).toBe('token_required');
    expect(q('connection-problem-text').textContent).toContain('401 token_required');
    // Not "Reconnecting" forever: the loop stopped, and the form to sign in is open.
    expect(q('status-badge').dataset['status']).toBe('idle');
    expect(q('signin-form').hidden).toBe(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.sockets).toHaveLength(1);

    await signIn('good-token');
    expect(tokenOf(h.urls.at(-1))).toBe('good-token');
    h.socket.serverOpen();
    await settle();
    expect(q('status-badge').dataset['status']).toBe('open');
    expect(q('connection-problem').hidden).toBe(true);
    expect(q('signin-form').hidden).toBe(true);
    expect(q('access-state').dataset['auth']).toBe('manual');
    expect(q('signout').hidden).toBe(false);
    // Remembered for this tab once the server took it.
    expect(h.tabStorage.get(TOKEN_KEY)).toBe('good-token');
  });

  it('explains a refused token, forgets it, and keeps the form open for another', async () => {
    h.server.autoOpen = false;
    h.tabStorage.set(TOKEN_KEY, 'expired-token');
    await h.start({ diagnose: async () => refusedWith('token_invalid') });
    expect(tokenOf(h.urls[0])).toBe('expired-token');
    await refuseUpgrade();
    expect(q('connection-problem').dataset['code']).toBe('token_invalid');
    expect(q('connection-problem-text').textContent).toContain('token_invalid');
    expect(h.tabStorage.has(TOKEN_KEY)).toBe(false);
    expect(q('signin-form').hidden).toBe(false);
  });

  it('says it in Portuguese', async () => {
    h.server.autoOpen = false;
    await h.start({ locale: 'pt-BR', diagnose: async () => refusedWith('token_required') });
    await refuseUpgrade();
    expect(q('connection-problem-text').textContent).toBe(
      'Este servidor só aceita conexões com token de acesso (respondeu 401 token_required). Entre com um token para conectar.',
    );
    expect(q('token-submit').textContent).toBe('Entrar');
  });

  it('with a server that cannot say why, gives the likely reason and keeps retrying', async () => {
    h.server.autoOpen = false;
    await h.start({ diagnose: async () => ({ kind: 'unexplained' }) });
    await refuseUpgrade();
    expect(q('connection-problem').dataset['code']).toBe('unexplained');
    expect(q('connection-problem-text').textContent).toMatch(/requires an access token/);
    expect(q('signin-form').hidden).toBe(false);
    expect(q('status-badge').dataset['status']).toBe('reconnecting');
  });

  it('does not blame the server for a page that closed its own attempt, nor for a server that is down', async () => {
    h.server.autoOpen = false;
    await h.start({ diagnose: async () => ({ kind: 'unreachable' }) });
    q<HTMLButtonElement>('connection-toggle').click(); // the person disconnects while connecting
    // The browser reports the close of the abandoned attempt later (the fake does not by itself).
    h.sockets[0]?.onclose?.({ code: 1006, reason: '', wasClean: false });
    await settle();
    expect(h.diagnoses).toEqual([]);
    q<HTMLButtonElement>('connection-toggle').click();
    await refuseUpgrade();
    expect(h.diagnoses).toEqual([undefined]);
    expect(q('connection-problem').dataset['code']).toBe('unreachable');
    expect(q('signin-form').hidden).toBe(true);
  });

  it('gets a fresh token from the hosting application’s hook when the server refuses one', async () => {
    h.server.autoOpen = false;
    const tokens = ['first-token', 'second-token'];
    await h.start({
      hook: { getToken: async () => tokens.shift() },
      diagnose: async (token) => (token === 'first-token' ? refusedWith('token_invalid') : { kind: 'accepted', permissions: undefined }),
    });
    expect(tokenOf(h.urls[0])).toBe('first-token');
    await refuseUpgrade();
    expect(tokenOf(h.urls.at(-1))).toBe('second-token');
    h.socket.serverOpen();
    await settle();
    expect(q('status-badge').dataset['status']).toBe('open');
    expect(q('connection-problem').hidden).toBe(true);
    expect(q('access-state').dataset['auth']).toBe('hook');
    // The hosting application owns its token: no "Sign out" here, and nothing kept in the tab.
    expect(q('signout').hidden).toBe(true);
    expect(h.tabStorage.has(TOKEN_KEY)).toBe(false);
  });
});

describe('signing in and out on an open connection', () => {
  const answerAuth = (frame: Frame): Frame | undefined =>
    frame['type'] !== 'auth'
      ? undefined
      : frame['token'] === 'valid-token'
        ? { type: 'authenticated', id: frame['id'], user: 'alice', expires: '2099-01-01T00:00:00Z' }
        : { type: 'error', id: frame['id'], code: 'token_invalid', error: 'The token is not valid.' };

  it('signs in with auth (no reconnect), shows the user, and signs out to anonymous again', async () => {
    await h.start({ diagnose: async () => ({ kind: 'unexplained' }), refuse: answerAuth });
    expect(q('access-state').textContent).toBe('Anonymous');
    q<HTMLButtonElement>('signin-open').click();
    expect(q('signin-form').hidden).toBe(false);

    await signIn('wrong-token');
    expect(q('token-error').hidden).toBe(false);
    expect(q('token-error').textContent).toBe('The server refused this token: The token is not valid.');
    expect(h.tabStorage.has(TOKEN_KEY)).toBe(false);

    await signIn('valid-token');
    expect(h.sockets).toHaveLength(1);
    expect(q('access-state').textContent).toBe('Signed in as alice');
    expect(q('signin-form').hidden).toBe(true);
    expect(h.tabStorage.get(TOKEN_KEY)).toBe('valid-token');

    q<HTMLButtonElement>('signout').click();
    await settle();
    expect(h.tabStorage.has(TOKEN_KEY)).toBe(false);
    expect(tokenOf(h.urls.at(-1))).toBeNull();
    expect(q('status-badge').dataset['status']).toBe('open');
    expect(q('access-state').textContent).toBe('Anonymous');
  });
});

describe('tokens that expire', () => {
  const b64url = (o: unknown) => btoa(JSON.stringify(o)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const jwt = (name: string, expiresInMs: number) => `${b64url({ alg: 'HS256' })}.${b64url({ sub: name, exp: Math.floor((Date.now() + expiresInMs) / 1000) })}.sig`;

  it('asks the person for a fresh token a minute before an entered one expires', async () => {
    h.tabStorage.set(TOKEN_KEY, jwt('ana', 120_000));
    await h.start({ diagnose: async () => ({ kind: 'unexplained' }) });
    expect(q('connection-problem').hidden).toBe(true);
    await vi.advanceTimersByTimeAsync(61_000);
    expect(q('connection-problem').dataset['code']).toBe('token_expiring');
    expect(q('connection-problem-text').textContent).toMatch(/^Your access token expires at /);
    expect(q('signin-form').hidden).toBe(false);
  });

  it('refreshes a token from the hook before it expires, on the open connection (auth)', async () => {
    const fresh = jwt('bo', 3_600_000);
    const tokens = [jwt('bo', 120_000), fresh];
    await h.start({
      hook: { getToken: () => tokens.shift() },
      diagnose: async () => ({ kind: 'unexplained' }),
      refuse: (frame) => (frame['type'] === 'auth' ? { type: 'authenticated', id: frame['id'], user: 'bo', expires: '2099-01-01T00:00:00Z' } : undefined),
    });
    expect(h.socket.framesOf('auth')).toEqual([]);
    await vi.advanceTimersByTimeAsync(61_000);
    expect(h.socket.framesOf('auth')).toEqual([{ type: 'auth', id: expect.any(String), token: fresh }]);
    expect(h.sockets).toHaveLength(1);
    expect(q('connection-problem').hidden).toBe(true);
    expect(q('access-state').textContent).toBe('Signed in as bo');
  });
});

describe('a refused channel explains itself', () => {
  const forbid = (channel: string) => (frame: Frame) =>
    frame['type'] === 'subscribe' && frame['channel'] === channel
      ? { type: 'error', id: frame['id'], channel, code: 'forbidden', error: 'Not allowed.' }
      : undefined;

  it('says why (anonymous access) and what would allow it, with a way to sign in', async () => {
    await h.start({ refuse: forbid('room-2'), diagnose: async () => ({ kind: 'unexplained' }) });
    await join('room-2');
    expect(all('channel-item').map((li) => li.dataset['channel'])).toEqual(['events']);
    expect(q('channel-refusal').hidden).toBe(false);
    expect(q('channel-refusal-text').textContent).toBe(
      'Could not join #room-2: connections without an access token may use only the channels the operator opened to everyone (Broadcast:Auth:AnonymousSubscribe; by default only #events). An access token whose subscribe claim allows #room-2 would allow it.',
    );
    q<HTMLButtonElement>('channel-refusal-signin').click();
    expect(q('signin-form').hidden).toBe(false);
    expect(document.activeElement).toBe(q('token-input'));
  });

  it('names the token as the reason when the page has one', async () => {
    h.tabStorage.set(TOKEN_KEY, 'some-token');
    await h.start({ refuse: forbid('room-2'), diagnose: async () => ({ kind: 'unexplained' }) });
    await join('room-2');
    expect(q('channel-refusal-text').textContent).toMatch(/^Could not join #room-2: your access token does not allow it/);
  });

  it('explains a refused remembered channel at start, in Portuguese', async () => {
    await h.start({ locale: 'pt-BR', channels: ['events', 'room-2'], refuse: forbid('room-2') });
    expect(all('channel-item').map((li) => li.dataset['channel'])).toEqual(['events']);
    expect(q('channel-refusal-text').textContent).toMatch(/^Não foi possível entrar em #room-2: conexões sem token de acesso/);
  });
});

describe('permissions announced by the server (welcome "permissions")', () => {
  const only = (subscribe: string[], publish: string[]) => ({ permissions: { subscribe, publish } });

  it('offers no "Join a channel" when only #events is allowed, and drops remembered channels before asking', async () => {
    await h.start({ channels: ['events', 'room-2'], welcomeExtras: only(['events'], ['events']), diagnose: async () => ({ kind: 'unexplained' }) });
    expect(h.socket.framesOf('subscribe').map((f) => f['channel'])).toEqual(['events']);
    expect(all('channel-item').map((li) => li.dataset['channel'])).toEqual(['events']);
    expect(q('channel-join-form').hidden).toBe(true);
    expect(q('channel-only').hidden).toBe(false);
    expect(q('channel-only-text').textContent).toBe('This connection may use only #events. Sign in with an access token to join other channels.');
    expect(q('channel-refusal-text').textContent).toBe('Left #room-2: this connection may not use them.');
    expect(channelItem('events').dataset['subscribed']).toBe('true');
  });

  it('offers joining within the patterns, and refuses others without asking the server', async () => {
    await h.start({ welcomeExtras: only(['events', 'room:*'], ['events', 'room:*']) });
    expect(q('channel-join-form').hidden).toBe(false);
    expect(q('channel-hint').textContent).toBe('You may join: #events, #room:*');
    await join('lobby');
    expect(h.socket.framesOf('subscribe').map((f) => f['channel'])).toEqual(['events']);
    expect(q('channel-refusal-text').textContent).toBe('This connection may not join #lobby. It may join: #events, #room:*.');
    await join('room:7');
    expect(channelItem('room:7').dataset['subscribed']).toBe('true');
  });

  it('lets a read-only connection read, and says why it cannot send', async () => {
    await h.start({ welcomeExtras: only(['events'], []) });
    expect(q<HTMLInputElement>('message-input').disabled).toBe(true);
    expect(q<HTMLButtonElement>('send-button').disabled).toBe(true);
    expect(q('publish-hint').hidden).toBe(false);
    expect(q('publish-hint').textContent).toBe('This connection may read #events but not send to it.');
  });

  it('also learns them from the connect check (GET /api/connect-check) after a failed attempt', async () => {
    h.server.autoOpen = false;
    await h.start({ diagnose: async () => ({ kind: 'accepted', permissions: { subscribe: ['events'], publish: ['events'] } }) });
    h.socket.serverClose(1006);
    await settle();
    expect(q('connection-problem').hidden).toBe(true);
    expect(q('channel-join-form').hidden).toBe(true);
    expect(q('channel-only').hidden).toBe(false);
  });

  it('keeps today’s behaviour when the server does not say', async () => {
    await h.start({ channels: ['events', 'room-2'] });
    expect(h.socket.framesOf('subscribe').map((f) => f['channel'])).toEqual(['events', 'room-2']);
    expect(q('channel-join-form').hidden).toBe(false);
    expect(q('channel-only').hidden).toBe(true);
    expect(q('channel-hint').hidden).toBe(true);
  });
});
