/**
 * Starts the REAL broadcast server (a child `dotnet` process) for integration
 * tests, on a free loopback port, and stops it with SIGTERM (SIGKILL after a grace period).
 *
 * Environment: SERVER_DLL (default <repo>/src/Broadcast.Server/bin/Release/net10.0/Broadcast.Server.dll),
 * DOTNET (default "dotnet"). Server settings are passed as environment variables
 * (e.g. `Broadcast__Channels__HistorySize: '5'`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoDir = resolve(here, '../../../..');
export const serverDll =
  process.env['SERVER_DLL'] || resolve(repoDir, 'src/Broadcast.Server/bin/Release/net10.0/Broadcast.Server.dll');
const dotnet = process.env['DOTNET'] || 'dotnet';

export function assertServerBuilt(): void {
  if (!existsSync(serverDll)) {
    throw new Error(
      `Server not found at ${serverDll}: run "dotnet build src/Broadcast.Server -c Release" in ${repoDir} first, or set SERVER_DLL.`,
    );
  }
}

export function freePort(): Promise<number> {
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ServerProcess {
  readonly baseUrl: string;
  readonly wsUrl: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  output = '';

  constructor(
    readonly port: number,
    private readonly settings: Readonly<Record<string, string>> = {},
  ) {
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.wsUrl = `ws://127.0.0.1:${port}/ws/events`;
  }

  static async start(settings: Readonly<Record<string, string>> = {}): Promise<ServerProcess> {
    assertServerBuilt();
    const server = new ServerProcess(await freePort(), settings);
    await server.start();
    return server;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const env = {
      ...process.env,
      ASPNETCORE_ENVIRONMENT: process.env['ASPNETCORE_ENVIRONMENT'] ?? 'Production',
      Logging__LogLevel__Default: 'Warning',
      // The soak test publishes faster than the default per-connection publish limit allows.
      Broadcast__Limits__PublishRatePerSecond: '0',
      // Most tests use channels other than "events" without a token; out of the box anonymous clients get only
      // "events". Tests about permissions override these.
      Broadcast__Auth__AnonymousSubscribe: '*',
      Broadcast__Auth__AnonymousPublish: '*',
      ...this.settings,
    };
    const child = spawn(dotnet, [serverDll, '--urls', this.baseUrl], {
      cwd: dirname(serverDll),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let exitedEarly = false;
    this.exited = new Promise((r) =>
      child.once('exit', () => {
        exitedEarly = true;
        r();
      }),
    );
    const collect = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);

    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exitedEarly) throw new Error(`Server exited during startup. Output:\n${this.output}`);
      try {
        const res = await fetch(`${this.baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(150);
    }
    await this.stop();
    throw new Error(`Server did not become healthy within ${timeoutMs} ms. Output:\n${this.output}`);
  }

  async stop(graceMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
