import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts are keyed by (issuer, NameID): a NameID is only unique within the IdP entity that
 * issued it, so another organisation's IdP sending the same NameID (or the same email) must never
 * reach an account it did not create. Emails are unique, and link-by-email matches, within one
 * issuer. Accounts made before this change keep a null issuer: which IdP vouched for them is not
 * known, so no sign-in finds or adopts them any more, and their users get a new account.
 */
export class AccountIssuer1765300000000 implements MigrationInterface {
  name = 'AccountIssuer1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "demo_sp"."accounts" ADD COLUMN "issuer" text NULL`);
    await q.query(`DROP INDEX "demo_sp"."accounts_name_id_key"`);
    await q.query(`DROP INDEX "demo_sp"."accounts_email_lower_key"`);
    // NULLs never collide in a unique index: accounts without an issuer never match anything.
    await q.query(`CREATE UNIQUE INDEX "accounts_issuer_name_id_key" ON "demo_sp"."accounts" ("issuer", "name_id")`);
    await q.query(
      `CREATE UNIQUE INDEX "accounts_issuer_email_lower_key" ON "demo_sp"."accounts" ("issuer", "email_lower") WHERE "email_lower" IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "demo_sp"."accounts_issuer_email_lower_key"`);
    await q.query(`DROP INDEX "demo_sp"."accounts_issuer_name_id_key"`);
    // Fails when two issuers share a NameID or an email: they cannot be told apart without the column.
    await q.query(`CREATE UNIQUE INDEX "accounts_name_id_key" ON "demo_sp"."accounts" ("name_id")`);
    await q.query(`CREATE UNIQUE INDEX "accounts_email_lower_key" ON "demo_sp"."accounts" ("email_lower") WHERE "email_lower" IS NOT NULL`);
    await q.query(`ALTER TABLE "demo_sp"."accounts" DROP COLUMN "issuer"`);
  }
}
