// The web app with compression enabled on the server (Broadcast:Compression:Enabled): real headless
// Chromium negotiates permessage-deflate, and long messages still reach the other page exactly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ServerProcess, checkPrerequisites, freePort, launchBrowser, listItems, openApp, sendMessage, waitForItem } from './harness.mjs';

let server;
let browser;
const opened = [];

describe('web app with permessage-deflate (e2e)', { timeout: 300_000 }, () => {
  before(async () => {
    checkPrerequisites();
    server = new ServerProcess(await freePort(), { Broadcast__Compression__Enabled: 'true' });
    await server.start();
    browser = await launchBrowser();
  });

  after(async () => {
    for (const app of opened.splice(0)) await app.context.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  it('Chromium negotiates it, and a long message reaches the other page exactly', { timeout: 60_000 }, async () => {
    const a = await openApp(browser, server.baseUrl);
    const b = await openApp(browser, server.baseUrl);
    opened.push(a, b);

    // What the browser agreed to on a WebSocket of its own to the same endpoint.
    const extensions = await a.page.evaluate(
      (url) =>
        new Promise((resolve, reject) => {
          const socket = new WebSocket(url);
          socket.onopen = () => {
            resolve(socket.extensions);
            socket.close();
          };
          socket.onerror = () => reject(new Error('no connection'));
        }),
      `${server.baseUrl.replace('http', 'ws')}/ws/events`,
    );
    assert.match(extensions, /^permessage-deflate; server_no_context_takeover; client_no_context_takeover/);

    // Well past the server's 256-byte threshold: the frame the other page gets is compressed.
    const long = `long message ${'and the same words again '.repeat(40)}end`;
    await sendMessage(a.page, long);
    await waitForItem(b.page, 'broadcast-item', long);
    assert.deepEqual(await listItems(b.page, 'broadcast-item'), [{ own: false, text: long }]);
    assert.deepEqual([...a.errors, ...b.errors], []);
  });
});
