import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { describe, type NatsBus } from './bus';
import type { ConsumerProgress } from './consumer-progress';
import type { StreamContract } from './contract';

/** What the lease starts and stops: the service's durable consumers (BusTransport). */
export interface LeasedConsumers {
  /**
   * Starts every durable consumer. `takeover`: another instance may have applied (and
   * acknowledged) events since this one loaded its state, so each consumer rebuilds from its
   * producer's snapshot before it tails.
   */
  startConsuming(takeover: boolean): Promise<void>;
  /** Stops them: no more deliveries, nothing more acknowledged. */
  stopConsuming(): Promise<void>;
}

export interface InstanceLeaseOptions {
  databaseUrl: string;
  /** The service's bus: its NATS prefix and durable consumer name make the lease's key. */
  bus: NatsBus;
  /** The streams it consumes (named in the log and in the readiness reason). */
  consumes: readonly StreamContract[];
  /** How often an instance without the lease tries to take it. */
  retryMs?: number;
  /** How often the holder checks that its lease connection is alive. Below `retryMs`, so it notices a loss first. */
  checkMs?: number;
}

/**
 * The right to consume: a service's durable consumers (one per stream, named after the service)
 * are shared by every process on the same NATS prefix, so two instances would each get part of
 * the events and each believe itself current. Only the holder of this lease consumes and decides.
 *
 * It is a PostgreSQL session-level advisory lock on a key made of the NATS prefix and the durable
 * consumer's name, held on a connection of its own for the life of the process: PostgreSQL
 * releases it when the process ends, however it ends. An instance that cannot take it stays up
 * without consumers, not ready and never fresh (ConsumerProgress.suspend), and tries again every
 * `retryMs`; when it takes over, its consumers rebuild from snapshots first. A holder whose lease
 * connection fails stops deciding at once, stops its consumers and waits for the lease again.
 */
export class InstanceLease {
  private readonly log = new Logger(InstanceLease.name);
  private readonly key: string;
  private readonly service: string;
  private readonly consumers: string;
  private readonly retryMs: number;
  private readonly checkMs: number;
  /** The connection holding the lock; undefined while this instance does not hold it. */
  private client?: Client;
  private governed?: { consumers: LeasedConsumers; progress: ConsumerProgress };
  /** Lease work, one piece at a time: a takeover and a loss never interleave. */
  private serial: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private closed = false;

  private constructor(private readonly options: InstanceLeaseOptions) {
    const { bus } = options;
    this.service = bus.service;
    this.key = `jit.consumer-lease:${bus.options.prefix}:${bus.service}`;
    this.consumers = `the durable consumer "${bus.service}" on ${options.consumes.map((s) => bus.naming.stream(s.name)).join(', ')}`;
    this.retryMs = options.retryMs ?? 2000;
    this.checkMs = options.checkMs ?? 1000;
  }

  /**
   * Tries the lease once. Call it before the service loads any state: a first try that succeeds
   * is the only start that needs no rebuild. Rejects when PostgreSQL cannot be reached.
   */
  static async open(options: InstanceLeaseOptions): Promise<InstanceLease> {
    const lease = new InstanceLease(options);
    await lease.tryToTake();
    return lease;
  }

  get held(): boolean {
    return this.client !== undefined;
  }

  /** The sentence an instance without the lease logs and answers /ready with. */
  get refusal(): string {
    return (
      `another instance of ${this.service} holds the consumer lease for ${this.consumers}; ` +
      'this instance refuses to serve until it is the only one: run one instance per service'
    );
  }

  /**
   * Runs the consumers under the lease from now on: starts them if it is held (a failure
   * rejects, as a start-up failure), else suspends `progress` and keeps trying.
   */
  async keep(consumers: LeasedConsumers, progress: ConsumerProgress): Promise<void> {
    this.governed = { consumers, progress };
    if (this.held) {
      await consumers.startConsuming(false);
    } else {
      progress.suspend(this.refusal);
      this.log.error(this.refusal);
    }
    this.schedule();
  }

  /** Stops the consumers (with `stop`), then gives the lease up for the next instance. */
  async close(stop: () => Promise<void>): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.serial;
    await stop();
    const client = this.client;
    this.client = undefined;
    if (client) {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [this.key]).catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(
      () => {
        void this.enqueue(() => (this.held ? this.check() : this.tryToTakeOver())).finally(() => this.schedule());
      },
      this.held ? this.checkMs : this.retryMs,
    );
    this.timer.unref();
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.serial.then(() => (this.closed ? undefined : work()));
    this.serial = run.catch((error: unknown) => this.log.error(`Consumer lease: ${describe(error)}`));
    return this.serial;
  }

  /** The lock's session answers: it still holds the lock (a session keeps it until it ends). */
  private async check(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      await client.query('SELECT 1');
    } catch (error) {
      this.lost(client, error);
    }
  }

  /** One try; true when this instance holds the lease now. */
  private async tryToTake(): Promise<boolean> {
    const client = new Client({
      connectionString: this.options.databaseUrl,
      application_name: `${this.service} consumer lease`,
      keepAlive: true,
      connectionTimeoutMillis: 2000,
      query_timeout: 2000,
    });
    // A connection that fails while idle emits 'error' (unhandled, it would end the process).
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('the connection was closed')));
    try {
      await client.connect();
      const { rows } = await client.query<{ taken: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS taken', [this.key]);
      if (rows[0]?.taken === true) {
        this.client = client;
        return true;
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    await client.end().catch(() => undefined);
    return false;
  }

  private async tryToTakeOver(): Promise<void> {
    const governed = this.governed;
    if (!governed) return;
    try {
      if (!(await this.tryToTake())) return;
    } catch (error) {
      this.log.warn(`Could not try the consumer lease for ${this.consumers}: ${describe(error)}`);
      return;
    }
    const client = this.client;
    this.log.warn(`Took the consumer lease for ${this.consumers}: rebuilding from snapshots, then serving`);
    try {
      await governed.consumers.startConsuming(true);
    } catch (error) {
      this.log.error(`Could not start the consumers after taking the lease, will try again: ${describe(error)}`);
      if (client) this.lost(client, error);
      return;
    }
    // Each consumer is resyncing by now: not fresh until its snapshot is in.
    if (this.client === client) governed.progress.resume();
  }

  /**
   * The lease connection failed: PostgreSQL may already have released the lock to another
   * instance. Stop deciding now (synchronously, before anything else runs), then stop consuming.
   */
  private lost(client: Client, error: unknown): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    const reason =
      `lost the consumer lease for ${this.consumers} (its database connection failed: ${describe(error)}); ` +
      'this instance refuses to serve until it holds it again';
    this.governed?.progress.suspend(reason, error);
    this.log.error(reason);
    void this.enqueue(async () => {
      await this.governed?.consumers.stopConsuming();
      await client.end().catch(() => undefined);
    });
  }
}
