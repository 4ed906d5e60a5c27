import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createConsumerPositionsTable, dropConsumerPositionsTable } from '@jit/messaging';

/** The console's own state: its browser sessions, the activity log, and how far it consumed each stream. */
export class Initial1766000000000 implements MigrationInterface {
  name = 'Initial1766000000000';

  async up(q: QueryRunner): Promise<void> {
    // express-session's store: a session is the directory's token and the person's view of it.
    await q.query(`
      CREATE TABLE "console"."sessions" (
        "sid" text PRIMARY KEY,
        "data" jsonb NOT NULL,
        "expires_at" timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX "sessions_expires_at_idx" ON "console"."sessions" ("expires_at")`);
    await q.query(`
      CREATE TABLE "console"."activity" (
        "id" uuid PRIMARY KEY,
        "organization_id" uuid NOT NULL,
        "kind" text NOT NULL CHECK ("kind" IN ('sign-in', 'refusal', 'admin-change')),
        "occurred_at" timestamptz NOT NULL,
        "user_id" uuid NULL,
        "application_id" text NULL,
        "reason" text NULL,
        "detail" text NULL,
        "actor" jsonb NULL,
        "subject" text NOT NULL,
        "summary" text NOT NULL
      )`);
    // The log's pages (newest first, keyset on (occurred_at, id)), and the same per filter.
    await q.query(`CREATE INDEX "activity_org_time_idx" ON "console"."activity" ("organization_id", "occurred_at" DESC, "id" DESC)`);
    await q.query(
      `CREATE INDEX "activity_org_user_time_idx" ON "console"."activity" ("organization_id", "user_id", "occurred_at" DESC, "id" DESC) WHERE "user_id" IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX "activity_org_app_time_idx" ON "console"."activity" ("organization_id", "application_id", "occurred_at" DESC, "id" DESC) WHERE "application_id" IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX "activity_org_reason_time_idx" ON "console"."activity" ("organization_id", "reason", "occurred_at" DESC, "id" DESC) WHERE "reason" IS NOT NULL`,
    );
    // Retention deletes by age across organisations.
    await q.query(`CREATE INDEX "activity_occurred_at_idx" ON "console"."activity" ("occurred_at")`);
    await createConsumerPositionsTable(q, 'console');
  }

  async down(q: QueryRunner): Promise<void> {
    await dropConsumerPositionsTable(q, 'console');
    await q.query(`DROP TABLE "console"."activity"`);
    await q.query(`DROP TABLE "console"."sessions"`);
  }
}
