import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Whether an application requires a second factor, and which AuthnContextClassRef says one was given; today's behaviour by default. */
export class MfaOptions1766000000000 implements MigrationInterface {
  name = 'MfaOptions1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "catalog"."applications" ADD COLUMN "mfa_required" boolean NOT NULL DEFAULT false`);
    await q.query(
      `ALTER TABLE "catalog"."applications" ADD COLUMN "mfa_authn_context" text NOT NULL DEFAULT 'refeds-mfa'
       CONSTRAINT "applications_mfa_authn_context_check" CHECK ("mfa_authn_context" IN ('refeds-mfa', 'microsoft-multipleauthn'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "catalog"."applications" DROP COLUMN "mfa_authn_context"`);
    await q.query(`ALTER TABLE "catalog"."applications" DROP COLUMN "mfa_required"`);
  }
}
