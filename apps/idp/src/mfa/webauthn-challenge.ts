import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** Why a passkey ceremony is being run: each challenge is good for one purpose only. */
export type ChallengePurpose = 'register' | 'authenticate' | 'reverify';

/** How long a challenge may be answered: a person reading a page, then touching a key. */
export const CHALLENGE_TTL_MS = 5 * 60_000;

const VERSION = 1;
const RANDOM_BYTES = 16;
const MAC_BYTES = 16;

/**
 * WebAuthn challenges that need no row until they are used: the challenge carries its expiry and
 * an HMAC over (purpose, session, expiry, random bytes) under a key derived from the IdP's key
 * encryption key, so any IdP instance can check one another instance issued, and a challenge
 * from one session or ceremony is worth nothing in another. Single use is the caller's part: a
 * table of used challenges (`hash`), written in the statement that accepts one.
 */
export class WebAuthnChallenges {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'jit-idp', 'webauthn-challenge-v1', 32));
  }

  /** A new challenge (base64url) for `purpose` in the session `sessionId`. */
  issue(purpose: ChallengePurpose, sessionId: string, now = Date.now()): string {
    const body = Buffer.alloc(1 + 8 + RANDOM_BYTES);
    body.writeUInt8(VERSION, 0);
    body.writeBigUInt64BE(BigInt(now + CHALLENGE_TTL_MS), 1);
    randomBytes(RANDOM_BYTES).copy(body, 9);
    return Buffer.concat([body, this.mac(purpose, sessionId, body)]).toString('base64url');
  }

  /** When the challenge expires, if this instance's key made it for `purpose` in `sessionId` and it has not expired; else null. */
  check(challenge: string, purpose: ChallengePurpose, sessionId: string, now = Date.now()): Date | null {
    if (challenge.length > 128 || !/^[A-Za-z0-9_-]+$/.test(challenge)) return null;
    const raw = Buffer.from(challenge, 'base64url');
    if (raw.length !== 1 + 8 + RANDOM_BYTES + MAC_BYTES || raw.readUInt8(0) !== VERSION) return null;
    const body = raw.subarray(0, 1 + 8 + RANDOM_BYTES);
    if (!timingSafeEqual(raw.subarray(body.length), this.mac(purpose, sessionId, body))) return null;
    const expires = Number(body.readBigUInt64BE(1));
    return expires > now ? new Date(expires) : null;
  }

  private mac(purpose: ChallengePurpose, sessionId: string, body: Buffer): Buffer {
    return createHmac('sha256', this.key)
      .update(`${purpose}\0${createHash('sha256').update(sessionId).digest('hex')}\0`)
      .update(body)
      .digest()
      .subarray(0, MAC_BYTES);
  }
}

/** What the used-challenges table keys a challenge by. */
export function challengeHash(challenge: string): string {
  return createHash('sha256').update(challenge).digest('hex');
}
