import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The application options of ApplicationSnapshot that v1 left at their defaults, and the
 * catalog's own copy of the directory's users and memberships (fed by DIRECTORY events), from
 * which JIT readiness and the known custom attribute names are read.
 */
export class ApplicationOptionsAndDirectoryReplica1764800000000 implements MigrationInterface {
  name = 'ApplicationOptionsAndDirectoryReplica1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE "catalog"."applications"
        ADD COLUMN "signature_algorithm" text NOT NULL DEFAULT 'rsa-sha256'
          CHECK ("signature_algorithm" IN ('rsa-sha256', 'rsa-sha512')),
        ADD COLUMN "sp_signing_certificates" jsonb NOT NULL DEFAULT '[]'::jsonb,
        ADD COLUMN "require_signed_requests" boolean NOT NULL DEFAULT false,
        ADD COLUMN "encryption_certificate" text NULL,
        ADD COLUMN "default_relay_state" text NULL,
        ADD COLUMN "idp_initiated_allowed" boolean NOT NULL DEFAULT true,
        ADD COLUMN "single_logout_url" text NULL,
        ADD COLUMN "groups_attribute" jsonb NULL,
        ADD CONSTRAINT "applications_signed_requests_need_certificate"
          CHECK (NOT "require_signed_requests" OR jsonb_array_length("sp_signing_certificates") > 0)`);
    await q.query(`
      CREATE TABLE "catalog"."directory_users" (
        "id" uuid PRIMARY KEY,
        "organization_id" uuid NOT NULL,
        "version" integer NOT NULL,
        "deleted" boolean NOT NULL,
        "profile" jsonb NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX "directory_users_org_idx" ON "catalog"."directory_users" ("organization_id")`);
    await q.query(`
      CREATE TABLE "catalog"."directory_memberships" (
        "group_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "organization_id" uuid NOT NULL,
        "version" integer NOT NULL,
        "active" boolean NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("group_id", "user_id")
      )`);
    await q.query(`CREATE INDEX "directory_memberships_user_idx" ON "catalog"."directory_memberships" ("user_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "catalog"."directory_memberships"`);
    await q.query(`DROP TABLE "catalog"."directory_users"`);
    await q.query(`
      ALTER TABLE "catalog"."applications"
        DROP CONSTRAINT "applications_signed_requests_need_certificate",
        DROP COLUMN "groups_attribute",
        DROP COLUMN "single_logout_url",
        DROP COLUMN "idp_initiated_allowed",
        DROP COLUMN "default_relay_state",
        DROP COLUMN "encryption_certificate",
        DROP COLUMN "require_signed_requests",
        DROP COLUMN "sp_signing_certificates",
        DROP COLUMN "signature_algorithm"`);
  }
}
