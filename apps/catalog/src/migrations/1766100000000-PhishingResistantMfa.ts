import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Whether an application requires a phishing-resistant factor (a passkey); off, today's behaviour, by default. */
export class PhishingResistantMfa1766100000000 implements MigrationInterface {
  name = 'PhishingResistantMfa1766100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "catalog"."applications" ADD COLUMN "mfa_phishing_resistant" boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "catalog"."applications" DROP COLUMN "mfa_phishing_resistant"`);
  }
}
