import { Column, Entity, PrimaryColumn, UpdateDateColumn, type QueryRunner } from 'typeorm';

/**
 * How far a service's durable consumer has applied a stream, kept in the service's own schema
 * beside the rows it describes. The server's ack floor cannot answer "did we miss something":
 * a purge moves it up past messages that nobody applied.
 */
@Entity({ name: 'consumer_positions' })
export class ConsumerPosition {
  /** The stream's name without the deployment prefix, e.g. DIRECTORY. */
  @PrimaryColumn('text')
  stream!: string;

  /** Every sequence up to here is applied (or covered by a snapshot). */
  @Column('bigint', { name: 'applied_seq' })
  appliedSeq!: string;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}

/** The table's DDL, for the migration of every service that consumes a stream. */
export async function createConsumerPositionsTable(queryRunner: QueryRunner, schema: string): Promise<void> {
  await queryRunner.query(`
    CREATE TABLE "${schema}"."consumer_positions" (
      "stream" text PRIMARY KEY,
      "applied_seq" bigint NOT NULL,
      "updated_at" timestamptz NOT NULL DEFAULT now()
    )`);
}

export async function dropConsumerPositionsTable(queryRunner: QueryRunner, schema: string): Promise<void> {
  await queryRunner.query(`DROP TABLE "${schema}"."consumer_positions"`);
}
