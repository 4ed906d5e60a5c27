import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1764400000000 implements MigrationInterface {
  name = 'Initial1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "demo_sp"."accounts" (
        "id" uuid PRIMARY KEY,
        "name_id" text NULL,
        "name_id_format" text NULL,
        "email" text NULL,
        "email_lower" text NULL,
        "firstname" text NULL,
        "lastname" text NULL,
        "attributes" jsonb NOT NULL DEFAULT '{}'::jsonb,
        "last_jit_action" text NULL CHECK ("last_jit_action" IN ('created', 'updated', 'linked', 'found')),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        "last_login_at" timestamptz NULL,
        "login_count" integer NOT NULL DEFAULT 0
      )`);
    // NULL name_ids (local accounts not yet linked) never collide in a unique index.
    await q.query(`CREATE UNIQUE INDEX "accounts_name_id_key" ON "demo_sp"."accounts" ("name_id")`);
    await q.query(`CREATE UNIQUE INDEX "accounts_email_lower_key" ON "demo_sp"."accounts" ("email_lower") WHERE "email_lower" IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "demo_sp"."accounts"`);
  }
}
