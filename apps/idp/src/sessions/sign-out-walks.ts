import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';

/** An application still to be signed out of, named as the assertion to it named the person. */
export interface SignOutStop {
  applicationId: string;
  nameId: string;
  nameIdFormat?: string;
}

/**
 * A sign-out in progress: the IdP session is already over; the browser is sent to each
 * application's SLO address in turn and comes back with its LogoutResponse.
 */
export interface SignOutWalk {
  organizationId: string;
  /** The SessionIndex the assertions carried: each LogoutRequest names it. */
  sessionIndex: string;
  remaining: SignOutStop[];
  /** The LogoutRequest the browser carries now, and to whom: its answer must match. */
  awaiting?: { applicationId: string; requestId: string };
  /** Application names, for the signed-out page. */
  signedOut: string[];
  unconfirmed: string[];
  /** Applications the IdP cannot sign out of (no SLO address): their own session may remain. */
  skipped: string[];
  /**
   * An SP-initiated logout: the LogoutRequest to answer, once every other application has answered.
   * Absent: the walk ends on the IdP's signed-out page.
   */
  answer?: LogoutAnswer;
}

/** The SP-initiated logout a walk answers at its end (the LogoutResponse is built then, with a fresh IssueInstant). */
export interface LogoutAnswer {
  applicationId: string;
  inResponseTo: string;
  relayState: string | null;
}

/** How many walks an instance starts between two sweeps of the table (expired ones, and the oldest beyond the bound). */
const TRIM_EVERY = 64;

const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Sign-outs in progress, keyed by a random token that travels as the RelayState of each
 * LogoutRequest (the IdP's own continuation state: 43 characters, whatever the walk holds). With a
 * database (the IdP always has one) they are in `idp.sign_out_walks`, under the token's SHA-256,
 * so that the browser may come back from an SP to any IdP instance; without one (unit specs), in
 * this process's memory. At most `max` at once, the oldest dropped first, each for at most
 * `ttlMs`: a browser that never comes back from an SP costs nothing after that, and the IdP
 * session it belonged to ended at the start.
 */
export class SignOutWalks {
  private readonly walks = new Map<string, { walk: SignOutWalk; expiresAt: number }>();
  private startsSinceTrim = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly now: () => number = () => Date.now(),
    private readonly dataSource?: DataSource,
  ) {}

  async start(walk: SignOutWalk): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    if (this.dataSource) {
      await this.dataSource.query(`INSERT INTO "idp"."sign_out_walks" ("token_hash", "walk", "expires_at") VALUES ($1, $2, $3)`, [
        tokenHash(token),
        JSON.stringify(walk),
        now + this.ttlMs,
      ]);
      this.startsSinceTrim += 1;
      if (this.startsSinceTrim >= TRIM_EVERY) await this.trim(now);
      return token;
    }
    // One lifetime for all: insertion order is expiry order.
    for (const [old, entry] of this.walks) {
      if (entry.expiresAt > now) break;
      this.walks.delete(old);
    }
    while (this.walks.size >= this.max) {
      const oldest = this.walks.keys().next();
      if (oldest.done) break;
      this.walks.delete(oldest.value);
    }
    this.walks.set(token, { walk, expiresAt: now + this.ttlMs });
    return token;
  }

  async get(token: string | undefined): Promise<SignOutWalk | undefined> {
    if (!token) return undefined;
    if (this.dataSource) {
      const rows = await this.dataSource.query<{ walk: SignOutWalk }[]>(
        `SELECT "walk" FROM "idp"."sign_out_walks" WHERE "token_hash" = $1 AND "expires_at" > $2`,
        [tokenHash(token), this.now()],
      );
      return rows[0]?.walk;
    }
    const entry = this.walks.get(token);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.walks.delete(token);
      return undefined;
    }
    return entry.walk;
  }

  /** Keeps the walk's progress (the stop it now waits for), before the browser is sent on. */
  async save(token: string, walk: SignOutWalk): Promise<void> {
    if (!this.dataSource) return;
    await this.dataSource.query(`UPDATE "idp"."sign_out_walks" SET "walk" = $2 WHERE "token_hash" = $1`, [
      tokenHash(token),
      JSON.stringify(walk),
    ]);
  }

  async end(token: string): Promise<void> {
    if (this.dataSource) await this.dataSource.query(`DELETE FROM "idp"."sign_out_walks" WHERE "token_hash" = $1`, [tokenHash(token)]);
    else this.walks.delete(token);
  }

  /** How many walks are in progress. */
  async size(): Promise<number> {
    if (!this.dataSource) return this.walks.size;
    const [{ n }] = await this.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM "idp"."sign_out_walks"`);
    return n;
  }

  /** Deletes expired walks and the oldest beyond `max` (one lifetime for all: expiry order is age order). */
  async trim(now = this.now()): Promise<void> {
    if (!this.dataSource) return;
    this.startsSinceTrim = 0;
    await this.dataSource.query(`DELETE FROM "idp"."sign_out_walks" WHERE "expires_at" <= $1`, [now]);
    await this.dataSource.query(
      `DELETE FROM "idp"."sign_out_walks" WHERE "token_hash" NOT IN
         (SELECT "token_hash" FROM "idp"."sign_out_walks" ORDER BY "expires_at" DESC LIMIT $1)`,
      [this.max],
    );
  }
}
