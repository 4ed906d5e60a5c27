import { Logger } from '@nestjs/common';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { throttleLimiter, type ThrottleStore } from '../common/throttle-limiter';
import { sessionHash } from '../sessions/shared-sessions';

export interface LoginThrottleLimits {
  /** Failed sign-ins from one source address within the window before it is throttled. */
  perSource: number;
  /** Failed sign-ins in one browser session within the window before it is throttled. */
  perSession: number;
  windowSeconds: number;
}

/**
 * Counts failed sign-ins per source address and per session, in PostgreSQL (`idp.throttles`) for
 * every IdP instance alike, and says when a new attempt must wait: a throttled attempt is answered
 * here, before the directory's credential check, so it costs no password hash there. Successful
 * sign-ins are not counted (many people may share one office address); a success clears its
 * session's count. A session is counted under its id's hash: the table holds no usable session id.
 */
export class LoginThrottle {
  private readonly logger = new Logger(LoginThrottle.name);
  private readonly bySource: RateLimiterAbstract;
  private readonly bySession: RateLimiterAbstract;

  constructor(
    private readonly limits: LoginThrottleLimits,
    store: ThrottleStore,
  ) {
    this.bySource = throttleLimiter(store, 'login-source', limits.perSource, limits.windowSeconds, true);
    this.bySession = throttleLimiter(store, 'login-session', limits.perSession, limits.windowSeconds);
  }

  /** Seconds until an attempt from here may be checked again, or 0 when it may be checked now. */
  async waitSeconds(sourceIp: string, sessionId: string): Promise<number> {
    const [source, session] = await Promise.all([this.bySource.get(sourceIp), this.bySession.get(sessionHash(sessionId))]);
    const waits = [
      source && source.consumedPoints >= this.limits.perSource ? source.msBeforeNext : 0,
      session && session.consumedPoints >= this.limits.perSession ? session.msBeforeNext : 0,
    ];
    const seconds = Math.ceil(Math.max(...waits) / 1000);
    if (seconds > 0) {
      const which = waits[0] > 0 ? 'source address' : 'session';
      this.logger.log({ sourceIp, retryAfterSeconds: seconds }, `Sign-in throttled per ${which}: too many failed attempts`);
    }
    return seconds;
  }

  async failed(sourceIp: string, sessionId: string): Promise<void> {
    await Promise.all([this.bySource.penalty(sourceIp), this.bySession.penalty(sessionHash(sessionId))]);
  }

  async succeeded(sessionId: string): Promise<void> {
    await this.bySession.delete(sessionHash(sessionId));
  }
}
