import { connect, createServer, type Server, type Socket } from 'node:net';

interface Relayed {
  client: Socket;
  upstream: Socket;
}

/**
 * A TCP relay the run owns between one service instance and NATS: the instance's NATS_URL names
 * the relay, so the run can partition that instance from NATS without touching anyone else.
 * - `cut()`: every open connection is reset and new ones are refused (a peer that is gone).
 * - `blackhole()`: connections stay open but no byte passes either way, and new ones are
 *   accepted and hang (a silent network: only timeouts reveal it).
 * - `heal()`: traffic flows again; what a blackhole held back is delivered.
 */
export class TcpRelay {
  private server?: Server;
  private readonly connections = new Set<Relayed>();
  private mode: 'open' | 'cut' | 'blackhole' = 'open';

  constructor(
    readonly port: number,
    private readonly target: () => { host: string; port: number },
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.mode = 'open';
    await this.listen();
  }

  private async listen(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  private accept(client: Socket): void {
    const upstream = connect(this.target());
    const relayed: Relayed = { client, upstream };
    this.connections.add(relayed);
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.connections.delete(relayed);
    };
    for (const socket of [client, upstream]) socket.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
    if (this.mode === 'blackhole') this.hold(relayed);
  }

  private hold({ client, upstream }: Relayed): void {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  }

  cut(): void {
    this.mode = 'cut';
    const server = this.server;
    this.server = undefined;
    server?.close();
    for (const { client, upstream } of [...this.connections]) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.connections.clear();
  }

  blackhole(): void {
    this.mode = 'blackhole';
    for (const relayed of this.connections) this.hold(relayed);
  }

  async heal(): Promise<void> {
    const was = this.mode;
    this.mode = 'open';
    if (was === 'blackhole') {
      for (const { client, upstream } of this.connections) {
        client.pipe(upstream);
        upstream.pipe(client);
      }
    }
    await this.listen();
  }

  stop(): void {
    this.cut();
    this.mode = 'open';
  }
}
