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

/** Unlocked rows of unknown login names whose window has ended are swept this often. */
const LOGIN_SWEEP_MS = 60_000;

/**
 * Where a run of wrong passwords is counted: per account, or, for a login name that matches no
 * account, per organisation and lower-cased name. Both tables have the same columns and rules.
 */
interface FailureCounter {
  /** The account counted, or null for an unknown login name (whose lock is not an event). */
  userId: string | null;
  table: string;
  keyColumns: readonly string[];
  key: readonly string[];
}

function counterFor(organizationId: string, userId: string | null, login: string): FailureCounter {
  return userId !== null
    ? { userId, table: '"directory"."credential_lockouts"', keyColumns: ['"user_id"'], key: [userId] }
    : {
        userId,
        table: '"directory"."credential_login_lockouts"',
        keyColumns: ['"organization_id"', '"login"'],
        key: [organizationId, login.toLowerCase()],
      };
}

/** The counter's key values as placeholders `$from, $from+1, ...`. */
function keyPlaceholders(counter: FailureCounter, from: number): string[] {
  return counter.key.map((_, i) => `$${from + i}`);
}

/** `"a" = $from AND "b" = $from+1`: the counter's row. */
function keyMatch(counter: FailureCounter, from: number): string {
  const placeholders = keyPlaceholders(counter, from);
  return counter.keyColumns.map((column, i) => `${column} = ${placeholders[i]}`).join(' AND ');
}

type VerifyRequest = RequestOf<typeof DirectoryRpc.verifyCredentials>;
type VerifyAnswer = ResponseOf<typeof DirectoryRpc.verifyCredentials>;

/**
 * The password check behind the IdP's login form, with two brakes: an account locks after
 * consecutive wrong passwords, and a source address may only fail so often per minute. Both
 * count in PostgreSQL, so every directory instance sees the same numbers, and every rejection
 * goes to the audit trail (credentialsRejected, through the outbox). A login name that matches no
 * account is counted and locked like an account, with the same statements: an unknown user and a
 * wrong password answer alike and cost alike.
 */
@Injectable()
export class CredentialsService {
  /**
   * rate-limiter-flexible, on the service's own pool. Each check takes a point before any hash
   * is verified (atomic, so a concurrent flood cannot overshoot) and a success gives it back:
   * what stays counts the rejections of the current minute.
   */
  private readonly sources: RateLimiterPostgres;
  private lastLoginSweep = 0;

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
    const result = await this.users.verifyCredentials(organizationId, username, request.password, (userId) =>
      this.admit(sourceIp, counterFor(organizationId, userId, username)),
    );
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
      if (reason === 'invalid_credentials') await this.countFailure(tx, organizationId, counterFor(organizationId, userId, username));
    });
    if (userId === null) this.sweepLoginsNowAndThen();
    return { ok: false, reason };
  }

  /** Asked before any hash is read: a throttled source or a locked account gets no real check. */
  private async admit(sourceIp: string | null, counter: FailureCounter): Promise<'throttled' | 'locked_out' | null> {
    // A check without a source (the IdP always sends one) is limited per account only.
    if (sourceIp !== null && !(await this.takeSourcePoint(sourceIp))) return 'throttled';
    if (await this.isLocked(counter)) return 'locked_out';
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

  private async isLocked(counter: FailureCounter): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `SELECT 1 FROM ${counter.table} WHERE ${keyMatch(counter, 1)} AND "locked_until" > now()`,
      [...counter.key],
    );
    return rows.length > 0;
  }

  /**
   * Counts a wrong password in the rejection's transaction. The upsert holds the user's row, so
   * concurrent failures queue and exactly one reaches the threshold: one lock, one event. A
   * failure that lands while a lock holds (its check began just before) is not counted, and the
   * lock starts a fresh count, so after it ends it takes a full run of failures to lock again.
   * An unknown login name locks the same way; only an account's lock is an event (userLockedOut).
   */
  private async countFailure(tx: OutboxTransaction, organizationId: string, counter: FailureCounter): Promise<void> {
    // $1 is the number of seconds, the key follows.
    const columns = counter.keyColumns.join(', ');
    const [count] = await tx.manager.query<{ failures: number; locked: boolean }[]>(
      `INSERT INTO ${counter.table} AS l (${columns}, "failures", "window_started_at")
       VALUES (${keyPlaceholders(counter, 2).join(', ')}, 1, now())
       ON CONFLICT (${columns}) DO UPDATE SET
         "failures" = CASE
           WHEN l."locked_until" > now() THEN l."failures"
           WHEN l."window_started_at" > now() - make_interval(secs => $1) THEN l."failures" + 1
           ELSE 1 END,
         "window_started_at" = CASE
           WHEN l."window_started_at" > now() - make_interval(secs => $1) THEN l."window_started_at"
           ELSE now() END
       RETURNING "failures", coalesce("locked_until" > now(), false) AS "locked"`,
      [FAILURE_WINDOW_SECONDS, ...counter.key],
    );
    if (count.locked || count.failures < this.policy.lockoutThreshold) return;
    // Wrapped in a SELECT because TypeORM answers a bare UPDATE with [rows, count].
    const [lock] = await tx.manager.query<{ locked_until: Date }[]>(
      `WITH "lock" AS (
         UPDATE ${counter.table}
         SET "locked_until" = now() + make_interval(secs => $1), "failures" = 0, "window_started_at" = now()
         WHERE ${keyMatch(counter, 2)}
         RETURNING "locked_until")
       SELECT "locked_until" FROM "lock"`,
      [this.policy.lockoutSeconds, ...counter.key],
    );
    const { userId } = counter;
    if (userId === null) return;
    tx.emit(DirectoryEvents.userLockedOut, {
      organizationId,
      occurredAt: new Date().toISOString(),
      userId,
      lockedUntil: lock.locked_until.toISOString(),
      failures: count.failures,
    });
  }

  /**
   * Unknown login names leave a row each; those neither locked nor inside their window hold
   * nothing a check would read, and go now and then (off the check's path).
   */
  private sweepLoginsNowAndThen(): void {
    if (Date.now() - this.lastLoginSweep < LOGIN_SWEEP_MS) return;
    this.lastLoginSweep = Date.now();
    void this.dataSource
      .query(
        `DELETE FROM "directory"."credential_login_lockouts"
         WHERE ("locked_until" IS NULL OR "locked_until" <= now()) AND "window_started_at" <= now() - make_interval(secs => $1)`,
        [FAILURE_WINDOW_SECONDS],
      )
      .catch(() => undefined);
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
