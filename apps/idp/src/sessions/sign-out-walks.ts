import { randomBytes } from 'node:crypto';

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

/**
 * Sign-outs in progress, in memory, keyed by a random token that travels as the RelayState of each
 * LogoutRequest (the IdP's own continuation state: 43 characters, whatever the walk holds). At most
 * `max` at once, the oldest dropped first, each for at most `ttlMs`: a browser that never comes back
 * from an SP costs nothing after that, and the IdP session it belonged to ended at the start.
 */
export class SignOutWalks {
  private readonly walks = new Map<string, { walk: SignOutWalk; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  start(walk: SignOutWalk): string {
    const now = this.now();
    // One lifetime for all: insertion order is expiry order.
    for (const [token, entry] of this.walks) {
      if (entry.expiresAt > now) break;
      this.walks.delete(token);
    }
    while (this.walks.size >= this.max) {
      const oldest = this.walks.keys().next();
      if (oldest.done) break;
      this.walks.delete(oldest.value);
    }
    const token = randomBytes(32).toString('base64url');
    this.walks.set(token, { walk, expiresAt: now + this.ttlMs });
    return token;
  }

  get(token: string | undefined): SignOutWalk | undefined {
    if (!token) return undefined;
    const entry = this.walks.get(token);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.walks.delete(token);
      return undefined;
    }
    return entry.walk;
  }

  end(token: string): void {
    this.walks.delete(token);
  }

  get size(): number {
    return this.walks.size;
  }
}
