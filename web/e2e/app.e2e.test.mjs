// End-to-end tests: real server process + real headless Chromium.
// Run with `npm run test:e2e` after `npm run build` and the .NET Release build.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ServerProcess,
  checkPrerequisites,
  freePort,
  launchBrowser,
  listItems,
  openApp,
  sendMessage,
  waitForItem,
  waitForStatus,
  waitForText,
} from './harness.mjs';

let server;
let browser;
const opened = [];

async function open(options) {
  const app = await openApp(browser, server.baseUrl, options);
  opened.push(app);
  return app;
}

async function closeAll() {
  for (const app of opened.splice(0)) await app.context.close().catch(() => {});
}

describe('broadcast web app (e2e)', { timeout: 300_000 }, () => {
  before(async () => {
    checkPrerequisites();
    server = new ServerProcess(await freePort());
    await server.start();
    browser = await launchBrowser();
  });

  after(async () => {
    await closeAll();
    await browser?.close();
    await server?.stop();
  });

  it('serves the built app at / and reports health', async () => {
    const res = await fetch(`${server.baseUrl}/`, { headers: { accept: 'text/html' } });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /data-testid="app-title"/);
    const health = await (await fetch(`${server.baseUrl}/health`)).json();
    assert.equal(health.status, 'healthy');
  });

  it('broadcasts to other clients only; Chat shows own right, others left', { timeout: 60_000 }, async () => {
    const a = await open();
    const b = await open();

    await sendMessage(a.page, 'hello from A');

    await waitForItem(b.page, 'broadcast-item', 'hello from A');
    assert.deepEqual(await listItems(b.page, 'broadcast-item'), [{ own: false, text: 'hello from A' }]);
    await waitForItem(b.page, 'chat-item', 'hello from A');
    assert.deepEqual(await listItems(b.page, 'chat-item'), [{ own: false, text: 'hello from A' }]);
    // "own: false" must also mean rendered on the left.
    const bSide = await b.page.$eval('[data-testid="chat-item"]', (li) => getComputedStyle(li).justifyContent);
    assert.equal(bSide, 'flex-start');

    assert.deepEqual(await listItems(a.page, 'chat-item'), [{ own: true, text: 'hello from A' }]);
    const aSide = await a.page.$eval('[data-testid="chat-item"]', (li) => getComputedStyle(li).justifyContent);
    assert.equal(aSide, 'flex-end');
    assert.deepEqual(await listItems(a.page, 'broadcast-item'), []);
    assert.equal(await a.page.getByTestId('broadcasts-empty').isVisible(), true);

    await waitForText(a.page, 'count-sent', '1');
    await waitForText(a.page, 'count-received', '0');
    await waitForText(b.page, 'count-received', '1');
    await waitForText(b.page, 'count-sent', '0');

    // Clear empties only its own view.
    await b.page.getByTestId('broadcasts-clear').click();
    assert.deepEqual(await listItems(b.page, 'broadcast-item'), []);
    assert.equal(await b.page.getByTestId('broadcasts-empty').isVisible(), true);
    assert.equal((await listItems(b.page, 'chat-item')).length, 1);

    assert.deepEqual([...a.errors, ...b.errors], []);
    await closeAll();
  });

  it('shows HTML in messages as text, without injecting elements', { timeout: 60_000 }, async () => {
    const a = await open();
    const b = await open();
    const payload = '<img src=x onerror=alert(1)><script>alert(2)</script><b>bold</b>';

    await sendMessage(a.page, payload);
    await waitForItem(b.page, 'broadcast-item', payload);
    await waitForItem(b.page, 'chat-item', payload);

    for (const page of [a.page, b.page]) {
      const injected = await page.$$eval('.message-list img, .message-list script, .message-list b', (els) => els.length);
      assert.equal(injected, 0);
    }
    const shown = await b.page.getByTestId('broadcast-item').locator('.message-text').innerText();
    assert.equal(shown, payload);
    // onerror/alert would have opened a dialog, which openApp records as an error.
    assert.deepEqual([...a.errors, ...b.errors], []);
    await closeAll();
  });

  it('manual disconnect stops the connection until Connect is clicked', { timeout: 60_000 }, async () => {
    const a = await open();
    const toggle = a.page.getByTestId('connection-toggle');
    await toggle.click();
    await waitForStatus(a.page, 'idle');
    assert.equal(await a.page.getByTestId('send-button').isDisabled(), true);
    assert.equal(await a.page.getByTestId('reconnect-countdown').isVisible(), false);
    await waitForText(a.page, 'online-time', '—');
    await toggle.click();
    await waitForStatus(a.page, 'open');
    assert.equal(await a.page.getByTestId('send-button').isEnabled(), true);
    await closeAll();
  });

  it('reconnects by itself after the server restarts on the same port', { timeout: 180_000 }, async () => {
    const a = await open();
    const b = await open();

    await server.stop();

    // Backoff state is visible: badge, countdown, sending disabled.
    await waitForStatus(a.page, 'reconnecting', 30_000);
    await a.page.waitForFunction(
      () => /^Reconnecting in \d+ s$/.test(document.querySelector('[data-testid="reconnect-countdown"]')?.textContent ?? ''),
      undefined,
      { timeout: 30_000 },
    );
    assert.equal(await a.page.getByTestId('reconnect-countdown').isVisible(), true);
    assert.equal(await a.page.getByTestId('send-button').isDisabled(), true);
    assert.equal(await a.page.getByTestId('message-input').isDisabled(), true);
    await waitForText(a.page, 'online-time', '—');

    await server.start();

    // Jittered backoff waits up to 20 s per attempt; allow for a few.
    await waitForStatus(a.page, 'open', 60_000);
    await waitForStatus(b.page, 'open', 60_000);
    assert.equal(await a.page.getByTestId('send-button').isEnabled(), true);
    assert.equal(await a.page.getByTestId('reconnect-countdown').isVisible(), false);

    await sendMessage(b.page, 'after restart');
    await waitForItem(a.page, 'broadcast-item', 'after restart');
    await waitForText(a.page, 'count-received', '1');
    await closeAll();
  });

  it('switches to pt-BR and remembers it across reloads', { timeout: 60_000 }, async () => {
    const a = await open({ locale: 'en-US' });
    await waitForText(a.page, 'app-title', 'WebSocket Broadcast Server');
    await waitForText(a.page, 'send-button', 'Send event');
    await waitForText(a.page, 'status-text', 'Connected');

    await a.page.getByTestId('language-select').selectOption('pt-BR');
    await waitForText(a.page, 'app-title', 'Servidor de Broadcast WebSocket');
    await waitForText(a.page, 'send-button', 'Enviar evento');
    await waitForText(a.page, 'status-text', 'Conectado');
    assert.equal(await a.page.evaluate(() => document.documentElement.lang), 'pt-BR');

    await a.page.reload();
    await waitForStatus(a.page, 'open');
    await waitForText(a.page, 'app-title', 'Servidor de Broadcast WebSocket');
    await waitForText(a.page, 'status-text', 'Conectado');
    assert.equal(await a.page.getByTestId('language-select').inputValue(), 'pt-BR');
    assert.equal(await a.page.evaluate(() => document.title), 'Servidor de Broadcast WebSocket');

    // The default follows the browser language when nothing was chosen yet.
    const pt = await open({ locale: 'pt-BR' });
    await waitForText(pt.page, 'send-button', 'Enviar evento');
    await closeAll();
  });
});
