import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource, In, IsNull, type EntityManager } from 'typeorm';
import { GroupCommit } from '@jit/persistence';
import { eventSubject, type EventContract, type PayloadOf } from './contract';
import { NatsBus, encodeJson, describe } from './bus';
import { ContractViolationError, EventNotConfirmedError } from './errors';
import { OutboxMessage } from './outbox-message.entity';
import { currentActor } from './event-actor';

/** What a unit of work sees: the transaction's entity manager and a way to emit events in it. */
export interface OutboxTransaction {
  readonly manager: EntityManager;
  emit<C extends EventContract>(contract: C, payload: PayloadOf<C>): void;
}

export const OUTBOX_RELAY_INTERVAL_MS = Symbol('OUTBOX_RELAY_INTERVAL_MS');
export const OUTBOX_RETENTION_DAYS = Symbol('OUTBOX_RETENTION_DAYS');

/**
 * How often published rows past the retention are deleted, how many one statement deletes, and
 * when the first pass runs: a minute after the start, not during it (a start has its own catch-up
 * to do), and not an hour later (a service restarted more often would never prune).
 */
const PRUNE_EVERY_MS = 3600_000;
const PRUNE_FIRST_MS = 60_000;
const PRUNE_BATCH = 10_000;

/** An outbox row JetStream acknowledged, with the sequence the stream gave its event. */
interface Acked {
  id: string;
  sequence: number;
}

/** How many of one call's events are sent before waiting for their acks. */
const PUBLISH_WINDOW = 256;

/**
 * The transactional outbox. `run` commits the change and its events together, then publishes
 * the events at once and resolves only after JetStream acknowledged each of them: an
 * access-changing call that returns 2xx has its event stored in the stream. If NATS does not
 * confirm, `run` throws BusUnavailableError; the change stays committed and the relay
 * delivers it later (Nats-Msg-Id = outbox id keeps that delivery single).
 *
 * After the acks, `run` marks its rows published in the background, batched with other calls'
 * rows, so that the caller's 2xx waits for no more than the stream: a crash before the mark only
 * makes the relay publish the row again, which JetStream drops as a duplicate.
 */
@Injectable()
export class Outbox implements BeforeApplicationShutdown {
  private readonly logger = new Logger(Outbox.name);
  /** Rows in the stream (acked) whose published mark is not written yet. */
  private readonly acked = new Set<string>();
  /** One UPDATE for every row acked while the previous one was on its way. */
  private readonly marks = new GroupCommit<Acked, void>(async (rows) => {
    await this.mark(this.dataSource.manager, rows);
    return rows.map(() => undefined);
  });

  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: NatsBus,
  ) {}

  async run<T>(work: (tx: OutboxTransaction) => Promise<T>): Promise<T> {
    const rows: OutboxMessage[] = [];
    const result = await this.dataSource.transaction(async (manager) => {
      const tx: OutboxTransaction = {
        manager,
        emit: (contract, payload) => {
          const checked = contract.schema.safeParse(payload);
          if (!checked.success) {
            throw new ContractViolationError(
              contract.subject,
              checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
            );
          }
          // The actor goes beside the contract's fields after the check (the schema would strip it);
          // it is in the body, so the bus seal covers it, and consumers' schemas ignore it.
          const actor = currentActor();
          const body = actor ? { ...(checked.data as object), actor } : (checked.data as object);
          // The row keeps the subject with its scope (eventSubject): the relay publishes it as it is.
          rows.push(manager.create(OutboxMessage, { id: randomUUID(), subject: eventSubject(contract, checked.data), payload: body }));
        },
      };
      const value = await work(tx);
      if (rows.length > 0) await manager.insert(OutboxMessage, rows);
      return value;
    });
    // A unit of work that changed nothing may repeat one whose event is still unconfirmed (its
    // caller got a 503): answer success only once that older event is in the stream too. If the
    // relay holds it (mid-publish, a NATS leader election say), wait for the relay's outcome,
    // never skip it: a 2xx while the event is not stored lets the IdP decide without it.
    try {
      if (rows.length > 0) await this.publish(rows, null);
      else await this.publishPending(0, { waitForLocked: true });
    } catch (error) {
      throw new EventNotConfirmedError(`Committed, but the event bus did not confirm: ${describe(error)}`, error);
    }
    return result;
  }

  /**
   * Publishes every unpublished row now. Rows another relay is publishing are skipped, unless
   * `waitForLocked`: then this waits for that relay's transaction, and takes the rows it left
   * unpublished (it failed) or none (it succeeded: PostgreSQL re-checks the condition after the wait).
   */
  async publishPending(minAgeSeconds = 0, options: { waitForLocked?: boolean } = {}): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const query = manager
        .getRepository(OutboxMessage)
        .createQueryBuilder('o')
        .where('o.published_at IS NULL')
        .andWhere('o.created_at <= now() - make_interval(secs => :age)', { age: minAgeSeconds })
        .orderBy('o.position', 'ASC')
        .limit(200)
        .setLock('pessimistic_write');
      const rows = await (options.waitForLocked ? query : query.setOnLocked('skip_locked'))
        .getMany()
        // Already in the stream, only their mark is on its way.
        .then((found) => found.filter((row) => !this.acked.has(row.id)));
      if (rows.length === 0) return 0;
      await manager.getRepository(OutboxMessage).increment({ id: In(rows.map((r) => r.id)) }, 'publishAttempts', 1);
      await this.publish(rows, manager);
      return rows.length;
    });
  }

  /**
   * Publishes rows in order and marks them published only after their acks: within `manager`'s
   * transaction (the relay, which holds the rows' locks), or with null in the background.
   *
   * Up to PUBLISH_WINDOW publishes are in flight at once (one connection keeps their order in the
   * stream), so a bulk change's thousands of events cost a few round trips, not one each. After a
   * failed window nothing more is sent; a row of it that was acked anyway is marked, the others
   * stay for the relay.
   */
  async publish(rows: readonly OutboxMessage[], manager: EntityManager | null = this.dataSource.manager): Promise<void> {
    const acked: Acked[] = [];
    try {
      for (let from = 0; from < rows.length; from += PUBLISH_WINDOW) {
        const window = rows.slice(from, from + PUBLISH_WINDOW);
        const settled = await Promise.allSettled(
          window.map((row) => this.bus.publishEncoded(row.subject, encodeJson(row.payload), row.id)),
        );
        settled.forEach((outcome, i) => {
          // A repeat the stream dropped as a duplicate is acked with the first one's sequence.
          if (outcome.status === 'fulfilled') acked.push({ id: window[i].id, sequence: outcome.value.seq });
        });
        const failed = settled.find((outcome) => outcome.status === 'rejected');
        if (failed) throw failed.reason;
      }
    } finally {
      if (acked.length > 0 && manager === null) this.markSoon(acked);
      else if (acked.length > 0 && manager !== null) await this.mark(manager, acked);
    }
  }

  /** Waits for the marks still on their way (shutdown runs this before the database closes). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.marks.settled();
  }

  private markSoon(rows: readonly Acked[]): void {
    for (const row of rows) {
      this.acked.add(row.id);
      void this.marks.submit(row).then(() => this.acked.delete(row.id));
    }
  }

  /** Marks rows published, each with its sequence in the stream. */
  private async mark(manager: EntityManager, rows: readonly Acked[]): Promise<void> {
    const { schema, tableName } = manager.getRepository(OutboxMessage).metadata;
    const table = schema ? `"${schema}"."${tableName}"` : `"${tableName}"`;
    await manager
      .query(
        `UPDATE ${table} o SET "published_at" = now(), "stream_sequence" = a."sequence"
           FROM unnest($1::uuid[], $2::bigint[]) AS a("id", "sequence") WHERE o."id" = a."id"`,
        [rows.map((r) => r.id), rows.map((r) => r.sequence)],
      )
      .catch((error: unknown) => this.logger.warn(`Could not mark outbox rows published: ${describe(error)}`));
  }

  /**
   * Deletes rows published more than `days` ago, in batches so that no statement holds many
   * locks or a long transaction. Unpublished rows are never deleted, however old: the relay
   * still owes them to the stream.
   */
  async deletePublishedBefore(days: number): Promise<number> {
    const rows = this.dataSource.getRepository(OutboxMessage);
    const batch = rows
      .createQueryBuilder('o')
      .select('o.id')
      .where('o.published_at < now() - make_interval(days => :days)', { days })
      .limit(PRUNE_BATCH)
      // Rows another instance is deleting are skipped rather than waited for, as the relay skips rows another publishes.
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked');
    let deleted = 0;
    for (;;) {
      const result = await rows
        .createQueryBuilder()
        .delete()
        .where(`id IN (${batch.getQuery()})`)
        .setParameters(batch.getParameters())
        .execute();
      const count = result.affected ?? 0;
      deleted += count;
      if (count < PRUNE_BATCH) return deleted;
    }
  }

  async unpublishedCount(): Promise<number> {
    return this.dataSource.getRepository(OutboxMessage).count({ where: { publishedAt: IsNull() } });
  }
}

/**
 * Re-publishes what a crash or a NATS outage left in the outbox. It selects rows by "not yet
 * published", never by "position above the last one seen": positions commit out of order, so a
 * watermark would skip a slow transaction's row.
 *
 * A minute after the start and every hour, it also deletes rows published more than
 * OUTBOX_RETENTION_DAYS ago: the stream has the events, and the IdP reads only recent rows
 * (OutboxLedger). Every instance does both; a row is published, or deleted, once either way.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private timer?: NodeJS.Timeout;
  private pruneTimer?: NodeJS.Timeout;
  private firstPrune?: NodeJS.Timeout;
  private running?: Promise<void>;
  private pruning?: Promise<void>;

  constructor(
    private readonly outbox: Outbox,
    @Inject(OUTBOX_RELAY_INTERVAL_MS) private readonly intervalMs: number,
    @Inject(OUTBOX_RETENTION_DAYS) private readonly retentionDays: number,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.relayOnce()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn(`Outbox relay pass failed: ${describe(error)}`))
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
    const prune = (): void => {
      this.pruning ??= this.pruneOnce()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn(`Outbox retention did not run: ${describe(error)}`))
        .finally(() => (this.pruning = undefined));
    };
    this.pruneTimer = setInterval(prune, PRUNE_EVERY_MS);
    this.pruneTimer.unref();
    this.firstPrune = setTimeout(prune, PRUNE_FIRST_MS);
    this.firstPrune.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.pruneTimer);
    clearTimeout(this.firstPrune);
    await Promise.all([this.running, this.pruning]);
  }

  /** Deletes the rows published more than OUTBOX_RETENTION_DAYS ago. */
  async pruneOnce(): Promise<number> {
    const deleted = await this.outbox.deletePublishedBefore(this.retentionDays);
    if (deleted > 0) this.logger.log(`Deleted ${deleted} outbox row(s) published more than ${this.retentionDays} days ago`);
    return deleted;
  }

  /** One pass. Rows younger than a second belong to the `run` that wrote them. */
  async relayOnce(): Promise<number> {
    const count = await this.outbox.publishPending(1);
    if (count > 0) this.logger.log(`Relayed ${count} outbox event(s)`);
    return count;
  }
}
