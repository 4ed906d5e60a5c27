import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { PgNotifications } from '../common/pg-notifications';
import type { IdpSession } from './session-store';

/** A signed-in session's columns beside its data (rows written before the data held the whole session need them). */
interface SignedInColumns {
  organization_id: string;
  user_id: string;
}

interface Row extends Partial<SignedInColumns> {
  data: Record<string, unknown>;
  created_at: string;
  last_seen_at: string;
}

/**
 * What the database keeps of a session: everything but its id (the row is keyed by the id's hash)
 * and its times (columns of their own). JSON, so a field added to IdpSession is kept without a
 * change here; `applications` (a Map) as its entries, `user.authnInstant` as an ISO string.
 */
export function sessionData(s: IdpSession): string {
  const { id: _id, createdAt: _createdAt, lastSeenAt: _lastSeenAt, applications, ...rest } = s;
  return JSON.stringify({ ...rest, ...(applications ? { applications: [...applications] } : {}) });
}

function sessionFromRow(id: string, row: Row): IdpSession {
  const { applications, user, authnInstant, sessionIndex, ...rest } = row.data as Record<string, unknown> & {
    applications?: [string, { nameId: string; nameIdFormat?: string }][];
    user?: NonNullable<IdpSession['user']>;
    authnInstant?: string;
    sessionIndex?: string;
  };
  // A row written before the whole session was stored: the user was in its columns and beside the CSRF token.
  const signedIn =
    user ??
    (row.user_id && row.organization_id && sessionIndex
      ? { id: row.user_id, organizationId: row.organization_id, authnInstant: new Date(authnInstant ?? 0), sessionIndex }
      : undefined);
  return {
    ...(rest as Omit<IdpSession, 'id' | 'createdAt' | 'lastSeenAt'>),
    id,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    ...(signedIn ? { user: { ...signedIn, authnInstant: new Date(signedIn.authnInstant) } } : {}),
    ...(applications ? { applications: new Map(applications) } : {}),
  };
}

/** The channel an instance announces an ended session on (its id's hash), so that the others drop their copy. */
const CHANNEL = 'idp_session_ended';
/**
 * The channel an instance announces a signed-in session's change on (its id's hash and the
 * instance's token): the others drop their copy and read the row again when the browser comes.
 */
const CHANGED = 'idp_session_changed';
/** A pending-session insert in this many trims the table back to its bound (and so does every sweep). */
const TRIM_EVERY = 64;

export const sessionHash = (id: string): string => createHash('sha256').update(id).digest('hex');

/**
 * IdP sessions in PostgreSQL, for every IdP instance, so that any request of a browser may reach
 * any instance:
 * - signed-in sessions (`idp.sessions`): one instance signs a person in, any other finds the
 *   session on the first request it gets for it and keeps a copy in memory, so an SSO costs no
 *   query. A session that ends (sign-out, "end my other sessions", expiry) is deleted and
 *   announced with NOTIFY; one that changes (an application reached, a step-up started) is
 *   written and announced too; each instance LISTENs and drops its copy. While an instance is not
 *   listening (its connection lost, or not yet open), it may have missed an announcement, so it
 *   trusts no copy: `listening` is false and the store reads the row on every request until the
 *   connection is back (then it drops every copy it held).
 * - sessions nobody has signed in to yet (`idp.pending_sessions`): the sign-in in progress, read
 *   from the row at every request, never kept in memory; bounded in number (the oldest go first)
 *   and in time (SessionStore's limits).
 */
export class SharedSessions {
  /** Told with each change this instance announces, so that it does not drop its own copy. */
  private readonly instance = randomBytes(8).toString('hex');
  private insertsSinceTrim = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly notifications: PgNotifications,
    /**
     * Called with an ended session's hash; `null`: drop every copy (announcements may have been
     * missed). `changed`: the session changed on another instance (read it again).
     */
    ended: (hash: string | null, changed?: 'changed') => void,
  ) {
    notifications.on(CHANNEL, (hash) => ended(hash));
    notifications.on(CHANGED, (payload) => {
      const [hash, by] = payload.split(' ');
      if (by !== this.instance) ended(hash, 'changed');
    });
    notifications.onReset(() => ended(null));
  }

  /** Whether ended and changed sessions are heard of now (else no copy may be trusted). */
  get listening(): boolean {
    return this.notifications.listening;
  }

  async open(): Promise<void> {
    await this.notifications.open();
  }

  /** The session, signed in or not yet, as the database holds it now. */
  async find(id: string): Promise<IdpSession | undefined> {
    const rows = await this.dataSource.query<Row[]>(
      `SELECT "organization_id", "user_id", "data", "created_at", "last_seen_at" FROM "idp"."sessions" WHERE "id_hash" = $1
       UNION ALL
       SELECT NULL, NULL, "data", "created_at", "last_seen_at" FROM "idp"."pending_sessions" WHERE "id_hash" = $1`,
      [sessionHash(id)],
    );
    return rows[0] && sessionFromRow(id, rows[0]);
  }

  /**
   * Writes a new session (a sign-in, or the start of one). A pending session counts against
   * `maxPending`: every TRIM_EVERY inserts this instance deletes the oldest beyond it.
   */
  async insert(s: IdpSession, data: string, maxPending: number): Promise<void> {
    if (s.user) {
      await this.dataSource.query(
        `INSERT INTO "idp"."sessions" ("id_hash", "organization_id", "user_id", "data", "created_at", "last_seen_at")
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [sessionHash(s.id), s.user.organizationId, s.user.id, data, s.createdAt, s.lastSeenAt],
      );
      return;
    }
    await this.dataSource.query(
      `INSERT INTO "idp"."pending_sessions" ("id_hash", "data", "created_at", "last_seen_at") VALUES ($1, $2, $3, $4)`,
      [sessionHash(s.id), data, s.createdAt, s.lastSeenAt],
    );
    this.insertsSinceTrim += 1;
    if (this.insertsSinceTrim >= TRIM_EVERY) await this.trimPending(maxPending);
  }

  /**
   * Writes a change to a session that is in the database; a session ended meanwhile (by another
   * instance) stays ended: nothing is written back. A signed-in session's change is announced.
   */
  async update(s: IdpSession, data: string, now: number): Promise<void> {
    if (s.user) {
      await this.dataSource.query(
        `WITH changed AS (
           UPDATE "idp"."sessions" SET "data" = $2, "last_seen_at" = GREATEST("last_seen_at", $3) WHERE "id_hash" = $1 RETURNING "id_hash")
         SELECT pg_notify('${CHANGED}', "id_hash" || ' ' || $4::text) FROM changed`,
        [sessionHash(s.id), data, now, this.instance],
      );
      return;
    }
    await this.dataSource.query(
      `UPDATE "idp"."pending_sessions" SET "data" = $2, "last_seen_at" = GREATEST("last_seen_at", $3) WHERE "id_hash" = $1`,
      [sessionHash(s.id), data, now],
    );
  }

  /** Records activity for the idle timeout, as seen by every instance. */
  async touch(id: string, lastSeenAt: number): Promise<void> {
    await this.dataSource.query(`UPDATE "idp"."sessions" SET "last_seen_at" = GREATEST("last_seen_at", $2) WHERE "id_hash" = $1`, [
      sessionHash(id),
      lastSeenAt,
    ]);
  }

  /**
   * Ends a session, signed in or not, everywhere: deleted, and a signed-in one announced in the
   * same transaction. True when this call deleted it: of two instances ending one session at
   * once, one only hears true (a sign-in in progress is finished once).
   */
  async remove(id: string): Promise<boolean> {
    const hash = sessionHash(id);
    const [signedIn, pending] = await Promise.all([
      this.dataSource.query<unknown[]>(
        `WITH gone AS (DELETE FROM "idp"."sessions" WHERE "id_hash" = $1 RETURNING "id_hash")
         SELECT pg_notify('${CHANNEL}', "id_hash") FROM gone`,
        [hash],
      ),
      this.dataSource.query<{ n: number }[]>(
        `WITH gone AS (DELETE FROM "idp"."pending_sessions" WHERE "id_hash" = $1 RETURNING 1) SELECT count(*)::int AS n FROM gone`,
        [hash],
      ),
    ]);
    return signedIn.length > 0 || pending[0].n > 0;
  }

  /** Ends signed-in sessions everywhere: deleted, and announced to every instance in the same transaction. */
  async delete(hashes: string[]): Promise<void> {
    if (hashes.length === 0) return;
    await this.dataSource.query(
      `WITH gone AS (DELETE FROM "idp"."sessions" WHERE "id_hash" = ANY($1) RETURNING "id_hash")
       SELECT pg_notify('${CHANNEL}', "id_hash") FROM gone`,
      [hashes],
    );
  }

  /** How many sessions wait for a sign-in, on every instance together. */
  async pendingCount(): Promise<number> {
    const [{ n }] = await this.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM "idp"."pending_sessions"`);
    return n;
  }

  /** Deletes the oldest pending sessions beyond `max`. */
  async trimPending(max: number): Promise<void> {
    this.insertsSinceTrim = 0;
    await this.dataSource.query(
      `DELETE FROM "idp"."pending_sessions" WHERE "id_hash" NOT IN
         (SELECT "id_hash" FROM "idp"."pending_sessions" ORDER BY "created_at" DESC LIMIT $1)`,
      [max],
    );
  }

  /** The person's signed-in sessions on every instance, oldest first (hashes only: the ids are not stored). */
  async sessionsOf(organizationId: string, userId: string): Promise<{ hash: string; createdAt: number; lastSeenAt: number }[]> {
    const rows = await this.dataSource.query<{ id_hash: string; created_at: string; last_seen_at: string }[]>(
      `SELECT "id_hash", "created_at", "last_seen_at" FROM "idp"."sessions"
       WHERE "organization_id" = $1 AND "user_id" = $2 ORDER BY "created_at"`,
      [organizationId, userId],
    );
    return rows.map((r) => ({ hash: r.id_hash, createdAt: Number(r.created_at), lastSeenAt: Number(r.last_seen_at) }));
  }

  /**
   * Deletes (and announces) the signed-in sessions past their idle or absolute lifetime, and the
   * pending ones past theirs or beyond the bound.
   */
  async sweep(now: number, limits: { idleMs: number; absoluteMs: number; pendingMs: number; maxPending: number }): Promise<void> {
    const rows = await this.dataSource.query<{ id_hash: string }[]>(
      `SELECT "id_hash" FROM "idp"."sessions" WHERE "last_seen_at" < $1 OR "created_at" < $2`,
      [now - limits.idleMs, now - limits.absoluteMs],
    );
    await this.delete(rows.map((r) => r.id_hash));
    await this.dataSource.query(`DELETE FROM "idp"."pending_sessions" WHERE "last_seen_at" < $1 OR "created_at" < $2`, [
      now - limits.idleMs,
      now - limits.pendingMs,
    ]);
    await this.trimPending(limits.maxPending);
  }
}
