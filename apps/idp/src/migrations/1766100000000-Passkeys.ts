import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * WebAuthn passkeys as a second factor and for passwordless sign-in: rows of `mfa_factors` of kind
 * 'webauthn', so that counting, removing and resetting factors treat them like TOTP. Such a row
 * holds the credential (its id, COSE public key, signature counter, transports, backup
 * eligibility and state, the authenticator's AAGUID) and a name the person chose; `data` (a TOTP
 * secret) is null. A credential id is unique across the IdP: nobody can register another person's
 * credential id as theirs. `webauthn_challenges_used`: each challenge (HMAC-bound to its session
 * and purpose, see webauthn-challenge.ts) is accepted once, on any instance, until it expires.
 */
export class Passkeys1766100000000 implements MigrationInterface {
  name = 'Passkeys1766100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "idp"."mfa_factors" DROP CONSTRAINT "mfa_factors_kind_check"`);
    await q.query(`ALTER TABLE "idp"."mfa_factors" ALTER COLUMN "data" DROP NOT NULL`);
    await q.query(`
      ALTER TABLE "idp"."mfa_factors"
        ADD COLUMN "name" text NULL,
        ADD COLUMN "credential_id" text NULL,
        ADD COLUMN "public_key" bytea NULL,
        ADD COLUMN "sign_count" bigint NULL,
        ADD COLUMN "transports" text[] NULL,
        ADD COLUMN "backup_eligible" boolean NULL,
        ADD COLUMN "backed_up" boolean NULL,
        ADD COLUMN "aaguid" uuid NULL,
        ADD CONSTRAINT "mfa_factors_kind_check" CHECK (
          ("kind" = 'totp' AND "data" IS NOT NULL)
          OR ("kind" = 'webauthn' AND "credential_id" IS NOT NULL AND "public_key" IS NOT NULL AND "sign_count" IS NOT NULL AND "name" IS NOT NULL)
        )`);
    await q.query(
      `CREATE UNIQUE INDEX "mfa_factors_credential_id" ON "idp"."mfa_factors" ("credential_id") WHERE "credential_id" IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE "idp"."webauthn_challenges_used" (
        "challenge_hash" text PRIMARY KEY,
        "expires_at" timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX "webauthn_challenges_used_expires_at" ON "idp"."webauthn_challenges_used" ("expires_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "idp"."webauthn_challenges_used"`);
    await q.query(`DELETE FROM "idp"."mfa_factors" WHERE "kind" = 'webauthn'`);
    await q.query(`DROP INDEX "idp"."mfa_factors_credential_id"`);
    await q.query(`ALTER TABLE "idp"."mfa_factors" DROP CONSTRAINT "mfa_factors_kind_check"`);
    await q.query(`
      ALTER TABLE "idp"."mfa_factors"
        DROP COLUMN "name", DROP COLUMN "credential_id", DROP COLUMN "public_key", DROP COLUMN "sign_count",
        DROP COLUMN "transports", DROP COLUMN "backup_eligible", DROP COLUMN "backed_up", DROP COLUMN "aaguid"`);
    await q.query(`ALTER TABLE "idp"."mfa_factors" ALTER COLUMN "data" SET NOT NULL`);
    await q.query(`ALTER TABLE "idp"."mfa_factors" ADD CONSTRAINT "mfa_factors_kind_check" CHECK ("kind" IN ('totp'))`);
  }
}
