import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import { DirectoryEvents, type DirectoryRpc } from '@jit/directory-contracts';
import { Outbox, type OutboxTransaction, type RequestOf, type ResponseOf } from '@jit/messaging';
import type { DirectoryConfig } from '../config';
import { UsersService } from '../users/users.service';

export const CREDENTIALS_POLICY = Symbol('CREDENTIALS_POLICY');

export interface CredentialsPolicy {
  lockoutThreshold: number;
  lockoutSeconds: number;
  sourceLimitPerMinute: number;
}

export const credentialsPolicy = (config: DirectoryConfig): CredentialsPolicy => ({
  lockoutThreshold: config.DIRECTORY_LOCKOUT_THRESHOLD,
  lockoutSeconds: config.DIRECTORY_LOCKOUT_SECONDS,
  sourceLimitPerMinute: config.DIRECTORY_SOURCE_LIMIT_PER_MINUTE,
});

/** Wrong passwords further apart than this do not add up to a lockout. */
const FAILURE_WINDOW_SECONDS = 15 * 60;

type VerifyRequest = RequestOf<typeof DirectoryRpc.verifyCredentials>;
type VerifyAnswer = ResponseOf<typeof DirectoryRpc.verifyCredentials>;

/**
 * The password check behind the IdP's login form, with two brakes: an account locks after
 * consecutive wrong passwords, and a source address may only fail so often per minute. Both
 * count in PostgreSQL, so every directory instance sees the same numbers, and every rejection
 * goes to the audit trail (credentialsRejected, through the outbox).
 */
@Injectable()
export class CredentialsService {
  /**
   * rate-limiter-flexible, on the service's own pool. Each check takes a point before any hash
   * is verified (atomic, so a concurrent flood cannot overshoot) and a success gives it back:
   * what stays counts the rejections of the current minute.
   */
  private readonly sources: RateLimiterPostgres;

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly users: UsersService,
    @Inject(CREDENTIALS_POLICY) private readonly policy: CredentialsPolicy,
  ) {
    this.sources = new RateLimiterPostgres({
      storeClient: dataSource,
      storeType: 'typeorm',
      schemaName: 'directory',
      tableName: 'credential_source_limits',
      tableCreated: true, // by the migration
      keyPrefix: 'source',
      points: policy.sourceLimitPerMinute,
      duration: 60,
    });
  }

  async verify(request: VerifyRequest): Promise<VerifyAnswer> {
    const { organizationId, username } = request;
    const sourceIp = request.sourceIp ?? null;
    const result = await this.users.verifyCredentials(organizationId, username, request.password, (userId) => this.admit(sourceIp, userId));
    if (result.outcome === 'ok') {
      await this.succeeded(result.userId, sourceIp);
      return { ok: true, userId: result.userId };
    }
    const { outcome: reason, userId } = result;
    await this.outbox.run(async (tx) => {
      tx.emit(DirectoryEvents.credentialsRejected, {
        organizationId,
        occurredAt: new Date().toISOString(),
        userId,
        username,
        sourceIp,
        reason,
      });
      if (reason === 'invalid_credentials' && userId !== null) await this.countFailure(tx, organizationId, userId);
    });
    return { ok: false, reason };
  }

  /** Asked before any hash is read: a throttled source or a locked account gets no real check. */
  private async admit(sourceIp: string | null, userId: string | null): Promise<'throttled' | 'locked_out' | null> {
    // A check without a source (the IdP always sends one) is limited per account only.
    if (sourceIp !== null && !(await this.takeSourcePoint(sourceIp))) return 'throttled';
    if (userId !== null && (await this.isLocked(userId))) return 'locked_out';
    return null;
  }

  private async takeSourcePoint(sourceIp: string): Promise<boolean> {
    try {
      await this.sources.consume(sourceIp);
      return true;
    } catch (rejection) {
      // The limiter rejects with its result when the points are used up, with an Error when
      // PostgreSQL failed: that one propagates, so the check fails closed.
      if (rejection instanceof RateLimiterRes) return false;
      throw rejection;
    }
  }

  private async isLocked(userId: string): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `SELECT 1 FROM "directory"."credential_lockouts" WHERE "user_id" = $1 AND "locked_until" > now()`,
      [userId],
    );
    return rows.length > 0;
  }

  /**
   * Counts a wrong password in the rejection's transaction. The upsert holds the user's row, so
   * concurrent failures queue and exactly one reaches the threshold: one lock, one event. A
   * failure that lands while a lock holds (its check began just before) is not counted, and the
   * lock starts a fresh count, so after it ends it takes a full run of failures to lock again.
   */
  private async countFailure(tx: OutboxTransaction, organizationId: string, userId: string): Promise<void> {
    const [count] = await tx.manager.query<{ failures: number; locked: boolean }[]>(
      `INSERT INTO "directory"."credential_lockouts" AS l ("user_id", "failures", "window_started_at")
       VALUES ($1, 1, now())
       ON CONFLICT ("user_id") DO UPDATE SET
         "failures" = CASE
           WHEN l."locked_until" > now() THEN l."failures"
           WHEN l."window_started_at" > now() - make_interval(secs => $2) THEN l."failures" + 1
           ELSE 1 END,
         "window_started_at" = CASE
           WHEN l."window_started_at" > now() - make_interval(secs => $2) THEN l."window_started_at"
           ELSE now() END
       RETURNING "failures", coalesce("locked_until" > now(), false) AS "locked"`,
      [userId, FAILURE_WINDOW_SECONDS],
    );
    if (count.locked || count.failures < this.policy.lockoutThreshold) return;
    // Wrapped in a SELECT because TypeORM answers a bare UPDATE with [rows, count].
    const [lock] = await tx.manager.query<{ locked_until: Date }[]>(
      `WITH "lock" AS (
         UPDATE "directory"."credential_lockouts"
         SET "locked_until" = now() + make_interval(secs => $2), "failures" = 0, "window_started_at" = now()
         WHERE "user_id" = $1
         RETURNING "locked_until")
       SELECT "locked_until" FROM "lock"`,
      [userId, this.policy.lockoutSeconds],
    );
    tx.emit(DirectoryEvents.userLockedOut, {
      organizationId,
      occurredAt: new Date().toISOString(),
      userId,
      lockedUntil: lock.locked_until.toISOString(),
      failures: count.failures,
    });
  }

  /** A success ends the run of failures and gives the source its point back. */
  private async succeeded(userId: string, sourceIp: string | null): Promise<void> {
    // A lock set while this check was running stays: it refuses the checks that come after it.
    await this.dataSource.query(
      `DELETE FROM "directory"."credential_lockouts"
       WHERE "user_id" = $1 AND ("locked_until" IS NULL OR "locked_until" <= now())`,
      [userId],
    );
    if (sourceIp !== null) await this.sources.reward(sourceIp);
  }
}
