import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxTable, dropOutboxTable } from '@jit/messaging';

export class Initial1764300000000 implements MigrationInterface {
  name = 'Initial1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "directory"."organizations" (
        "id" uuid PRIMARY KEY,
        "name" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE "directory"."api_keys" (
        "id" uuid PRIMARY KEY,
        "organization_id" uuid NOT NULL REFERENCES "directory"."organizations" ("id") ON DELETE CASCADE,
        "key_hash" char(64) NOT NULL,
        "bootstrap" boolean NOT NULL DEFAULT false,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "revoked_at" timestamptz NULL
      )`);
    await q.query(`CREATE UNIQUE INDEX "api_keys_hash_key" ON "directory"."api_keys" ("key_hash")`);
    await q.query(`CREATE INDEX "api_keys_org_idx" ON "directory"."api_keys" ("organization_id")`);
    await q.query(`
      CREATE TABLE "directory"."users" (
        "id" uuid PRIMARY KEY,
        "organization_id" uuid NOT NULL REFERENCES "directory"."organizations" ("id") ON DELETE CASCADE,
        "username" text NOT NULL,
        "username_lower" text NOT NULL,
        "email" text NOT NULL,
        "email_lower" text NOT NULL,
        "firstname" text NULL,
        "lastname" text NULL,
        "displayname" text NULL,
        "employee_identifier" text NULL,
        "job_title" text NULL,
        "department" text NULL,
        "cost_center" text NULL,
        "company" text NULL,
        "employee_type" text NULL,
        "location" text NULL,
        "phone_number" text NULL,
        "manager" text NULL,
        "state" text NOT NULL DEFAULT 'ACTIVATED' CHECK ("state" IN ('STAGED', 'ACTIVATED', 'SUSPENDED')),
        "custom_attributes" jsonb NOT NULL DEFAULT '{}'::jsonb,
        "password_hash" text NULL,
        "version" integer NOT NULL DEFAULT 1,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX "users_org_email_key" ON "directory"."users" ("organization_id", "email_lower")`);
    await q.query(`CREATE UNIQUE INDEX "users_org_username_key" ON "directory"."users" ("organization_id", "username_lower")`);
    await q.query(`
      CREATE TABLE "directory"."user_groups" (
        "id" uuid PRIMARY KEY,
        "organization_id" uuid NOT NULL REFERENCES "directory"."organizations" ("id") ON DELETE CASCADE,
        "name" text NOT NULL,
        "name_lower" text NOT NULL,
        "version" integer NOT NULL DEFAULT 1,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX "user_groups_org_name_key" ON "directory"."user_groups" ("organization_id", "name_lower")`);
    await q.query(`
      CREATE TABLE "directory"."memberships" (
        "group_id" uuid NOT NULL REFERENCES "directory"."user_groups" ("id") ON DELETE CASCADE,
        "user_id" uuid NOT NULL REFERENCES "directory"."users" ("id") ON DELETE CASCADE,
        "organization_id" uuid NOT NULL,
        "active" boolean NOT NULL,
        "version" integer NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("group_id", "user_id")
      )`);
    await q.query(`CREATE INDEX "memberships_user_idx" ON "directory"."memberships" ("user_id")`);
    await createOutboxTable(q, 'directory');
  }

  async down(q: QueryRunner): Promise<void> {
    await dropOutboxTable(q, 'directory');
    await q.query(`DROP TABLE "directory"."memberships"`);
    await q.query(`DROP TABLE "directory"."user_groups"`);
    await q.query(`DROP TABLE "directory"."users"`);
    await q.query(`DROP TABLE "directory"."api_keys"`);
    await q.query(`DROP TABLE "directory"."organizations"`);
  }
}
