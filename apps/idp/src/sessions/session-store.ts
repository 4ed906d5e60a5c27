import { randomBytes } from 'node:crypto';
import type { OnApplicationShutdown } from '@nestjs/common';

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
  };
  /**
   * The password was right and a second step is due (a code, or enrolment first): who, until
   * then not signed in. `factorId`: the TOTP factor being enrolled.
   */
  /** The TOTP factor the signed-in person is adding at the account page, until confirmed. */
  enrolling?: string;
  secondStep?: { userId: string; organizationId: string; stage: 'verify' | 'enrol'; factorId?: string };
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

/**
 * Server-side SSO sessions, in memory: the cookie holds only a random id. Sessions end after
 * an idle period and at an absolute lifetime. A session that no one has signed in to (made by
 * anyone who opens a sign-in link) is kept apart, briefly and in bounded number, so that
 * unauthenticated requests cannot fill the memory. (Instances behind a load balancer need
 * sticky sessions until this moves to a shared store.)
 */
export class SessionStore implements OnApplicationShutdown {
  private readonly sessions = new Map<string, IdpSession>();
  /** Sessions without a user, oldest first (a Map keeps insertion order). */
  private readonly pending = new Map<string, IdpSession>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly limits: SessionLimits;

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

  /** A session without a user: the start of a sign-in. */
  create(): IdpSession {
    const now = this.limits.now();
    const session: IdpSession = { id: token(), csrfToken: token(), createdAt: now, lastSeenAt: now };
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
    (renewed.user ? this.sessions : this.pending).set(renewed.id, renewed);
    return renewed;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
    this.pending.delete(id);
  }

  /**
   * The live signed-in sessions of one person on this instance, oldest first. Sessions are per
   * instance (this store is memory): other IdP instances hold their own.
   */
  sessionsOf(organizationId: string, userId: string): IdpSession[] {
    const now = this.limits.now();
    return [...this.sessions.values()]
      .filter((s) => s.user?.id === userId && s.user.organizationId === organizationId && !this.expired(s, now))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Ends every session of the person on this instance except `keepId`; answers how many ended. */
  endOthers(organizationId: string, userId: string, keepId: string): number {
    let ended = 0;
    for (const s of this.sessionsOf(organizationId, userId)) {
      if (s.id === keepId) continue;
      this.destroy(s.id);
      ended += 1;
    }
    return ended;
  }

  /** How many sessions wait for a sign-in now. */
  get pendingCount(): number {
    return this.pending.size;
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  private expired(s: IdpSession, now: number): boolean {
    const lifetime = s.user ? this.limits.absoluteMs : this.limits.pendingMs;
    return now - s.lastSeenAt > this.limits.idleMs || now - s.createdAt > lifetime;
  }

  private sweep(): void {
    const now = this.limits.now();
    for (const map of [this.sessions, this.pending]) {
      for (const [id, s] of map) if (this.expired(s, now)) map.delete(id);
    }
  }
}

function token(): string {
  return randomBytes(32).toString('base64url');
}
