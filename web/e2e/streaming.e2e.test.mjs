// End-to-end: the web app where WebSocket cannot be used, in real headless Chromium against the real
// server. Two ways a network takes WebSocket away: the browser has none (`delete window.WebSocket` before
// the page's scripts run), and a proxy in front of the server that refuses every upgrade (as some
// corporate proxies and filters do) while passing plain HTTP through. Either way the app falls back to
// HTTP streaming by itself, says so, chats, and reconnects after a server restart without loss.
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  ServerProcess,
  checkPrerequisites,
  freePort,
  joinChannel,
  launchBrowser,
  listItems,
  openApp,
  sendMessage,
  waitForAttr,
  waitForItem,
  waitForStatus,
  waitForText,
} from './harness.mjs';

const NO_WEBSOCKET = () => {
  delete window.WebSocket;
};

/**
 * A reverse proxy that forwards plain HTTP to `target` (streaming both ways, nothing buffered) and answers
 * every WebSocket upgrade with 403, the way a proxy that breaks WebSockets does.
 */
function upgradeRefusingProxy(target) {
  const proxy = createServer((req, res) => {
    const upstream = request(
      { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${target}` } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  proxy.refused = 0;
  proxy.on('upgrade', (_req, socket) => {
    proxy.refused += 1;
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  return proxy;
}

for (const mode of ['no WebSocket in the browser', 'a proxy that refuses upgrades']) {
  describe(`web app over HTTP streaming: ${mode} (e2e)`, { timeout: 300_000 }, () => {
    let server;
    let browser;
    let proxy;
    let base;
    const opened = [];
    const viaProxy = mode.startsWith('a proxy');

    async function open() {
      const app = await openApp(browser, base, viaProxy ? {} : { initScript: NO_WEBSOCKET });
      opened.push(app);
      return app;
    }

    async function closeAll() {
      for (const app of opened.splice(0)) await app.context.close().catch(() => {});
    }

    before(async () => {
      checkPrerequisites();
      server = new ServerProcess(await freePort());
      await server.start();
      base = server.baseUrl;
      if (viaProxy) {
        proxy = upgradeRefusingProxy(server.port);
        const port = await freePort();
        await new Promise((resolveListen) => proxy.listen(port, '127.0.0.1', resolveListen));
        base = `http://127.0.0.1:${port}`;
      }
      browser = await launchBrowser();
    });

    after(async () => {
      await closeAll();
      await browser?.close();
      proxy?.closeAllConnections();
      proxy?.close();
      await server?.stop();
    });

    it('two pages chat, and each shows that HTTP streaming carries it', { timeout: 90_000 }, async () => {
      const a = await open();
      const b = await open();
      for (const app of [a, b]) {
        await waitForAttr(app.page, 'transport', 'data-transport', 'http-stream');
        assert.equal(await app.page.getByTestId('transport').textContent(), 'over HTTP streaming');
      }
      if (viaProxy) assert.ok(proxy.refused >= 2, `the proxy refused ${proxy.refused} upgrades`);

      await sendMessage(a.page, 'hello from A');
      await waitForItem(b.page, 'broadcast-item', 'hello from A');
      assert.deepEqual(await listItems(b.page, 'chat-item'), [{ own: false, text: 'hello from A' }]);
      await sendMessage(b.page, 'hello from B');
      await waitForItem(a.page, 'broadcast-item', 'hello from B');
      assert.deepEqual(await listItems(a.page, 'chat-item'), [
        { own: true, text: 'hello from A' },
        { own: false, text: 'hello from B' },
      ]);
      await waitForText(a.page, 'count-sent', '1');
      await waitForText(a.page, 'count-received', '1');
      assert.deepEqual([...a.errors, ...b.errors], []);
      await closeAll();
    });

    it('reconnects by itself after the server restarts on the same port, and loses nothing', { timeout: 180_000 }, async () => {
      const a = await open();
      const b = await open();
      await joinChannel(a.page, 'restart-room');
      await joinChannel(b.page, 'restart-room');
      await sendMessage(b.page, 'before restart');
      await waitForItem(a.page, 'broadcast-item', 'before restart');

      await server.stop();
      let restarted = false;
      try {
        await waitForStatus(a.page, 'reconnecting', 30_000);
        assert.equal(await a.page.getByTestId('send-button').isDisabled(), true);
        await server.start();
        restarted = true;
      } finally {
        if (!restarted) await server.start();
      }

      await waitForStatus(a.page, 'open', 60_000);
      await waitForStatus(b.page, 'open', 60_000);
      await waitForAttr(a.page, 'transport', 'data-transport', 'http-stream');
      await sendMessage(b.page, 'after restart');
      await waitForItem(a.page, 'broadcast-item', 'after restart');
      assert.deepEqual(
        (await listItems(a.page, 'broadcast-item')).map((i) => i.text),
        ['before restart', 'after restart'],
      );
      await closeAll();
    });

    it('after a manual reconnect, replays what was missed', { timeout: 60_000 }, async () => {
      const a = await open();
      const b = await open();
      await joinChannel(a.page, 'missed-room');
      await joinChannel(b.page, 'missed-room');
      await sendMessage(b.page, 'seen live');
      await waitForItem(a.page, 'broadcast-item', 'seen live');

      await a.page.getByTestId('connection-toggle').click();
      await waitForStatus(a.page, 'idle');
      for (let i = 1; i <= 3; i++) await sendMessage(b.page, `missed ${i}`);
      await waitForText(b.page, 'count-sent', '4');
      await a.page.getByTestId('connection-toggle').click();
      await waitForStatus(a.page, 'open');

      await waitForText(a.page, 'recovery-text', 'Reconnected: recovered 3 missed events.');
      await waitForItem(a.page, 'broadcast-item', 'missed 3');
      assert.deepEqual(
        (await listItems(a.page, 'broadcast-item')).map((i) => i.text),
        ['seen live', 'missed 1', 'missed 2', 'missed 3'],
      );
      await closeAll();
    });
  });
}
