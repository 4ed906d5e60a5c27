import { Column, Entity, Index, PrimaryColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * A row per event, written in the same transaction as the change it describes. No explicit
 * schema: each service's data source puts it in that service's own schema.
 */
@Entity({ name: 'outbox' })
@Index('outbox_unpublished_idx', ['position'], { where: 'published_at IS NULL' })
export class OutboxMessage {
  /** Also the Nats-Msg-Id, so JetStream drops a re-publish of the same row. */
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'bigint', generated: 'increment', update: false, insert: false })
  position!: string;

  @Column('text')
  subject!: string;

  @Column('jsonb')
  payload!: object;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'published_at', nullable: true })
  publishedAt!: Date | null;

  @Column('integer', { name: 'publish_attempts', default: 0 })
  publishAttempts!: number;

  /**
   * The event's sequence in its stream, from JetStream's acknowledgement, written with the
   * published mark (migration helper `addOutboxStreamSequence`). 0: marked before sequences were
   * kept, more than an hour before that migration; null on a published row: marked without one.
   * The IdP reads it while a stream cannot be asked (OutboxLedger).
   */
  @Column({ type: 'bigint', name: 'stream_sequence', nullable: true, insert: false, update: false, select: false })
  streamSequence!: string | null;
}

/** The outbox table's DDL, shared by every service's first migration. */
export async function createOutboxTable(queryRunner: QueryRunner, schema: string): Promise<void> {
  await queryRunner.query(`
    CREATE TABLE "${schema}"."outbox" (
      "id" uuid PRIMARY KEY,
      "position" bigserial NOT NULL,
      "subject" text NOT NULL,
      "payload" jsonb NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "published_at" timestamptz NULL,
      "publish_attempts" integer NOT NULL DEFAULT 0
    )`);
  await queryRunner.query(`CREATE INDEX "outbox_unpublished_idx" ON "${schema}"."outbox" ("position") WHERE "published_at" IS NULL`);
}

export async function dropOutboxTable(queryRunner: QueryRunner, schema: string): Promise<void> {
  await queryRunner.query(`DROP TABLE "${schema}"."outbox"`);
}

/**
 * Adds `stream_sequence` to a service's outbox: 0 for rows published more than an hour ago
 * (before the IdP's last lookup of the stream, whatever it was), null for the rest until
 * they are deleted. Indexed for OutboxLedger, which looks for rows above a sequence or without one.
 */
export async function addOutboxStreamSequence(queryRunner: QueryRunner, schema: string): Promise<void> {
  await queryRunner.query(`ALTER TABLE "${schema}"."outbox" ADD COLUMN "stream_sequence" bigint NULL`);
  await queryRunner.query(`UPDATE "${schema}"."outbox" SET "stream_sequence" = 0 WHERE "published_at" < now() - interval '1 hour'`);
  await queryRunner.query(`CREATE INDEX "outbox_stream_sequence_idx" ON "${schema}"."outbox" ("stream_sequence")`);
}

export async function dropOutboxStreamSequence(queryRunner: QueryRunner, schema: string): Promise<void> {
  await queryRunner.query(`ALTER TABLE "${schema}"."outbox" DROP COLUMN "stream_sequence"`);
}

/**
 * The migration that adds `stream_sequence` to a service's outbox (docs/decisions/0012): every
 * service with an outbox lists it among its own, for its own schema.
 */
export function outboxStreamSequenceMigration(schema: string): new () => MigrationInterface {
  return class OutboxStreamSequence implements MigrationInterface {
    name = 'OutboxStreamSequence1767200000000';

    async up(q: QueryRunner): Promise<void> {
      await addOutboxStreamSequence(q, schema);
    }

    async down(q: QueryRunner): Promise<void> {
      await dropOutboxStreamSequence(q, schema);
    }
  };
}
