import { DirectoryEvents } from '@jit/directory-contracts';
import type { OutboxTransaction } from '@jit/messaging';

/** The account ceiling's window: wrong passwords count towards it for an hour from the first. */
export const ACCOUNT_WINDOW_SECONDS = 60 * 60;

/**
 * Lifts the account's lockout in the caller's transaction: every (account, source) backoff and
 * run of wrong passwords, and the hour's count towards the account's ceiling. What a success
 * left (the addresses the person signed in from, spared the ceiling) stays. Emits userUnlocked
 * when there was something to lift.
 */
export async function clearLockout(
  tx: OutboxTransaction,
  organizationId: string,
  userId: string,
  cause: 'admin' | 'password_reset',
): Promise<void> {
  // Locked first, so a wrong password counted concurrently queues behind the clearing.
  const pairs = await tx.manager.query<{ source: string; in_force: boolean }[]>(
    `SELECT "source", coalesce("locked_until" > now(), false) AS "in_force"
     FROM "directory"."credential_backoffs"
     WHERE "organization_id" = $1 AND "account" = $2 AND ("failures" > 0 OR "locked_until" IS NOT NULL)
     ORDER BY "source" FOR UPDATE`,
    [organizationId, userId],
  );
  // Wrapped in a SELECT because TypeORM answers a bare DELETE or UPDATE with [rows, count].
  await tx.manager.query(
    `WITH "gone" AS (
       DELETE FROM "directory"."credential_backoffs"
       WHERE "organization_id" = $1 AND "account" = $2 AND "last_success_at" IS NULL RETURNING 1),
     "reset" AS (
       UPDATE "directory"."credential_backoffs" SET "failures" = 0, "locked_until" = NULL, "last_failure_at" = NULL
       WHERE "organization_id" = $1 AND "account" = $2 AND "last_success_at" IS NOT NULL RETURNING 1)
     SELECT (SELECT count(*) FROM "gone") + (SELECT count(*) FROM "reset") AS "rows"`,
    [organizationId, userId],
  );
  const [hour] = await tx.manager.query<{ failures: number }[]>(
    `WITH "gone" AS (
       DELETE FROM "directory"."credential_account_limits"
       WHERE "organization_id" = $1 AND "account" = $2 RETURNING "failures", "window_started_at")
     SELECT coalesce(sum("failures") FILTER (WHERE "window_started_at" > now() - make_interval(secs => $3)), 0)::int AS "failures"
     FROM "gone"`,
    [organizationId, userId, ACCOUNT_WINDOW_SECONDS],
  );
  const failures = hour?.failures ?? 0;
  if (pairs.length === 0 && failures === 0) return;
  tx.emit(DirectoryEvents.userUnlocked, {
    organizationId,
    occurredAt: new Date().toISOString(),
    userId,
    cause,
    sourceIps: pairs.filter((p) => p.in_force).map((p) => p.source || null),
    failures,
  });
}
