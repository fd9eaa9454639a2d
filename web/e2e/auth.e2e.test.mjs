// A server that requires tokens (Broadcast:Auth:Required=true), as an operator locks one down: the page
// must say why it cannot connect and let a person (or the hosting application) give a token.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ServerProcess, checkPrerequisites, freePort, launchBrowser, openApp, sendMessage, waitForAttr, waitForItem, waitForStatus } from './harness.mjs';

const SECRET = 'e2e-hmac-secret-0123456789-abcdefghij';
const TEXT = {
  'en-US': { required: /accepts only connections with an access token \(it answered 401 token_required\)/, invalid: /refused the access token \(401 token_invalid\)/ },
  'pt-BR': { required: /só aceita conexões com token de acesso \(respondeu 401 token_required\)/, invalid: /recusou o token de acesso \(401 token_invalid\)/ },
};

/** Retrying stopped: the page is idle, with no reconnect scheduled. */
async function assertStopped(page) {
  await waitForAttr(page, 'status-badge', 'data-status', 'idle', 30_000);
  assert.equal(await page.getByTestId('reconnect-countdown').isVisible(), false, 'a reconnect is scheduled');
}

/** An HS256 JWT signed with the server's secret. */
function token(claims, secret = SECRET) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = part({ alg: 'HS256', typ: 'JWT' });
  const body = part({ exp: Math.floor(Date.now() / 1000) + 3600, subscribe: ['events'], publish: ['events'], ...claims });
  return `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`;
}

let server;
let browser;
const opened = [];

async function open(options) {
  const app = await openApp(browser, server.baseUrl, { status: null, ...options });
  opened.push(app);
  return app;
}

async function closeAll() {
  for (const app of opened.splice(0)) await app.context.close().catch(() => {});
}

async function signIn(page, value) {
  await page.getByTestId('token-input').fill(value);
  await page.getByTestId('token-input').press('Enter');
}

describe('a server that requires tokens (e2e)', { timeout: 300_000 }, () => {
  before(async () => {
    checkPrerequisites();
    server = new ServerProcess(await freePort(), { Broadcast__Auth__Required: 'true', Broadcast__Auth__HmacSecret: SECRET }, { openChannels: false });
    await server.start();
    browser = await launchBrowser();
  });

  after(async () => {
    await closeAll();
    await browser?.close();
    await server?.stop();
  });

  it('says why it cannot connect, offers the token form, and connects with a token (kept for the tab)', { timeout: 90_000 }, async () => {
    const { page, errors } = await open();
    // The server says why (GET /api/connect-check): the refusal as it is, and no retrying that cannot help.
    await waitForAttr(page, 'connection-problem', 'data-code', 'token_required', 30_000);
    assert.match(await page.getByTestId('connection-problem-text').innerText(), TEXT['en-US'].required);
    assert.equal(await page.getByTestId('signin-form').isVisible(), true);
    await assertStopped(page);

    const alice = token({ sub: 'alice' });
    await signIn(page, alice);
    await waitForStatus(page, 'open', 60_000);
    assert.equal(await page.getByTestId('connection-problem').isVisible(), false);
    assert.equal(await page.getByTestId('signin-form').isVisible(), false);
    assert.equal(await page.getByTestId('access-state').getAttribute('data-auth'), 'manual');
    assert.equal(await page.getByTestId('signout').isVisible(), true);
    await page.waitForSelector('[data-testid="presence-item"][data-self="true"]');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('broadcast.token')), alice);

    // Kept for the tab: a reload connects at once.
    await page.reload();
    await waitForStatus(page, 'open', 60_000);
    assert.equal(await page.getByTestId('connection-problem').isVisible(), false);
    assert.deepEqual(errors, []);
    await closeAll();
  });

  for (const [locale, viewport] of [
    ['pt-BR', { width: 375, height: 740 }],
    ['en-US', { width: 1280, height: 800 }],
  ]) {
    it(`says token_required, then token_invalid for a token it refuses, and stops retrying, in ${locale} at ${viewport.width} px`, { timeout: 90_000 }, async () => {
      const { page } = await open({ locale, viewport });
      await waitForAttr(page, 'connection-problem', 'data-code', 'token_required', 30_000);
      assert.match(await page.getByTestId('connection-problem-text').innerText(), TEXT[locale].required);
      await assertStopped(page);

      await signIn(page, token({ sub: 'mallory' }, 'another-secret-0123456789-abcdefghijkl'));
      // The attempt with the bad token is refused too: said as it is, the form kept open, no more retrying.
      await waitForAttr(page, 'connection-problem', 'data-code', 'token_invalid', 60_000);
      assert.match(await page.getByTestId('connection-problem-text').innerText(), TEXT[locale].invalid);
      assert.equal(await page.getByTestId('signin-form').isVisible(), true);
      const form = await page.getByTestId('signin-form').boundingBox();
      assert.ok(form && form.x >= 0 && form.x + form.width <= viewport.width, `the form is off screen: ${JSON.stringify(form)}`);
      await assertStopped(page);
      // A token the server never accepted is not kept.
      assert.equal(await page.evaluate(() => sessionStorage.getItem('broadcast.token')), null);
      await closeAll();
    });
  }

  it('takes a token from the hosting application’s hook (window.broadcastAuth) without asking', { timeout: 90_000 }, async () => {
    const hooked = token({ sub: 'bob' });
    const initScript = `window.broadcastAuth = { getToken: async () => ${JSON.stringify(hooked)} };`;
    const a = await open({ initScript });
    await waitForStatus(a.page, 'open', 60_000);
    assert.equal(await a.page.getByTestId('connection-problem').isVisible(), false);
    assert.equal(await a.page.getByTestId('access-state').getAttribute('data-auth'), 'hook');
    // The hosting application owns the token: nothing to sign out of here, nothing kept in the tab.
    assert.equal(await a.page.getByTestId('signout').isVisible(), false);
    assert.equal(await a.page.evaluate(() => sessionStorage.getItem('broadcast.token')), null);

    const b = await open({ initScript: `window.broadcastAuth = { getToken: () => ${JSON.stringify(token({ sub: 'carol' }))} };` });
    await waitForStatus(b.page, 'open', 60_000);
    await sendMessage(b.page, 'from carol');
    await waitForItem(a.page, 'broadcast-item', 'from carol');
    await closeAll();
  });
});
