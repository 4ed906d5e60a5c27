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
}

export interface IdpSession {
  id: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  /** Set once the user has signed in. */
  user?: { id: string; organizationId: string; authnInstant: Date; sessionIndex: string };
  pending?: PendingSso;
  /** Applications that received an assertion in this session (Single Logout ends them all). */
  applications?: Set<string>;
}

export const SESSION_COOKIE = 'jit_idp_session';

/**
 * Server-side SSO sessions, in memory: the cookie holds only a random id. Sessions end after
 * an idle period and at an absolute lifetime. (Instances behind a load balancer need sticky
 * sessions until this moves to a shared store.)
 */
export class SessionStore implements OnApplicationShutdown {
  private readonly sessions = new Map<string, IdpSession>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly idleMs: number,
    private readonly absoluteMs: number,
  ) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  create(): IdpSession {
    const now = Date.now();
    const session: IdpSession = { id: token(), csrfToken: token(), createdAt: now, lastSeenAt: now };
    this.sessions.set(session.id, session);
    return session;
  }

  get(id: string | undefined): IdpSession | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const now = Date.now();
    if (now - session.lastSeenAt > this.idleMs || now - session.createdAt > this.absoluteMs) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  /** A new id (and CSRF token) for the same session: called at sign-in against session fixation. */
  regenerate(session: IdpSession): IdpSession {
    this.sessions.delete(session.id);
    // A new absolute lifetime starts with the sign-in.
    const now = Date.now();
    const renewed: IdpSession = { ...session, id: token(), csrfToken: token(), createdAt: now, lastSeenAt: now };
    this.sessions.set(renewed.id, renewed);
    return renewed;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.sessions) {
      if (now - s.lastSeenAt > this.idleMs || now - s.createdAt > this.absoluteMs) this.sessions.delete(id);
    }
  }
}

function token(): string {
  return randomBytes(32).toString('base64url');
}
