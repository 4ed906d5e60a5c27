import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Readiness counts filter the copy's users on `profile ->> 'state'`. Without statistics on that
 * expression PostgreSQL guesses 0.5% of the rows match (nearly all do), and plans the join of
 * 100,000 users as if they were 500. Expression statistics (PostgreSQL 14+) give it the truth.
 */
export class DirectoryUserStateStatistics1765650000000 implements MigrationInterface {
  name = 'DirectoryUserStateStatistics1765650000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE STATISTICS "directory_users_state_stats" ON ("profile" ->> 'state') FROM "catalog"."directory_users"`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP STATISTICS "catalog"."directory_users_state_stats"`);
  }
}
