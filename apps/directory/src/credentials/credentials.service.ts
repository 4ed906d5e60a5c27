import { Inject, Injectable, Logger } from '@nestjs/common';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import { DirectoryEvents, type DirectoryRpc } from '@jit/directory-contracts';
import { Outbox, type OutboxTransaction, type RequestOf, type ResponseOf } from '@jit/messaging';
import type { DirectoryConfig } from '../config';
import { PasswordHasher, type Candidate } from '../users/password-check';
import { NewPassword } from '../users/users.dto';
import { UsersService, asStorableText } from '../users/users.service';
import { ACCOUNT_WINDOW_SECONDS } from './clear-lockout';

export const CREDENTIALS_POLICY = Symbol('CREDENTIALS_POLICY');

export interface CredentialsPolicy {
  /** Wrong passwords in a row for one (account, source) before that pair backs off. */
  lockoutThreshold: number;
  /** The first backoff; it doubles with each further wrong password from the pair. */
  lockoutSeconds: number;
  lockoutMaxSeconds: number;
  /** Wrong passwords per hour for one account across every source. */
  accountLimitPerHour: number;
  sourceLimitPerMinute: number;
}

export const credentialsPolicy = (config: DirectoryConfig): CredentialsPolicy => ({
  lockoutThreshold: config.DIRECTORY_LOCKOUT_THRESHOLD,
  lockoutSeconds: config.DIRECTORY_LOCKOUT_SECONDS,
  lockoutMaxSeconds: config.DIRECTORY_LOCKOUT_MAX_SECONDS,
  accountLimitPerHour: config.DIRECTORY_LOCKOUT_ACCOUNT_LIMIT_PER_HOUR,
  sourceLimitPerMinute: config.DIRECTORY_SOURCE_LIMIT_PER_MINUTE,
});

/** A pair's run of failures is forgotten after this long without one (counted from its backoff's end). */
const FAILURE_MEMORY_SECONDS = 15 * 60;

/** An address the account signed in from this recently is spared the account's ceiling. */
const KNOWN_SOURCE_SECONDS = 30 * 24 * 60 * 60;

/** Rows that no longer hold anything a check would read are swept this often. */
const SWEEP_MS = 60_000;

type VerifyRequest = RequestOf<typeof DirectoryRpc.verifyCredentials>;
type VerifyAnswer = ResponseOf<typeof DirectoryRpc.verifyCredentials>;
type ChangeRequest = RequestOf<typeof DirectoryRpc.changePassword>;
type ChangeAnswer = ResponseOf<typeof DirectoryRpc.changePassword>;

/**
 * Who the failures count against: the account, or for a login name that matches no account the
 * lower-cased name, so that such a name backs off exactly as an account does.
 */
interface Subject {
  organizationId: string;
  /** The user id, or `login:<lower-cased name>`. */
  account: string;
  userId: string | null;
  /** The source address, '' when the check names none (the IdP always sends one). */
  source: string;
}

/**
 * The password check behind the IdP's login form, with three brakes, all counted in PostgreSQL
 * so that every directory instance sees the same numbers:
 * - per (account, source address): `lockoutThreshold` wrong passwords in a row make that pair
 *   back off for `lockoutSeconds`, doubling with each further one up to `lockoutMaxSeconds`. A
 *   stranger elsewhere only ever slows down their own address, never the account owner's;
 * - per account: `accountLimitPerHour` wrong passwords from all sources together refuse the
 *   account's checks until the hour is over, so that an attack from many addresses slows down too;
 *   an address the account signed in from within 30 days is spared, so the owner keeps theirs;
 * - per source: `sourceLimitPerMinute` rejections a minute, across all accounts.
 *
 * A refused check (throttled or locked out) is decided by reads alone: it verifies no hash and
 * writes nothing, so a flood of them costs the service little and cannot crowd out other
 * people's sign-ins. What starts a backoff is logged and is an event (userLockedOut) once; each
 * check that was let through and failed is audited (credentialsRejected).
 */
@Injectable()
export class CredentialsService {
  private readonly logger = new Logger(CredentialsService.name);
  /**
   * rate-limiter-flexible, on the service's own pool. A check let through takes a point before its
   * hash is verified (atomic, so a concurrent flood cannot overshoot by more than the checks
   * already on their way) and a success gives it back: what stays counts the minute's rejections.
   */
  private readonly sources: RateLimiterPostgres;
  private lastSweep = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly users: UsersService,
    private readonly passwords: PasswordHasher,
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
    const candidate = await this.users.findForSignIn(request.organizationId, request.username);
    return this.check(request.organizationId, candidate, request.username, request.sourceIp, request.password);
  }

  /**
   * A change of password from the IdP's account page. The new password meets the same rule as over
   * HTTP; the current one is checked as a sign-in is, under the same brakes and audit, so the page
   * is no way around them to guess it.
   */
  async changePassword(request: ChangeRequest): Promise<ChangeAnswer> {
    const rule = NewPassword.safeParse(request.newPassword);
    if (!rule.success) {
      return {
        ok: false,
        reason: 'weak_password',
        message: `The new password must have ${rule.error.issues[0]?.message ?? 'a valid form'}.`,
      };
    }
    const user = await this.users.findForPasswordChange(request.organizationId, request.userId);
    // No account (deleted since the sign-in): answered as a wrong password, checked at the same cost.
    const checked = await this.check(
      request.organizationId,
      user,
      user?.username ?? request.userId,
      request.sourceIp,
      request.currentPassword,
    );
    if (!checked.ok)
      return { ok: false, reason: checked.reason, ...(checked.retryAfter === undefined ? {} : { retryAfter: checked.retryAfter }) };
    if (!user?.passwordHash) return { ok: false, reason: 'invalid_credentials' };
    const replaced = await this.users.replacePassword(request.organizationId, request.userId, user.passwordHash, request.newPassword);
    return replaced ? { ok: true } : { ok: false, reason: 'invalid_credentials' };
  }

  /** One password check of `candidate` (null: no account matches `login`), with the brakes and audit. */
  private async check(
    organizationId: string,
    candidate: Candidate | null,
    login: string,
    requestSourceIp: string | undefined,
    password: string,
  ): Promise<VerifyAnswer> {
    // What is stored of the login name and the address (audit event, counter keys): a NUL or a lone
    // surrogate, which names nobody, becomes U+FFFD instead of failing the write.
    const username = asStorableText(login);
    const sourceIp = requestSourceIp === undefined ? null : asStorableText(requestSourceIp);
    const subject: Subject = {
      organizationId,
      account: candidate?.id ?? `login:${username.toLowerCase()}`,
      userId: candidate?.id ?? null,
      source: sourceIp ?? '',
    };
    const refused = await this.refusal(subject);
    if (refused !== null) return { ok: false, reason: refused.reason, retryAfter: refused.retryAfter.toISOString() };
    // A check without a source (the IdP always sends one) is limited per account only.
    const throttledUntil = sourceIp === null ? null : await this.takeSourcePoint(sourceIp);
    if (throttledUntil !== null) return { ok: false, reason: 'throttled', retryAfter: throttledUntil.toISOString() };

    const result = await this.passwords.check(candidate, password);
    if (result.outcome === 'ok') {
      await this.succeeded(subject, sourceIp);
      return { ok: true, userId: result.userId };
    }
    const reason = result.outcome;
    const started = await this.outbox.run(async (tx) => {
      tx.emit(DirectoryEvents.credentialsRejected, {
        organizationId,
        occurredAt: new Date().toISOString(),
        userId: subject.userId,
        username,
        sourceIp,
        reason,
      });
      return reason === 'invalid_credentials' ? this.countFailure(tx, subject) : [];
    });
    for (const lock of started) this.logLock(subject, lock);
    this.sweepNowAndThen();
    // The state is told only to whoever gave the right password (checkPassword answers it only then).
    return result.outcome === 'not_active' ? { ok: false, reason: 'not_active', state: result.state } : { ok: false, reason };
  }

  /**
   * Reads only: is the source throttled, or the pair or the account locked, and until when? The
   * time is the later of the pair's backoff and the account's ceiling (when it applies here): the
   * first moment a check from this source would run again.
   */
  private async refusal(subject: Subject): Promise<{ reason: 'throttled' | 'locked_out'; retryAfter: Date } | null> {
    if (subject.source !== '') {
      const used = await this.sources.get(subject.source);
      if (used !== null && used.consumedPoints >= this.policy.sourceLimitPerMinute) {
        return { reason: 'throttled', retryAfter: new Date(Date.now() + used.msBeforeNext) };
      }
    }
    // greatest() ignores NULLs: NULL only when neither holds.
    const [row] = await this.dataSource.query<{ retry_after: Date | null }[]>(
      `SELECT greatest(
         (SELECT "locked_until" FROM "directory"."credential_backoffs"
          WHERE "organization_id" = $1 AND "account" = $2 AND "source" = $3 AND "locked_until" > now()),
         (SELECT "window_started_at" + make_interval(secs => $5) FROM "directory"."credential_account_limits"
          WHERE "organization_id" = $1 AND "account" = $2 AND "failures" >= $4
            AND "window_started_at" > now() - make_interval(secs => $5)
            AND NOT EXISTS (
              SELECT 1 FROM "directory"."credential_backoffs"
              WHERE "organization_id" = $1 AND "account" = $2 AND "source" = $3 AND "source" <> ''
                AND "last_success_at" > now() - make_interval(secs => $6)))) AS "retry_after"`,
      [
        subject.organizationId,
        subject.account,
        subject.source,
        this.policy.accountLimitPerHour,
        ACCOUNT_WINDOW_SECONDS,
        KNOWN_SOURCE_SECONDS,
      ],
    );
    return row?.retry_after ? { reason: 'locked_out', retryAfter: row.retry_after } : null;
  }

  /** Takes the source's point for a check: null when taken, else when the source may try again. */
  private async takeSourcePoint(sourceIp: string): Promise<Date | null> {
    try {
      await this.sources.consume(sourceIp);
      return null;
    } catch (rejection) {
      // The limiter rejects with its result when the points are used up (checks that passed the
      // read together), with an Error when PostgreSQL failed: that one propagates, failing closed.
      if (rejection instanceof RateLimiterRes) return new Date(Date.now() + rejection.msBeforeNext);
      throw rejection;
    }
  }

  /**
   * Counts a wrong password in the rejection's transaction, for the pair and for the account. The
   * upserts hold the rows, so concurrent failures queue and exactly one starts each lock. A
   * failure that lands while the pair's backoff holds (its check began just before) is not counted.
   * Answers the locks this failure started.
   */
  private async countFailure(tx: OutboxTransaction, subject: Subject): Promise<Lock[]> {
    const { organizationId, account, source, userId } = subject;
    const started: Lock[] = [];
    const [pair] = await tx.manager.query<{ failures: number; locked: boolean }[]>(
      `INSERT INTO "directory"."credential_backoffs" AS b
         ("organization_id", "account", "source", "failures", "last_failure_at")
       VALUES ($2, $3, $4, 1, now())
       ON CONFLICT ("organization_id", "account", "source") DO UPDATE SET
         "failures" = CASE
           WHEN b."locked_until" > now() THEN b."failures"
           WHEN greatest(b."locked_until", b."last_failure_at") > now() - make_interval(secs => $1) THEN b."failures" + 1
           ELSE 1 END,
         "locked_until" = CASE
           WHEN greatest(b."locked_until", b."last_failure_at") > now() - make_interval(secs => $1) THEN b."locked_until"
           END,
         "last_failure_at" = now()
       RETURNING "failures", coalesce("locked_until" > now(), false) AS "locked"`,
      [FAILURE_MEMORY_SECONDS, organizationId, account, source],
    );
    if (pair && !pair.locked && pair.failures >= this.policy.lockoutThreshold) {
      // Doubling from the first backoff: the threshold's failure waits lockoutSeconds, the next one twice that.
      const seconds = Math.min(
        this.policy.lockoutMaxSeconds,
        this.policy.lockoutSeconds * 2 ** (pair.failures - this.policy.lockoutThreshold),
      );
      // Wrapped in a SELECT because TypeORM answers a bare UPDATE with [rows, count].
      const [lock] = await tx.manager.query<{ locked_until: Date }[]>(
        `WITH "lock" AS (
           UPDATE "directory"."credential_backoffs" SET "locked_until" = now() + make_interval(secs => $1)
           WHERE "organization_id" = $2 AND "account" = $3 AND "source" = $4
           RETURNING "locked_until")
         SELECT "locked_until" FROM "lock"`,
        [seconds, organizationId, account, source],
      );
      if (lock) started.push({ scope: 'source', until: lock.locked_until, failures: pair.failures });
    }
    const [total] = await tx.manager.query<{ failures: number; until: Date }[]>(
      `INSERT INTO "directory"."credential_account_limits" AS a ("organization_id", "account", "failures", "window_started_at")
       VALUES ($2, $3, 1, now())
       ON CONFLICT ("organization_id", "account") DO UPDATE SET
         "failures" = CASE WHEN a."window_started_at" > now() - make_interval(secs => $1) THEN a."failures" + 1 ELSE 1 END,
         "window_started_at" = CASE WHEN a."window_started_at" > now() - make_interval(secs => $1) THEN a."window_started_at" ELSE now() END
       RETURNING "failures", "window_started_at" + make_interval(secs => $1) AS "until"`,
      [ACCOUNT_WINDOW_SECONDS, organizationId, account],
    );
    // Exactly the failure that reaches the ceiling starts it; later ones were let through before it.
    if (total && total.failures === this.policy.accountLimitPerHour) {
      started.push({ scope: 'account', until: total.until, failures: total.failures });
    }
    // A login name that matches no account locks the same way, but only an account's lock is an event.
    if (userId !== null) {
      for (const lock of started) {
        tx.emit(DirectoryEvents.userLockedOut, {
          organizationId,
          occurredAt: new Date().toISOString(),
          userId,
          lockedUntil: lock.until.toISOString(),
          failures: lock.failures,
          scope: lock.scope,
          sourceIp: lock.scope === 'source' ? source || null : null,
        });
      }
    }
    return started;
  }

  /** One line for operators per backoff or ceiling that starts; never a password, nor an unknown login name. */
  private logLock(subject: Subject, lock: Lock): void {
    const who = subject.userId !== null ? `account ${subject.userId}` : 'a login name that matches no account';
    const source = subject.source === '' ? 'checks without a source address' : `source ${subject.source}`;
    this.logger.log(
      lock.scope === 'source'
        ? `Password checks for ${who} from ${source} back off until ${lock.until.toISOString()} after ${lock.failures} wrong passwords in a row (organisation ${subject.organizationId})`
        : `Password checks for ${who} are refused from every source until ${lock.until.toISOString()}: ${lock.failures} wrong passwords within the hour, the last from ${source} (organisation ${subject.organizationId})`,
    );
  }

  /** Rows that hold nothing a check would read any more go now and then (off the check's path). */
  private sweepNowAndThen(): void {
    if (Date.now() - this.lastSweep < SWEEP_MS) return;
    this.lastSweep = Date.now();
    void this.dataSource
      .query(
        `DELETE FROM "directory"."credential_backoffs"
         WHERE coalesce(greatest("locked_until", "last_failure_at") <= now() - make_interval(secs => $1), true)
           AND coalesce("last_success_at" <= now() - make_interval(secs => $2), true)`,
        [FAILURE_MEMORY_SECONDS, KNOWN_SOURCE_SECONDS],
      )
      .then(() =>
        this.dataSource.query(
          `DELETE FROM "directory"."credential_account_limits" WHERE "window_started_at" <= now() - make_interval(secs => $1)`,
          [ACCOUNT_WINDOW_SECONDS],
        ),
      )
      .catch(() => undefined);
  }

  /**
   * A success ends the pair's run of failures, marks the address as one the account signs in from
   * (spared the account's ceiling) and gives the source its point back. Only this pair's: the
   * account's other sources and its hourly count stay, or a stolen password would wipe the traces
   * of the guessing that found it.
   */
  private async succeeded(subject: Subject, sourceIp: string | null): Promise<void> {
    // A backoff set while this check was running stays: it refuses the checks that come after it.
    await this.dataSource.query(
      `INSERT INTO "directory"."credential_backoffs" AS b ("organization_id", "account", "source", "failures", "last_success_at")
       VALUES ($1, $2, $3, 0, now())
       ON CONFLICT ("organization_id", "account", "source") DO UPDATE SET
         "failures" = CASE WHEN b."locked_until" > now() THEN b."failures" ELSE 0 END,
         "locked_until" = CASE WHEN b."locked_until" > now() THEN b."locked_until" END,
         "last_success_at" = now()`,
      [subject.organizationId, subject.account, subject.source],
    );
    if (sourceIp !== null) await this.sources.reward(sourceIp);
  }
}

interface Lock {
  scope: 'source' | 'account';
  until: Date;
  failures: number;
}
