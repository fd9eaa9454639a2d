// End-to-end tests: real server process + real headless Chromium.
// Run with `npm run test:e2e` after `npm run build` and the .NET Release build.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ServerProcess,
  checkPrerequisites,
  freePort,
  joinChannel,
  launchBrowser,
  listItems,
  openApp,
  placeholderFit,
  presenceNames,
  sendMessage,
  setName,
  waitForAttr,
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
    const shown = await b.page.getByTestId('broadcast-item').last().locator('.message-text').innerText();
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
    assert.equal(await a.page.getByTestId('message-input').isEnabled(), true);
    // Nothing typed yet: nothing to send.
    assert.equal(await a.page.getByTestId('send-button').isDisabled(), true);
    await a.page.getByTestId('message-input').fill('ready');
    assert.equal(await a.page.getByTestId('send-button').isEnabled(), true);
    await closeAll();
  });

  it('reconnects by itself after the server restarts on the same port', { timeout: 180_000 }, async () => {
    const a = await open();
    const b = await open();

    await server.stop();
    let restarted = false;
    try {
      // Backoff state is visible: badge, countdown, sending disabled. The countdown is checked in one
      // look (text and visibility together): a short jittered delay may end, and hide it, at any moment.
      await waitForStatus(a.page, 'reconnecting', 30_000);
      await a.page.waitForFunction(
        () => {
          const countdown = document.querySelector('[data-testid="reconnect-countdown"]');
          return countdown instanceof HTMLElement && countdown.checkVisibility() && /^Reconnecting in \d+ s$/.test(countdown.textContent ?? '');
        },
        undefined,
        { timeout: 30_000 },
      );
      assert.equal(await a.page.getByTestId('send-button').isDisabled(), true);
      assert.equal(await a.page.getByTestId('message-input').isDisabled(), true);
      await waitForText(a.page, 'online-time', '—');

      await server.start();
      restarted = true;
    } finally {
      // The later tests need the server, whatever happened above.
      if (!restarted) await server.start();
    }

    // Jittered backoff waits up to 20 s per attempt; allow for a few.
    await waitForStatus(a.page, 'open', 60_000);
    await waitForStatus(b.page, 'open', 60_000);
    assert.equal(await a.page.getByTestId('message-input').isEnabled(), true);
    assert.equal(await a.page.getByTestId('reconnect-countdown').isVisible(), false);

    // A graceful restart (1001 after the drain) with nothing published since lost nothing: no loss banner.
    await waitForAttr(a.page, 'recovery-notice', 'data-resumes', '1');
    assert.equal(await a.page.getByTestId('recovery-notice').isVisible(), false);

    await sendMessage(b.page, 'after restart');
    await waitForItem(a.page, 'broadcast-item', 'after restart');
    await waitForText(a.page, 'count-received', '1');
    await closeAll();
  });

  it('two pages in channel room-2: messages stay in the channel and presence lists both names', { timeout: 60_000 }, async () => {
    const a = await open();
    const b = await open();
    await setName(a.page, 'Ana');
    await setName(b.page, 'Bruno');
    await joinChannel(a.page, 'room-2');
    await joinChannel(b.page, 'room-2');

    await a.page.waitForFunction(() => document.querySelectorAll('[data-testid="presence-item"]').length === 2, undefined, { timeout: 15_000 });
    assert.deepEqual(await presenceNames(a.page), ['Ana (you)', 'Bruno']);
    await b.page.waitForFunction(() => document.querySelectorAll('[data-testid="presence-item"]').length === 2, undefined, { timeout: 15_000 });
    assert.deepEqual(await presenceNames(b.page), ['Ana', 'Bruno (you)']);

    await sendMessage(a.page, 'hello room 2');
    await waitForItem(b.page, 'broadcast-item', 'hello room 2');
    assert.deepEqual(await listItems(b.page, 'broadcast-item'), [{ own: false, text: 'hello room 2' }]);
    const author = await b.page.getByTestId('broadcast-item').locator('.author').innerText();
    assert.equal(author, 'Ana');
    assert.deepEqual(await listItems(a.page, 'chat-item'), [{ own: true, text: 'hello room 2' }]);

    // The message went to room-2 only: #events on b stays empty.
    await b.page.locator('[data-testid="channel-select"][data-channel="events"]').click();
    assert.deepEqual(await listItems(b.page, 'broadcast-item'), []);
    // Keyboard: back to room-2 with Enter on its focused button.
    await b.page.locator('[data-testid="channel-select"][data-channel="room-2"]').focus();
    await b.page.keyboard.press('Enter');
    await waitForItem(b.page, 'broadcast-item', 'hello room 2');

    // Leaving updates the other page's presence list.
    await b.page.locator('[data-testid="channel-leave"][data-channel="room-2"]').click();
    await a.page.waitForFunction(() => document.querySelectorAll('[data-testid="presence-item"]').length === 1, undefined, { timeout: 15_000 });
    assert.deepEqual(await presenceNames(a.page), ['Ana (you)']);
    assert.deepEqual([...a.errors, ...b.errors], []);
    await closeAll();
  });

  it('after a reconnect, replays what was missed and says how many events were recovered', { timeout: 60_000 }, async () => {
    const a = await open();
    const b = await open();
    await joinChannel(a.page, 'room-3');
    await joinChannel(b.page, 'room-3');
    await sendMessage(b.page, 'seen live');
    await waitForItem(a.page, 'broadcast-item', 'seen live');

    await a.page.getByTestId('connection-toggle').click();
    await waitForStatus(a.page, 'idle');
    for (let i = 1; i <= 3; i++) await sendMessage(b.page, `missed ${i}`);
    await waitForText(b.page, 'count-sent', '4');
    await a.page.getByTestId('connection-toggle').click();
    await waitForStatus(a.page, 'open');

    await waitForAttr(a.page, 'recovery-notice', 'data-kind', 'recovered');
    await waitForText(a.page, 'recovery-text', 'Reconnected: recovered 3 missed events.');
    await waitForItem(a.page, 'broadcast-item', 'missed 3');
    assert.deepEqual(
      (await listItems(a.page, 'broadcast-item')).map((i) => i.text),
      ['seen live', 'missed 1', 'missed 2', 'missed 3'],
    );
    await a.page.getByTestId('recovery-dismiss').click();
    assert.equal(await a.page.getByTestId('recovery-notice').isVisible(), false);
    await closeAll();
  });

  it('fits a phone screen: no horizontal scrolling, channels and presence reachable', { timeout: 60_000 }, async () => {
    const a = await open({ viewport: { width: 375, height: 740 } });
    await joinChannel(a.page, 'phone-room');
    const overflow = await a.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
    for (const id of ['channel-input', 'presence-list', 'name-input', 'message-input']) {
      const box = await a.page.getByTestId(id).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 375, `${id} is off screen`);
    }
    // The join form is offered here (every channel is open): its placeholder is whole (production.e2e checks the others).
    const fit = await placeholderFit(a.page, 'channel-input');
    assert.ok(fit.needed <= fit.room, `channel-input cuts its placeholder "${fit.placeholder}": it needs ${fit.needed.toFixed(0)} px and has ${fit.room.toFixed(0)} px`);
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
