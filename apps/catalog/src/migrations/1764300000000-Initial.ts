import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxTable, dropOutboxTable } from '@jit/messaging';

export class Initial1764300000000 implements MigrationInterface {
  name = 'Initial1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "catalog"."applications" (
        "id" uuid PRIMARY KEY,
        "organization_id" uuid NOT NULL,
        "connector_id" text NOT NULL,
        "name" text NOT NULL,
        "sp_entity_id" text NOT NULL,
        "acs_urls" jsonb NOT NULL,
        "name_id_format" text NOT NULL,
        "name_id_source" text NOT NULL,
        "sign_assertion" boolean NOT NULL,
        "sign_response" boolean NOT NULL,
        "active" boolean NOT NULL DEFAULT true,
        "attributes" jsonb NOT NULL,
        "version" integer NOT NULL DEFAULT 1,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CHECK ("sign_assertion" OR "sign_response")
      )`);
    await q.query(`CREATE INDEX "applications_org_idx" ON "catalog"."applications" ("organization_id")`);
    await q.query(`
      CREATE TABLE "catalog"."application_groups" (
        "application_id" uuid NOT NULL REFERENCES "catalog"."applications" ("id") ON DELETE CASCADE,
        "group_id" uuid NOT NULL,
        "organization_id" uuid NOT NULL,
        "active" boolean NOT NULL,
        "version" integer NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("application_id", "group_id")
      )`);
    await q.query(`CREATE INDEX "application_groups_group_idx" ON "catalog"."application_groups" ("group_id")`);
    await createOutboxTable(q, 'catalog');
  }

  async down(q: QueryRunner): Promise<void> {
    await dropOutboxTable(q, 'catalog');
    await q.query(`DROP TABLE "catalog"."application_groups"`);
    await q.query(`DROP TABLE "catalog"."applications"`);
  }
}
