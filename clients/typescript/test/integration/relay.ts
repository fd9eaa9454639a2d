/**
 * A loopback port that stays this process's for a whole test, forwarding each connection to wherever the
 * server is now: a test that restarts the server points the relay at the new one instead of starting it
 * again on the old port. A port given back for the restart can be taken in between (another process's
 * outgoing connection picks it as its local port, or the reconnecting client connects to itself), and the
 * server then cannot start.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class Relay {
  private target: number | undefined;
  private readonly open = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on a free loopback port; forwards nowhere (every connection is cut at once) until `forwardTo`. */
  static async start(): Promise<Relay> {
    let relay: Relay | undefined;
    const server = createServer((socket) => relay?.accept(socket));
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
    relay = new Relay(server, port);
    return relay;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws/events`;
  }

  /** New connections go to this port from now on (undefined: cut at once, as a server that is down). */
  forwardTo(port: number | undefined): void {
    this.target = port;
  }

  async stop(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise((r) => this.server.close(r));
  }

  private accept(client: Socket): void {
    if (this.target === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target, '127.0.0.1');
    this.open.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.open.delete(client);
      this.open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
