import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { describe } from '@jit/messaging';

/** A signed-in session as every IdP instance reads it (idp.sessions). */
export interface SharedSession {
  id: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  user: {
    id: string;
    organizationId: string;
    authnInstant: Date;
    sessionIndex: string;
    mfa?: boolean;
    phishingResistant?: boolean;
    verifiedAt?: number;
  };
  applications?: Map<string, { nameId: string; nameIdFormat?: string }>;
}

interface Row {
  organization_id: string;
  user_id: string;
  data: {
    csrfToken: string;
    authnInstant: string;
    sessionIndex: string;
    /** How the person signed in and last proved it is them: another instance asserts and decides the same. */
    mfa?: boolean;
    phishingResistant?: boolean;
    verifiedAt?: number;
    applications?: [string, { nameId: string; nameIdFormat?: string }][];
  };
  created_at: string;
  last_seen_at: string;
}

/** The channel an instance announces an ended session on (its id's hash), so that the others drop their copy. */
const CHANNEL = 'idp_session_ended';
const RECONNECT_MS = 1000;

export const sessionHash = (id: string): string => createHash('sha256').update(id).digest('hex');

/**
 * Signed-in sessions in PostgreSQL, for every IdP instance: one signs a person in, any other
 * finds the session on the first request it gets for it and keeps a copy in memory, so an SSO
 * costs no query. A session that ends (sign-out, "end my other sessions", expiry) is deleted and
 * announced with NOTIFY; each instance LISTENs and drops its copy. While an instance is not
 * listening (its connection lost, or not yet open), it may have missed an announcement, so it
 * trusts no copy: `listening` is false and the store reads the row on every request until the
 * connection is back (then it drops every copy it held).
 */
export class SharedSessions {
  private readonly log = new Logger(SharedSessions.name);
  private client?: Client;
  private closed = false;
  private timer?: NodeJS.Timeout;
  listening = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly databaseUrl: string,
    /** Called with an ended session's hash; `null`: drop every copy (announcements may have been missed). */
    private readonly ended: (hash: string | null) => void,
  ) {}

  async open(): Promise<void> {
    await this.listen();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.listening = false;
    await client?.end().catch(() => undefined);
  }

  async find(id: string): Promise<SharedSession | undefined> {
    const rows = await this.dataSource.query<Row[]>(
      `SELECT "organization_id", "user_id", "data", "created_at", "last_seen_at" FROM "idp"."sessions" WHERE "id_hash" = $1`,
      [sessionHash(id)],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      id,
      csrfToken: row.data.csrfToken,
      createdAt: Number(row.created_at),
      lastSeenAt: Number(row.last_seen_at),
      user: {
        id: row.user_id,
        organizationId: row.organization_id,
        authnInstant: new Date(row.data.authnInstant),
        sessionIndex: row.data.sessionIndex,
        ...(row.data.mfa ? { mfa: true } : {}),
        ...(row.data.phishingResistant ? { phishingResistant: true } : {}),
        ...(row.data.verifiedAt !== undefined ? { verifiedAt: row.data.verifiedAt } : {}),
      },
      ...(row.data.applications ? { applications: new Map(row.data.applications) } : {}),
    };
  }

  /** Writes the session (a sign-in, the applications it reached); awaited before the browser gets its cookie. */
  async save(s: SharedSession): Promise<void> {
    const data: Row['data'] = {
      csrfToken: s.csrfToken,
      authnInstant: s.user.authnInstant.toISOString(),
      sessionIndex: s.user.sessionIndex,
      ...(s.user.mfa ? { mfa: true } : {}),
      ...(s.user.phishingResistant ? { phishingResistant: true } : {}),
      ...(s.user.verifiedAt !== undefined ? { verifiedAt: s.user.verifiedAt } : {}),
      ...(s.applications ? { applications: [...s.applications] } : {}),
    };
    await this.dataSource.query(
      `INSERT INTO "idp"."sessions" ("id_hash", "organization_id", "user_id", "data", "created_at", "last_seen_at")
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT ("id_hash") DO UPDATE SET "data" = EXCLUDED."data", "last_seen_at" = GREATEST("sessions"."last_seen_at", EXCLUDED."last_seen_at")`,
      [sessionHash(s.id), s.user.organizationId, s.user.id, JSON.stringify(data), s.createdAt, s.lastSeenAt],
    );
  }

  /** Records activity for the idle timeout, as seen by every instance. */
  async touch(id: string, lastSeenAt: number): Promise<void> {
    await this.dataSource.query(`UPDATE "idp"."sessions" SET "last_seen_at" = GREATEST("last_seen_at", $2) WHERE "id_hash" = $1`, [
      sessionHash(id),
      lastSeenAt,
    ]);
  }

  /** Ends sessions everywhere: deleted, and announced to every instance in the same transaction. */
  async delete(hashes: string[]): Promise<void> {
    if (hashes.length === 0) return;
    await this.dataSource.query(
      `WITH gone AS (DELETE FROM "idp"."sessions" WHERE "id_hash" = ANY($1) RETURNING "id_hash")
       SELECT pg_notify('${CHANNEL}', "id_hash") FROM gone`,
      [hashes],
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

  /** Deletes (and announces) the sessions past their idle or absolute lifetime. */
  async sweep(now: number, idleMs: number, absoluteMs: number): Promise<void> {
    const rows = await this.dataSource.query<{ id_hash: string }[]>(
      `SELECT "id_hash" FROM "idp"."sessions" WHERE "last_seen_at" < $1 OR "created_at" < $2`,
      [now - idleMs, now - absoluteMs],
    );
    await this.delete(rows.map((r) => r.id_hash));
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'idp sessions', keepAlive: true });
    const lost = (error: unknown) => {
      if (this.client !== client) return;
      this.client = undefined;
      this.listening = false;
      this.log.warn(
        `Stopped hearing about sessions ended on other instances (${describe(error)}): reading each session from the database until it is back`,
      );
      void client.end().catch(() => undefined);
      this.retry();
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('the connection was closed')));
    client.on('notification', (n) => {
      if (n.channel === CHANNEL && n.payload) this.ended(n.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      this.log.warn(`Cannot hear about sessions ended on other instances yet (${describe(error)}): reading each session from the database`);
      this.retry();
      return;
    }
    this.client = client;
    // Announcements made before now were not heard: no copy held until now may be trusted.
    this.ended(null);
    this.listening = true;
  }

  private retry(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.listen(), RECONNECT_MS);
    this.timer.unref();
  }
}
