import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Whether IdP-initiated sign-in may take its caller's RelayState; off for every application until it opts in. */
export class IdpInitiatedRelayStateFromCaller1765200000000 implements MigrationInterface {
  name = 'IdpInitiatedRelayStateFromCaller1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "catalog"."applications" ADD COLUMN "idp_initiated_relay_state_from_caller" boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "catalog"."applications" DROP COLUMN "idp_initiated_relay_state_from_caller"`);
  }
}
