import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '@jit/testing';

/** The application_name of a PostgreSQL StartupMessage (protocol 3.0), or '' for anything else. */
function applicationName(startup: Buffer): string {
  if (startup.length < 8 || startup.readInt32BE(4) !== 196608) return '';
  const fields = startup.subarray(8, startup.readInt32BE(0)).toString('utf8').split('\0');
  const at = fields.indexOf('application_name');
  return at >= 0 && at % 2 === 0 ? (fields[at + 1] ?? '') : '';
}

interface Relayed {
  client: Socket;
  upstream: Socket;
  /** The application_name the connection started with ('' until its StartupMessage arrived). */
  name: string;
}

/**
 * A TCP relay in front of the machine's PostgreSQL that a test can take away and bring back,
 * as a stopped or crashed server looks to its clients: `close()` cuts every open connection and
 * refuses new ones (ECONNREFUSED), `open()` accepts again on the same port. The shared server
 * itself is never touched (other test runs use it).
 */
export class PostgresProxy {
  private server?: Server;
  private readonly connections = new Set<Relayed>();
  port = 0;

  constructor(private readonly target = { host: '127.0.0.1', port: 5432 }) {}

  /** `url` (a database URL on the real server) as seen through this relay. */
  through(url: string): string {
    const relayed = new URL(url);
    relayed.host = `127.0.0.1:${this.port}`;
    return relayed.toString();
  }

  async open(): Promise<void> {
    if (this.server) return;
    this.port ||= await freePort();
    const server = createServer((client) => {
      const connection: Relayed = { client, upstream: connect(this.target), name: '' };
      const { upstream } = connection;
      this.connections.add(connection);
      // Either side closing or failing ends both, as a cut connection does.
      const cut = () => {
        client.destroy();
        upstream.destroy();
        this.connections.delete(connection);
      };
      for (const socket of [client, upstream]) socket.on('error', cut).on('close', cut);
      upstream.pipe(client);
      // The first packet is the StartupMessage: it names the connection (see close's `keep`).
      client.once('data', (startup: Buffer) => {
        connection.name = applicationName(startup);
        upstream.write(startup);
        client.pipe(upstream);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /**
   * Refuses new connections and cuts the open ones, but those whose application_name `keep`
   * accepts: a partial outage, where some sessions survive (a server at max_connections, pooled
   * connections terminated). Calling it again without `keep` cuts the rest.
   */
  close(keep: (applicationName: string) => boolean = () => false): void {
    const server = this.server;
    this.server = undefined;
    for (const { client, upstream, name } of [...this.connections]) {
      if (keep(name)) continue;
      client.destroy();
      upstream.destroy();
    }
    // No new connections from now on; close()'s callback would wait for the kept ones to end.
    server?.close();
  }
}
