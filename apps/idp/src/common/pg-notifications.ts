import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { describe } from '@jit/messaging';

const RECONNECT_MS = 1000;

/**
 * What IdP instances announce to each other through PostgreSQL (NOTIFY in the transaction that
 * made the change, LISTEN here): ended and changed sessions, a new MFA policy. One connection per
 * instance. Announcements made while it is not listening (the connection lost, or not yet open)
 * are never heard, so `listening` says whether memory kept on their strength may be trusted, and
 * every `onReset` handler runs each time listening starts again (drop what was kept).
 */
export class PgNotifications implements OnApplicationShutdown {
  private readonly log = new Logger(PgNotifications.name);
  private readonly handlers = new Map<string, (payload: string) => void>();
  private readonly resets: (() => void)[] = [];
  private client?: Client;
  private opening?: Promise<void>;
  private closed = false;
  private timer?: NodeJS.Timeout;
  listening = false;

  constructor(private readonly databaseUrl: string) {}

  /** Hears `channel` (an SQL identifier of ours, never input) from now on. */
  on(channel: string, handler: (payload: string) => void): void {
    this.handlers.set(channel, handler);
    const client = this.client;
    if (client) void client.query(`LISTEN ${channel}`).catch((error: unknown) => this.lost(client, error));
  }

  onReset(handler: () => void): void {
    this.resets.push(handler);
  }

  /** Starts listening (once, whoever asks first); a failure is retried in the background. */
  open(): Promise<void> {
    this.opening ??= this.listen();
    return this.opening;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.listening = false;
    await client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'idp notifications', keepAlive: true });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('the connection was closed')));
    client.on('notification', (n) => {
      if (n.payload) this.handlers.get(n.channel)?.(n.payload);
    });
    try {
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`LISTEN ${channel}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      this.log.warn(`Cannot hear other IdP instances' announcements yet (${describe(error)}): trusting nothing kept in memory`);
      this.retry();
      return;
    }
    this.client = client;
    // Announcements made before now were not heard: nothing kept on their strength may be trusted.
    for (const reset of this.resets) reset();
    this.listening = true;
  }

  private lost(client: Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.listening = false;
    this.log.warn(
      `Stopped hearing other IdP instances' announcements (${describe(error)}): trusting nothing kept in memory until it is back`,
    );
    void client.end().catch(() => undefined);
    this.retry();
  }

  private retry(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.listen(), RECONNECT_MS);
    this.timer.unref();
  }
}
