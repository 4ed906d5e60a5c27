import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Multi-factor sign-in. `mfa_factors`: each person's second factors, one row per factor with its
 * kind (today 'totp'; passkeys will be 'webauthn' rows with their credential in `data`). A TOTP
 * secret is encrypted at rest with IDP_KEY_ENCRYPTION_KEY, like signing keys; `last_step` is the
 * time step of the last code accepted, so no code is accepted twice. A factor is unconfirmed
 * until the person has typed a code from it. `mfa_recovery_codes`: SHA-256 only, single use.
 * `mfa_policies`: an organisation's policy (no row: off).
 */
export class Mfa1766000000000 implements MigrationInterface {
  name = 'Mfa1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "idp"."mfa_factors" (
        "id" uuid PRIMARY KEY,
        "organization_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "kind" text NOT NULL CONSTRAINT "mfa_factors_kind_check" CHECK ("kind" IN ('totp')),
        "data" text NOT NULL,
        "confirmed" boolean NOT NULL DEFAULT false,
        "last_step" bigint NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "last_used_at" timestamptz NULL
      )`);
    await q.query(`CREATE INDEX "mfa_factors_user" ON "idp"."mfa_factors" ("organization_id", "user_id")`);
    await q.query(`
      CREATE TABLE "idp"."mfa_recovery_codes" (
        "organization_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "code_hash" text NOT NULL,
        "used_at" timestamptz NULL,
        PRIMARY KEY ("organization_id", "user_id", "code_hash")
      )`);
    await q.query(`
      CREATE TABLE "idp"."mfa_policies" (
        "organization_id" uuid PRIMARY KEY,
        "policy" text NOT NULL CONSTRAINT "mfa_policies_policy_check" CHECK ("policy" IN ('off', 'optional', 'required')),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "idp"."mfa_policies"`);
    await q.query(`DROP TABLE "idp"."mfa_recovery_codes"`);
    await q.query(`DROP TABLE "idp"."mfa_factors"`);
  }
}
