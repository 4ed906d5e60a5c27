import { randomBytes } from 'node:crypto';
import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { describe } from '@jit/messaging';
import type { RequestedAuthnContext } from '@jit/saml';
import { sessionData, sessionHash, type SharedSessions } from './shared-sessions';

/** An SSO request waiting for the user to sign in. */
export interface PendingSso {
  /** null: signing in to the portal, not to an application. */
  applicationId: string | null;
  organizationId: string;
  /** Absent for IdP-initiated SSO. */
  requestId: string | null;
  acsUrl: string;
  relayState: string | null;
  /** The NameID the AuthnRequest's Subject named, if it named one. */
  subjectNameId?: string;
  /** The authentication context the AuthnRequest asked for, if it asked (sso/authn-context.ts decides). */
  requestedAuthnContext?: RequestedAuthnContext;
}

export interface IdpSession {
  id: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  /** Set once the user has signed in. */
  user?: {
    id: string;
    organizationId: string;
    authnInstant: Date;
    sessionIndex: string;
    /** Signed in with a second factor too (the assertion's AuthnContextClassRef says so). */
    mfa?: boolean;
    /** Signed in with a passkey (phishing-resistant: bound to the IdP's origin), alone or after a password. */
    phishingResistant?: boolean;
    /**
     * When the person last proved it is them in this session (epoch ms): the sign-in, or a
     * re-verification. Changing their factors needs one within IDP_REVERIFY_SECONDS.
     */
    verifiedAt?: number;
  };
  /**
   * The password was right and a second step is due (a code, or enrolment first): who, until
   * then not signed in. `factorId`: the TOTP factor being enrolled.
   */
  /** The TOTP factor the signed-in person is adding at the account page, until confirmed. */
  enrolling?: string;
  secondStep?: {
    userId: string;
    organizationId: string;
    stage: 'verify' | 'enrol';
    factorId?: string;
    /** The application requires a phishing-resistant factor: only a passkey will do. */
    passkeyOnly?: boolean;
  };
  pending?: PendingSso;
  /**
   * Applications that received an assertion in this session, with the NameID (and its format)
   * each was given: a LogoutRequest must name that principal to end the session, and the IdP's
   * own LogoutRequests name it the same way.
   */
  applications?: Map<string, { nameId: string; nameIdFormat?: string }>;
}

export interface SessionLimits {
  idleMs: number;
  absoluteMs: number;
  /** A session nobody has signed in to yet ends this long after it began. */
  pendingMs: number;
  /** At most this many sessions wait for a sign-in at once; the oldest goes first. */
  maxPending: number;
  /** The clock (tests give their own). */
  now: () => number;
}

/** How often, at most, an instance records a session's activity in the shared row (the idle timeout everywhere). */
const TOUCH_MS = 60_000;

/**
 * Server-side SSO sessions: the cookie holds only a random id. Sessions end after an idle period
 * and at an absolute lifetime. A session that no one has signed in to (made by anyone who opens a
 * sign-in link) is kept apart, briefly and in bounded number, so that unauthenticated requests
 * cannot fill the store.
 *
 * With `shared` (the IdP always has it), every session is in PostgreSQL, for every instance
 * (SharedSessions), so that each request of a browser may reach any instance: `resolve` reads the
 * session as the database holds it now, except that an SSO (`cached`) may use the copy of a
 * signed-in session this instance holds while it hears about ended and changed sessions. A
 * sign-in and an end are written before the browser gets its answer (`flush`), and so is any
 * change a request made to its session (`save`; BrowserReplies awaits both). Without `shared`
 * (unit specs), sessions are in this instance's memory only.
 */
export class SessionStore implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger(SessionStore.name);
  private readonly sessions = new Map<string, IdpSession>();
  /** Sessions without a user, oldest first (a Map keeps insertion order). */
  private readonly pending = new Map<string, IdpSession>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly limits: SessionLimits;
  /** Writes to the shared store not yet awaited by `flush`. */
  private readonly writes = new Set<Promise<void>>();
  /** Signed-in sessions held here, by their id's hash (how ended sessions are announced). */
  private readonly byHash = new Map<string, string>();
  /**
   * Sessions other instances ended lately, by hash, with when this one heard it: a row read just
   * before its end was announced must not be held after the announcement.
   */
  private readonly endedLately = new Map<string, number>();
  /** When each held session's activity was last recorded in the shared row. */
  private readonly touched = new Map<string, number>();
  /** With `shared`: each session object's data as last read or written (`save` writes what changed since). */
  private readonly written = new WeakMap<IdpSession, string>();
  /** With `shared`: ids ended here lately, which a request still holding the session must not write back. */
  private readonly destroyedLately = new Map<string, number>();
  private shared?: SharedSessions;
  /** A write's failure, until a flush reports it. */
  private failed?: Error;

  constructor(idleMs: number, absoluteMs: number, limits: Partial<Pick<SessionLimits, 'pendingMs' | 'maxPending' | 'now'>> = {}) {
    this.limits = {
      idleMs,
      absoluteMs,
      pendingMs: limits.pendingMs ?? absoluteMs,
      maxPending: limits.maxPending ?? Infinity,
      now: limits.now ?? (() => Date.now()),
    };
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  /** Keeps signed-in sessions in `shared` from now on (before the app starts). */
  share(shared: SharedSessions): void {
    this.shared = shared;
  }

  async onModuleInit(): Promise<void> {
    await this.shared?.open();
  }

  /**
   * Called when another instance ended a session (its id's hash), or changed it (`changed`: the
   * copy is dropped, the row read again), or with null: drop every signed-in copy held.
   */
  endedElsewhere(hash: string | null, changed?: 'changed'): void {
    if (hash === null) {
      for (const id of this.byHash.values()) this.forget(id);
      this.byHash.clear();
      return;
    }
    if (!changed) this.endedLately.set(hash, this.limits.now());
    const id = this.byHash.get(hash);
    if (id !== undefined) this.forget(id);
  }

  /**
   * The session a request's cookie names, as the shared store holds it now. With `cached` (an SSO,
   * where a query per request would cost more than the rest of it), the copy of a signed-in
   * session this instance holds is used while it hears about ended and changed sessions. Without
   * `shared`, as `get`.
   */
  async resolve(id: string | undefined, { cached = false }: { cached?: boolean } = {}): Promise<IdpSession | undefined> {
    const shared = this.shared;
    if (!id || !shared) return this.get(id);
    const now = this.limits.now();
    const held = this.sessions.get(id);
    // Its idle time may be another instance's activity, so an expired copy is read again rather than ended.
    if (cached && held && shared.listening && !this.expired(held, now)) {
      this.seen(held, now);
      return held;
    }
    const row = await shared.find(id);
    if (!row || this.endedLately.has(sessionHash(id)) || this.destroyedLately.has(id)) {
      this.forget(id);
      return undefined;
    }
    if (this.expired(row, now)) {
      this.destroy(id);
      await this.flush();
      return undefined;
    }
    this.written.set(row, sessionData(row));
    if (row.user) {
      this.hold(row);
      this.touched.set(id, row.lastSeenAt);
      this.seen(row, now);
    } else row.lastSeenAt = now;
    return row;
  }

  /**
   * With `shared`: writes what the request changed in `session` (a sign-in waiting for its form or
   * its second step, an application reached, a factor being enrolled), before the browser gets its
   * answer and may take its cookie to another instance. A session ended meanwhile stays ended.
   */
  async save(session: IdpSession | undefined): Promise<void> {
    const shared = this.shared;
    if (!shared || !session || this.destroyedLately.has(session.id)) return;
    const before = this.written.get(session);
    if (before === undefined) return;
    const data = sessionData(session);
    if (data === before) return;
    this.written.set(session, data);
    if (before === '') await shared.insert(session, data, this.limits.maxPending);
    else await shared.update(session, data, this.limits.now());
  }

  /**
   * Ends the session a sign-in step is about to finish, and says whether this call ended it: with
   * `shared`, of two requests finishing the same step (on any instances), one only gets true, so a
   * pending sign-in is completed once. A session not yet written (made in this request) is
   * claimed at once.
   */
  async claim(session: IdpSession): Promise<boolean> {
    const shared = this.shared;
    const written = this.written.get(session);
    if (!shared || written === undefined || written === '') return true;
    this.destroyedLately.set(session.id, this.limits.now());
    this.forget(session.id);
    return shared.remove(session.id);
  }

  /**
   * Waits for the shared store's writes made so far: called before a browser gets its answer.
   * Throws when one failed since the last flush (the database is away: a 503 page for whichever
   * request flushes first, which during an outage would have met it anyway).
   */
  async flush(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes]);
    const failed = this.failed;
    this.failed = undefined;
    if (failed !== undefined) throw failed;
  }

  /** A session without a user: the start of a sign-in. */
  create(): IdpSession {
    const now = this.limits.now();
    const session: IdpSession = { id: token(), csrfToken: token(), createdAt: now, lastSeenAt: now };
    if (this.shared) {
      // Written with the answer that carries its cookie (save), if that answer keeps it.
      this.written.set(session, '');
      return session;
    }
    if (this.pending.size >= this.limits.maxPending) {
      const oldest = this.pending.keys().next();
      if (!oldest.done) this.pending.delete(oldest.value);
    }
    this.pending.set(session.id, session);
    return session;
  }

  get(id: string | undefined): IdpSession | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id) ?? this.pending.get(id);
    if (!session) return undefined;
    const now = this.limits.now();
    if (this.expired(session, now)) {
      this.destroy(id);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  /**
   * A new id (and CSRF token) for the same session: called at sign-in against session fixation.
   * A session that now has a user joins the signed-in ones, with their lifetimes.
   */
  regenerate(session: IdpSession): IdpSession {
    this.destroy(session.id);
    // A new absolute lifetime starts with the sign-in.
    const now = this.limits.now();
    const renewed: IdpSession = { ...session, id: token(), csrfToken: token(), createdAt: now, lastSeenAt: now };
    const shared = this.shared;
    if (shared) {
      const data = sessionData(renewed);
      this.written.set(renewed, data);
      this.write(() => shared.insert(renewed, data, this.limits.maxPending));
    }
    if (renewed.user) {
      this.hold(renewed);
      this.touched.set(renewed.id, now);
    } else if (!shared) this.pending.set(renewed.id, renewed);
    return renewed;
  }

  /** Ends the session, on every instance (written before the browser gets its answer). */
  destroy(id: string): void {
    this.forget(id);
    this.pending.delete(id);
    const shared = this.shared;
    if (shared) {
      // Until the row is gone, this instance must not read the session back from it, nor write it back.
      this.endedLately.set(sessionHash(id), this.limits.now());
      this.destroyedLately.set(id, this.limits.now());
      this.write(async () => void (await shared.remove(id)));
    }
  }

  /**
   * The person's live signed-in sessions, oldest first, `current` marking `currentId`'s: on every
   * instance with `shared` (its rows: whichever instance a request reaches lists the same), else
   * this instance's.
   */
  async list(
    organizationId: string,
    userId: string,
    currentId: string,
  ): Promise<{ createdAt: number; lastSeenAt: number; current: boolean }[]> {
    const shared = this.shared;
    if (!shared) {
      return this.sessionsOf(organizationId, userId).map((s) => ({
        createdAt: s.createdAt,
        lastSeenAt: s.lastSeenAt,
        current: s.id === currentId,
      }));
    }
    const now = this.limits.now();
    const current = sessionHash(currentId);
    return (await shared.sessionsOf(organizationId, userId))
      .filter((s) => !this.outlived(s, this.limits.absoluteMs, now))
      .map((s) => ({ createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, current: s.hash === current }));
  }

  /** The live signed-in sessions of one person held by this instance, oldest first. */
  private sessionsOf(organizationId: string, userId: string): IdpSession[] {
    const now = this.limits.now();
    return [...this.sessions.values()]
      .filter((s) => s.user?.id === userId && s.user.organizationId === organizationId && !this.expired(s, now))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  /**
   * Ends every session of the person except `keepId`, on this instance and, with `shared`, on
   * every other; answers how many were live (on every instance with `shared`).
   */
  async endOthers(organizationId: string, userId: string, keepId: string): Promise<number> {
    // Hashes of the sessions ended: one held here may be gone from the table before it is read
    // below (its delete is already on its way), and must be counted all the same.
    const ended = new Set<string>();
    for (const s of this.sessionsOf(organizationId, userId)) {
      if (s.id === keepId) continue;
      this.destroy(s.id);
      ended.add(sessionHash(s.id));
    }
    const shared = this.shared;
    if (shared) {
      // Done before the caller answers: the next request, on any instance, finds them ended.
      const keep = sessionHash(keepId);
      const now = this.limits.now();
      const others = (await shared.sessionsOf(organizationId, userId)).filter((s) => s.hash !== keep);
      for (const { hash } of others) this.endedLately.set(hash, now);
      await shared.delete(others.map((s) => s.hash));
      for (const s of others) if (!this.outlived(s, this.limits.absoluteMs, now)) ended.add(s.hash);
    }
    return ended.size;
  }

  /** How many sessions wait for a sign-in now (without `shared`; SharedSessions.pendingCount with it). */
  get pendingCount(): number {
    return this.pending.size;
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await this.flush().catch(() => undefined);
  }

  private hold(session: IdpSession): void {
    this.sessions.set(session.id, session);
    this.byHash.set(sessionHash(session.id), session.id);
  }

  private forget(id: string): void {
    if (this.sessions.delete(id)) this.byHash.delete(sessionHash(id));
    this.touched.delete(id);
  }

  /** Activity: in memory at once, in the shared row at most every TOUCH_MS (or a quarter of the idle timeout). */
  private seen(session: IdpSession, now: number): void {
    session.lastSeenAt = now;
    const shared = this.shared;
    const last = this.touched.get(session.id) ?? 0;
    if (!shared || now - last < Math.min(TOUCH_MS, this.limits.idleMs / 4)) return;
    this.touched.set(session.id, now);
    void shared
      .touch(session.id, now)
      .catch((error: unknown) => this.log.warn(`Could not record a session's activity: ${describe(error)}`));
  }

  /**
   * Runs a write to the shared store; `flush` waits for it and throws its failure (logged here):
   * a sign-in or a sign-out the other instances would not see must not be answered as done.
   */
  private write(work: () => Promise<void>): void {
    const run: Promise<void> = work()
      .catch((error: unknown) => {
        this.log.error(`Could not write an IdP session to the database: ${describe(error)}`);
        this.failed ??= error instanceof Error ? error : new Error(describe(error));
      })
      .finally(() => this.writes.delete(run));
    this.writes.add(run);
  }

  private expired(s: Pick<IdpSession, 'user' | 'lastSeenAt' | 'createdAt'>, now: number): boolean {
    return this.outlived(s, s.user ? this.limits.absoluteMs : this.limits.pendingMs, now);
  }

  private outlived(s: Pick<IdpSession, 'lastSeenAt' | 'createdAt'>, lifetimeMs: number, now: number): boolean {
    return now - s.lastSeenAt > this.limits.idleMs || now - s.createdAt > lifetimeMs;
  }

  private sweep(): void {
    const now = this.limits.now();
    for (const [id, s] of this.sessions) if (this.expired(s, now)) this.forget(id);
    for (const [id, s] of this.pending) if (this.expired(s, now)) this.pending.delete(id);
    for (const [hash, at] of this.endedLately) if (now - at > 60_000) this.endedLately.delete(hash);
    for (const [id, at] of this.destroyedLately) if (now - at > 60_000) this.destroyedLately.delete(id);
    const shared = this.shared;
    // Not a request's write: a failure is logged, and the next sweep tries again.
    shared?.sweep(now, this.limits).catch((error: unknown) => this.log.warn(`Could not sweep expired IdP sessions: ${describe(error)}`));
  }
}

function token(): string {
  return randomBytes(32).toString('base64url');
}
