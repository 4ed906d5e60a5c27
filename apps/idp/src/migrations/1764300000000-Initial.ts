import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1764300000000 implements MigrationInterface {
  name = 'Initial1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "idp"."rm_users" (
        "id" uuid PRIMARY KEY,
        "organization_id" uuid NOT NULL,
        "version" integer NOT NULL,
        "deleted" boolean NOT NULL,
        "profile" jsonb NULL
      )`);
    await q.query(`
      CREATE TABLE "idp"."rm_groups" (
        "id" uuid PRIMARY KEY,
        "organization_id" uuid NOT NULL,
        "version" integer NOT NULL,
        "deleted" boolean NOT NULL
      )`);
    await q.query(`
      CREATE TABLE "idp"."rm_memberships" (
        "group_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "organization_id" uuid NOT NULL,
        "version" integer NOT NULL,
        "active" boolean NOT NULL,
        PRIMARY KEY ("group_id", "user_id")
      )`);
    await q.query(`CREATE INDEX "rm_memberships_user_idx" ON "idp"."rm_memberships" ("user_id")`);
    await q.query(`
      CREATE TABLE "idp"."rm_applications" (
        "id" uuid PRIMARY KEY,
        "organization_id" uuid NOT NULL,
        "version" integer NOT NULL,
        "deleted" boolean NOT NULL,
        "snapshot" jsonb NULL
      )`);
    await q.query(`
      CREATE TABLE "idp"."rm_bindings" (
        "application_id" uuid NOT NULL,
        "group_id" uuid NOT NULL,
        "organization_id" uuid NOT NULL,
        "version" integer NOT NULL,
        "active" boolean NOT NULL,
        PRIMARY KEY ("application_id", "group_id")
      )`);
    await q.query(`CREATE INDEX "rm_bindings_group_idx" ON "idp"."rm_bindings" ("group_id")`);
    await q.query(`
      CREATE TABLE "idp"."signing_keys" (
        "id" uuid PRIMARY KEY,
        "organization_id" uuid NOT NULL,
        "certificate_pem" text NOT NULL,
        "private_key_encrypted" text NOT NULL,
        "active" boolean NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX "signing_keys_active_org_key" ON "idp"."signing_keys" ("organization_id") WHERE "active"`);
    await q.query(`
      CREATE TABLE "idp"."seen_requests" (
        "issuer" text NOT NULL,
        "request_id" text NOT NULL,
        "expires_at" timestamptz NOT NULL,
        PRIMARY KEY ("issuer", "request_id")
      )`);
    await q.query(`CREATE INDEX "seen_requests_expires_idx" ON "idp"."seen_requests" ("expires_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['seen_requests', 'signing_keys', 'rm_bindings', 'rm_applications', 'rm_memberships', 'rm_groups', 'rm_users']) {
      await q.query(`DROP TABLE "idp"."${table}"`);
    }
  }
}
