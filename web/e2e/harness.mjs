// E2E harness: starts the REAL broadcast server (a child `dotnet` process) and a
// headless Debian Chromium driven by playwright-core. No mocks.
//
// Environment:
//   SERVER_DLL      path of Broadcast.Server.dll
//                   (default <repo>/src/Broadcast.Server/bin/Release/net10.0/Broadcast.Server.dll)
//   WEBAPP_PATH     folder the server serves the web app from (default <repo>/web/dist, so the
//                   tests always see the current `npm run build`); set it to "" to use the copy
//                   the .NET build placed beside the DLL.
//   CHROMIUM_PATH   browser executable (default /usr/bin/chromium)
//   DOTNET          dotnet executable (default "dotnet")
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const webDir = resolve(here, '..');
export const repoDir = resolve(webDir, '..');

export const serverDll =
  process.env.SERVER_DLL || resolve(repoDir, 'src/Broadcast.Server/bin/Release/net10.0/Broadcast.Server.dll');
export const webAppPath = process.env.WEBAPP_PATH ?? resolve(webDir, 'dist');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const dotnet = process.env.DOTNET || 'dotnet';

/** Fails fast with a clear message when something the e2e run needs was not built. */
export function checkPrerequisites() {
  const problems = [];
  if (!existsSync(resolve(webDir, 'dist/index.html'))) {
    problems.push(`web/dist/index.html is missing: run "npm run build" in ${webDir} first.`);
  }
  if (!existsSync(serverDll)) {
    problems.push(
      `Server not found at ${serverDll}: run "dotnet build src/Broadcast.Server -c Release" in ${repoDir}, or set SERVER_DLL.`,
    );
  }
  if (!existsSync(chromiumPath)) {
    problems.push(`Chromium not found at ${chromiumPath}: "apt-get install -y chromium", or set CHROMIUM_PATH.`);
  }
  if (problems.length > 0) throw new Error(`E2E prerequisites missing:\n  ${problems.join('\n  ')}`);
}

/** Asks the OS for a free loopback port (listen on 0, read it, close). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A running server process. `start()` resolves once GET /health answers
 * {"status":"healthy"}; `stop()` sends SIGTERM and escalates to SIGKILL.
 */
export class ServerProcess {
  /**
   * @param {number} port
   * @param {Record<string, string>} [env] extra environment variables (settings) for the server
   * @param {{ openChannels?: boolean }} [options] openChannels (default true) opens every channel to
   *   anonymous clients, as most tests need; false keeps the shipped Production defaults (anonymous
   *   clients may use `events` only), as a published build runs out of the box.
   */
  constructor(port, env = {}, { openChannels = true } = {}) {
    this.port = port;
    this.env = env;
    this.openChannels = openChannels;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.child = undefined;
    this.output = '';
    this.exited = undefined;
  }

  async start(timeoutMs = 60_000) {
    const env = {
      ...process.env,
      ASPNETCORE_ENVIRONMENT: process.env.ASPNETCORE_ENVIRONMENT ?? 'Production',
      // The pages join channels other than "events"; out of the box anonymous clients get only "events".
      ...(this.openChannels ? { Broadcast__Auth__AnonymousSubscribe: '*', Broadcast__Auth__AnonymousPublish: '*' } : {}),
      ...this.env,
    };
    if (webAppPath) env.Broadcast__WebAppPath = webAppPath;
    const child = spawn(dotnet, [serverDll, '--urls', this.baseUrl], {
      cwd: dirname(serverDll),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
    const collect = (chunk) => {
      // Keep the tail only: enough to explain a failure without unbounded memory.
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);

    let exitedEarly = false;
    this.exited.then(() => (exitedEarly = true));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exitedEarly) throw new Error(`Server exited during startup. Output:\n${this.output}`);
      try {
        const res = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) {
          const body = await res.json();
          if (body.status === 'healthy') return;
        }
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    await this.stop();
    throw new Error(`Server did not become healthy within ${timeoutMs} ms. Output:\n${this.output}`);
  }

  /** A crash (kill -9): no drain, no close frames; clients see their connections drop. */
  async kill() {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  async stop(graceMs = 15_000) {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

// ---- page helpers -------------------------------------------------------

const byId = (id) => `[data-testid="${id}"]`;

/** Waits until the status badge shows `status` (idle | connecting | open | reconnecting). */
export async function waitForStatus(page, status, timeout = 30_000) {
  await page.waitForFunction(
    ([sel, s]) => document.querySelector(sel)?.getAttribute('data-status') === s,
    [byId('status-badge'), status],
    { timeout },
  );
}

/** Waits until the element's trimmed text equals `text`. */
export async function waitForText(page, id, text, timeout = 15_000) {
  await page.waitForFunction(
    ([sel, t]) => document.querySelector(sel)?.textContent?.trim() === t,
    [byId(id), text],
    { timeout },
  );
}

/** Waits until a list holds an item whose message text equals `text`. */
export async function waitForItem(page, itemId, text, timeout = 15_000) {
  await page.waitForFunction(
    ([sel, t]) => [...document.querySelectorAll(sel)].some((li) => li.querySelector('.message-text')?.textContent === t),
    [byId(itemId), text],
    { timeout },
  );
}

/**
 * Items of a list as { own, text }; `source` adds how each came (sent | live | replay | history).
 * Without `withHistory`, items read from history (published before the page opened, e.g. by an
 * earlier test on the same channel) are left out.
 */
export async function listItems(page, itemId, { withHistory = false, source = false } = {}) {
  const items = await page.$$eval(byId(itemId), (els) =>
    els.map((li) => ({
      own: li.getAttribute('data-own') === 'true',
      text: li.querySelector('.message-text')?.textContent ?? '',
      source: li.getAttribute('data-source') ?? '',
    })),
  );
  return items
    .filter((i) => withHistory || i.source !== 'history')
    .map((i) => (source ? i : { own: i.own, text: i.text }));
}

export async function sendMessage(page, text) {
  await page.getByTestId('message-input').fill(text);
  await page.getByTestId('message-input').press('Enter');
}

/** Opens the app in a fresh context (own storage) and waits until it is connected (unless `status` says otherwise). */
export async function openApp(browser, baseUrl, { locale = 'en-US', viewport, status = 'open', initScript } = {}) {
  const context = await browser.newContext({ locale, ...(viewport ? { viewport } : {}) });
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('dialog', (dialog) => {
    errors.push(`unexpected dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(`${baseUrl}/`);
  if (status) await waitForStatus(page, status);
  return { context, page, errors };
}

/** Joins (and selects) a channel with the sidebar form; waits until the server confirmed it. */
export async function joinChannel(page, channel) {
  await page.getByTestId('channel-input').fill(channel);
  await page.getByTestId('channel-input').press('Enter');
  await page.waitForFunction(
    (c) => {
      const item = [...document.querySelectorAll('[data-testid="channel-item"]')].find((li) => li.getAttribute('data-channel') === c);
      return item?.getAttribute('data-selected') === 'true' && item.getAttribute('data-subscribed') === 'true';
    },
    channel,
    { timeout: 15_000 },
  );
}

/** Saves the display name (the app reconnects to send it) and waits until connected again. */
export async function setName(page, name) {
  await page.getByTestId('name-input').fill(name);
  await page.getByTestId('name-input').press('Enter');
  await page.waitForFunction(
    (n) => [...document.querySelectorAll('[data-testid="presence-item"][data-self="true"]')].some((li) => li.textContent?.includes(n)),
    name,
    { timeout: 15_000 },
  );
}

/** Names in the presence list of the selected channel, sorted. */
export async function presenceNames(page) {
  const names = await page.$$eval('[data-testid="presence-item"] .member-name', (els) => els.map((e) => e.textContent ?? ''));
  return names.sort();
}

/** Waits until an element's attribute has a value. */
export async function waitForAttr(page, id, attr, value, timeout = 30_000) {
  await page.waitForFunction(
    ([sel, a, v]) => document.querySelector(sel)?.getAttribute(a) === v,
    [`[data-testid="${id}"]`, attr, value],
    { timeout },
  );
}

/**
 * Layout facts of an input, measured in the page: its content box and the width its placeholder needs
 * (canvas text metrics in the input's own font).
 */
export async function placeholderFit(page, id) {
  return page.$eval(`[data-testid="${id}"]`, (el) => {
    const input = /** @type {HTMLInputElement} */ (el);
    const cs = getComputedStyle(input);
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
    const needed = ctx.measureText(input.placeholder).width;
    const room = input.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    return { placeholder: input.placeholder, needed, room };
  });
}

/** The element's box (getBoundingClientRect) in CSS pixels. */
export async function box(page, id) {
  return page.$eval(`[data-testid="${id}"]`, (el) => {
    const r = el.getBoundingClientRect();
    return { x: r.x, y: r.y, width: r.width, height: r.height };
  });
}
