import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxTable, dropOutboxTable } from '@jit/messaging';

/**
 * Group names for an application's groups attribute (filled by the next created/renamed event;
 * a group without one is left out of the attribute), and signing-key rotation: a key can be
 * published ahead of time (`activates_at` in the future) and retired later; and the outbox, where
 * audit events wait when NATS does not acknowledge them at once.
 */
export class SsoOptions1764600000000 implements MigrationInterface {
  name = 'SsoOptions1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "idp"."rm_groups" ADD COLUMN "name" text NULL`);
    await q.query(`ALTER TABLE "idp"."signing_keys" ADD COLUMN "activates_at" timestamptz NOT NULL DEFAULT now()`);
    await q.query(`ALTER TABLE "idp"."signing_keys" ADD COLUMN "retires_at" timestamptz NULL`);
    await createOutboxTable(q, 'idp');
  }

  async down(q: QueryRunner): Promise<void> {
    await dropOutboxTable(q, 'idp');
    await q.query(`ALTER TABLE "idp"."signing_keys" DROP COLUMN "retires_at"`);
    await q.query(`ALTER TABLE "idp"."signing_keys" DROP COLUMN "activates_at"`);
    await q.query(`ALTER TABLE "idp"."rm_groups" DROP COLUMN "name"`);
  }
}
