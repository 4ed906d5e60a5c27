import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The names the activity log writes in place of ids (activity-names.ts): each group's and API
 * key's latest name, from the DIRECTORY events that carry one, kept after the group or key is
 * deleted so that its deletion still reads by name, and only within its organisation's log.
 * `stream_sequence` is where the name was read, so a redelivered older event cannot bring an old
 * name back.
 */
export class ActivityNames1767100000000 implements MigrationInterface {
  name = 'ActivityNames1767100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "console"."activity_names" (
        "organization_id" uuid NOT NULL,
        "kind" text NOT NULL,
        "id" uuid NOT NULL,
        "name" text NOT NULL,
        "stream_sequence" bigint NOT NULL,
        PRIMARY KEY ("organization_id", "kind", "id")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "console"."activity_names"`);
  }
}
