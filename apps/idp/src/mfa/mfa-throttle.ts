import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { throttleLimiter, type ThrottleStore } from '../common/throttle-limiter';
import { sessionHash } from '../sessions/shared-sessions';

export interface MfaThrottleLimits {
  /** Wrong codes for one person within the window before their second step is locked. */
  perUser: number;
  /** Wrong codes in one browser session within the window before it must wait. */
  perSession: number;
  windowSeconds: number;
}

/**
 * Counts wrong second-factor codes per person and per session, in PostgreSQL (`idp.throttles`) for
 * every IdP instance alike: six digits fall to guessing without it, and N instances must not give
 * N times the guesses. Past perUser the person is locked out of the second step for the window (as
 * the directory locks a password out), whichever instance they reach; a success clears both counts.
 */
export class MfaThrottle {
  private readonly byUser: RateLimiterAbstract;
  private readonly bySession: RateLimiterAbstract;

  constructor(
    private readonly limits: MfaThrottleLimits,
    store: ThrottleStore,
  ) {
    this.byUser = throttleLimiter(store, 'mfa-user', limits.perUser, limits.windowSeconds);
    this.bySession = throttleLimiter(store, 'mfa-session', limits.perSession, limits.windowSeconds);
  }

  /** How long until a code may be checked again (0: now), and whether the person or only this session waits. */
  async wait(userId: string, sessionId: string): Promise<{ seconds: number; reason: 'locked_out' | 'throttled' }> {
    const [user, session] = await Promise.all([this.byUser.get(userId), this.bySession.get(sessionHash(sessionId))]);
    const userMs = user && user.consumedPoints >= this.limits.perUser ? user.msBeforeNext : 0;
    const sessionMs = session && session.consumedPoints >= this.limits.perSession ? session.msBeforeNext : 0;
    return { seconds: Math.ceil(Math.max(userMs, sessionMs) / 1000), reason: userMs > 0 ? 'locked_out' : 'throttled' };
  }

  async failed(userId: string, sessionId: string): Promise<void> {
    await Promise.all([this.byUser.penalty(userId), this.bySession.penalty(sessionHash(sessionId))]);
  }

  async succeeded(userId: string, sessionId: string): Promise<void> {
    await Promise.all([this.byUser.delete(userId), this.bySession.delete(sessionHash(sessionId))]);
  }

  /** Until when the person's second step is locked out (perUser wrong codes in the window); null when it is not. */
  async lockedUntil(userId: string): Promise<Date | null> {
    const user = await this.byUser.get(userId);
    return user && user.consumedPoints >= this.limits.perUser ? new Date(Date.now() + user.msBeforeNext) : null;
  }

  /** An administrator's unlock or reset lifts the person's lockout (and forgets their wrong codes). */
  async unlock(userId: string): Promise<void> {
    await this.byUser.delete(userId);
  }
}
