// The admin view in headless Chromium against the real server: locked behind the admin key, then live
// numbers that follow what two chat pages do.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHmac } from 'node:crypto';
import { ServerProcess, checkPrerequisites, freePort, joinChannel, launchBrowser, openApp, sendMessage, waitForAttr, waitForItem } from './harness.mjs';

const ADMIN_KEY = 'e2e-admin-key-0123456789';
const byId = (id) => `[data-testid="${id}"]`;

let server;
let browser;
const contexts = [];

/** Waits until the element's trimmed text matches `pattern`; returns that text. */
async function waitForTextMatching(page, id, pattern, timeout = 30_000) {
  const handle = await page.waitForFunction(
    ([sel, source, flags]) => {
      const text = document.querySelector(sel)?.textContent?.trim() ?? '';
      return new RegExp(source, flags).test(text) ? text : false;
    },
    [byId(id), pattern.source, pattern.flags],
    { timeout },
  );
  return handle.jsonValue();
}

async function openAdmin() {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  await page.goto(`${server.baseUrl}/admin`);
  return { page, errors };
}

describe('admin view (e2e)', { timeout: 300_000 }, () => {
  before(async () => {
    checkPrerequisites();
    server = new ServerProcess(await freePort(), { Broadcast__Admin__Key: ADMIN_KEY });
    await server.start();
    browser = await launchBrowser();
  });

  after(async () => {
    for (const context of contexts.splice(0)) await context.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  it('asks for the admin key, refuses a wrong one and opens with the right one', async () => {
    const { page, errors } = await openAdmin();
    await page.waitForSelector(`${byId('admin-key-form')}:not([hidden])`);
    assert.equal(await page.isHidden(byId('admin-dashboard')), true);

    await page.getByTestId('admin-key-input').fill('not-the-key');
    await page.getByTestId('admin-key-input').press('Enter');
    await page.waitForSelector(`${byId('admin-key-error')}:not([hidden])`);

    await page.getByTestId('admin-key-input').fill(ADMIN_KEY);
    await page.getByTestId('admin-key-input').press('Enter');
    await page.waitForSelector(`${byId('admin-dashboard')}:not([hidden])`);
    await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-status') === 'ready', byId('admin-status'));
    assert.match(await page.getByTestId('admin-node').textContent(), /^n-[0-9a-f]+$/);
    assert.deepEqual(errors, []);
  });

  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 375, height: 740 },
  ]) {
    it(`lays the key prompt out as a form at ${viewport.width} px: a normal input beside (or above) a normal button`, async () => {
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(`${server.baseUrl}/admin`);
      await page.waitForSelector(`${byId('admin-key-form')}:not([hidden])`);
      const boxes = await page.evaluate(() =>
        Object.fromEntries(
          ['admin-key-form', 'admin-key-input', 'admin-key-submit'].map((id) => {
            const r = document.querySelector(`[data-testid="${id}"]`).getBoundingClientRect();
            return [id, { x: r.x, y: r.y, width: r.width, height: r.height }];
          }),
        ),
      );
      const form = boxes['admin-key-form'];
      const input = boxes['admin-key-input'];
      const button = boxes['admin-key-submit'];
      const detail = JSON.stringify(boxes);
      // One line of text high, not stretched to the page.
      assert.ok(input.height >= 30 && input.height <= 60, `input height: ${detail}`);
      assert.ok(button.height >= 30 && button.height <= 60, `button height: ${detail}`);
      assert.ok(Math.abs(input.height - button.height) <= 8, `input and button differ in height: ${detail}`);
      assert.ok(form.height <= 220, `the prompt is ${form.height}px tall: ${detail}`);
      // Wide enough to see what is typed, and on screen.
      assert.ok(input.width >= 180, `input width: ${detail}`);
      for (const b of [form, input, button]) assert.ok(b.x >= 0 && b.x + b.width <= viewport.width, `off screen: ${detail}`);
      // Beside each other (same row) when there is room, else the button under the input.
      const sameRow = Math.abs(input.y + input.height / 2 - (button.y + button.height / 2)) <= 4;
      assert.ok(sameRow ? button.x >= input.x + input.width : button.y >= input.y + input.height, `neither beside nor below: ${detail}`);
      const styled = await page.$eval(byId('admin-key-input'), (el) => getComputedStyle(el).borderRadius);
      assert.notEqual(styled, '0px', 'the input has the page style');
    });
  }

  it('shows connections, channels, rates and latency live as clients chat', { timeout: 120_000 }, async () => {
    const admin = await openAdmin();
    await admin.page.getByTestId('admin-key-input').fill(ADMIN_KEY);
    await admin.page.getByTestId('admin-key-input').press('Enter');
    await waitForTextMatching(admin.page, 'stat-connections', /^0$/);

    const a = await openApp(browser, server.baseUrl);
    const b = await openApp(browser, server.baseUrl);
    contexts.push(a.context, b.context);
    await joinChannel(a.page, 'ops-room');
    await joinChannel(b.page, 'ops-room');

    await waitForTextMatching(admin.page, 'stat-connections', /^2$/);
    await admin.page.waitForFunction(
      () => document.querySelector('[data-testid="channel-row"][data-channel="ops-room"] [data-testid="channel-subscribers"]')?.textContent === '2',
      undefined,
      { timeout: 30_000 },
    );
    assert.equal(await admin.page.locator(byId('connection-row')).count(), 2);

    // Keep messages flowing for a few seconds so the per-second numbers have something to show.
    for (let i = 0; i < 6; i++) {
      await sendMessage(a.page, `ops message ${i}`);
      await waitForItem(b.page, 'broadcast-item', `ops message ${i}`);
      await new Promise((r) => setTimeout(r, 300));
    }

    const published = await waitForTextMatching(admin.page, 'stat-published-rate', /^(?!0\.0\/s$)[0-9.]+\/s$/);
    assert.ok(parseFloat(published) > 0);
    const p50 = await waitForTextMatching(admin.page, 'stat-latency-p50', /^[0-9.]+ (ms|s)$/);
    assert.match(p50, /^[0-9.]+ (ms|s)$/);
    // The charts drew lines for the rates and the latency.
    await admin.page.waitForSelector(`${byId('chart-rate')} polyline[data-series="published"]`, { state: 'attached' });
    await admin.page.waitForSelector(`${byId('chart-latency')} polyline[data-series="p50"]`, { state: 'attached' });

    // A client leaves: the numbers follow.
    await b.context.close();
    await waitForTextMatching(admin.page, 'stat-connections', /^1$/);
    assert.deepEqual(admin.errors, []);
  });
});

// The admin page's actions on a user, against a server whose clients sign in with tokens: what the admin does
// reaches every connection of that user, and nobody else's.
describe('admin actions on a user (e2e)', { timeout: 300_000 }, () => {
  const SECRET = 'e2e-hmac-secret-0123456789-abcdefghijkl';
  let actionServer;
  let actionBrowser;
  const opened = [];

  /** An HS256 JWT for `sub`, allowed every channel. */
  const token = (sub) => {
    const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = part({ alg: 'HS256', typ: 'JWT' });
    const body = part({ sub, exp: Math.floor(Date.now() / 1000) + 3600, subscribe: ['*'], publish: ['*'] });
    return `${head}.${body}.${createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url')}`;
  };

  /** The app, signed in as `sub` (the token as the sign-in form keeps it for the tab). */
  const openAs = async (sub) => {
    const app = await openApp(actionBrowser, actionServer.baseUrl, { initScript: `sessionStorage.setItem('broadcast.token', ${JSON.stringify(token(sub))});` });
    opened.push(app.context);
    return app;
  };

  /** The admin list's connection ids of one user. */
  const connectionsOf = (page, user) =>
    page.$$eval(
      '[data-testid="connection-row"]',
      (rows, u) => rows.filter((r) => r.querySelector('[data-testid="connection-user"]')?.textContent === u).map((r) => r.getAttribute('data-connection')),
      user,
    );

  before(async () => {
    actionServer = new ServerProcess(await freePort(), { Broadcast__Admin__Key: ADMIN_KEY, Broadcast__Auth__HmacSecret: SECRET });
    await actionServer.start();
    actionBrowser = await launchBrowser();
  });

  after(async () => {
    for (const context of opened.splice(0)) await context.close().catch(() => {});
    await actionBrowser?.close();
    await actionServer?.stop();
  });

  it('unsubscribes a user from a channel, then disconnects the user, leaving another user alone', { timeout: 180_000 }, async () => {
    const alice = await openAs('alice');
    const bob = await openAs('bob');
    const carol = await openAs('carol');
    for (const app of [alice, bob, carol]) await joinChannel(app.page, 'ops-room');

    const context = await actionBrowser.newContext();
    opened.push(context);
    const admin = await context.newPage();
    const adminErrors = [];
    admin.on('pageerror', (err) => adminErrors.push(String(err)));
    await admin.goto(`${actionServer.baseUrl}/admin`);
    await admin.getByTestId('admin-key-input').fill(ADMIN_KEY);
    await admin.getByTestId('admin-key-input').press('Enter');
    await admin.waitForFunction(() => [...document.querySelectorAll('[data-testid="connection-user"]')].filter((td) => td.textContent !== '—').length === 3, undefined, { timeout: 30_000 });
    const [aliceBefore] = await connectionsOf(admin, 'alice');
    const [bobBefore] = await connectionsOf(admin, 'bob');
    assert.ok(aliceBefore && bobBefore, 'both users are listed with their connection');

    // Unsubscribe: alice's page leaves the channel (the server ended it); bob's keeps it and still gets carol's messages.
    await admin.getByTestId('user-action-user').fill('alice');
    await admin.getByTestId('user-action-channel').fill('ops-room');
    await admin.getByTestId('user-action-unsubscribe').click();
    await waitForAttr(admin, 'user-action-result', 'data-outcome', 'done');
    await alice.page.waitForFunction(
      () => ![...document.querySelectorAll('[data-testid="channel-item"]')].some((li) => li.getAttribute('data-channel') === 'ops-room'),
      undefined,
      { timeout: 30_000 },
    );
    await sendMessage(carol.page, 'still subscribed');
    await waitForItem(bob.page, 'broadcast-item', 'still subscribed');

    // Disconnect: alice's connection is closed (her page may connect again: a new connection); bob's is the same one.
    await admin.getByTestId('user-action-disconnect').click();
    await admin.waitForFunction(
      (id) => ![...document.querySelectorAll('[data-testid="connection-row"]')].some((r) => r.getAttribute('data-connection') === id),
      aliceBefore,
      { timeout: 30_000 },
    );
    assert.deepEqual(await connectionsOf(admin, 'bob'), [bobBefore]);
    await sendMessage(carol.page, 'bob is still here');
    await waitForItem(bob.page, 'broadcast-item', 'bob is still here');

    // A refused action says why, and changes nothing.
    await admin.getByTestId('user-action-channel').fill('not a channel');
    await admin.getByTestId('user-action-unsubscribe').click();
    await waitForAttr(admin, 'user-action-result', 'data-outcome', 'failed');
    assert.match(await admin.getByTestId('user-action-result').textContent(), /channel_invalid/);
    assert.deepEqual(await connectionsOf(admin, 'bob'), [bobBefore]);
    assert.deepEqual(adminErrors, []);
    assert.deepEqual(bob.errors, []);
  });
});
