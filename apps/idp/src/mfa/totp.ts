import { createHash, randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as every authenticator app does it: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;
const DIGITS = 6;
/** A code of the step before or after the server's is accepted too: phones' clocks drift. */
const SKEW_STEPS = 1;

/** A new shared secret, base32 (what the QR code carries and the person may type): 160 bits, as RFC 4226 advises. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, issuer = '', label = ''): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: DIGITS, period: TOTP_PERIOD_SECONDS, secret: Secret.fromBase32(secret) });
}

/** The otpauth:// URI an authenticator app reads from the QR code. */
export function totpUri(secret: string, issuer: string, account: string): string {
  return totp(secret, issuer, account).toString();
}

/**
 * The time step a code belongs to, when it is right for the step at `now` or one either side and
 * newer than `lastStep` (the step of the last code accepted): a code is accepted once, so one seen
 * over a shoulder or in a proxy's log cannot be replayed, nor can an older one. null otherwise.
 */
export function verifyTotp(secret: string, code: string, lastStep: number | null, now: number): number | null {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const delta = totp(secret).validate({ token, timestamp: now, window: SKEW_STEPS });
  if (delta === null) return null;
  const step = Math.floor(now / 1000 / TOTP_PERIOD_SECONDS) + delta;
  return lastStep !== null && step <= lastStep ? null : step;
}

/** For tests and the enrolment check: the code of the step at `now`. */
export function totpCode(secret: string, now: number): string {
  return totp(secret).generate({ timestamp: now });
}

/** Recovery codes: 10 per set, each 10 characters of an alphabet without look-alikes (about 50 bits). */
export const RECOVERY_CODE_COUNT = 10;
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** A new set, as shown once to the person: `xxxxx-xxxxx`. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/**
 * What is stored of a recovery code: SHA-256 of its normalised form (case, spaces and dashes do
 * not matter to the person typing it). A fast hash is enough: the codes are random, not chosen,
 * and ~50 bits each with the sign-in throttle in front.
 */
export function recoveryCodeHash(code: string): string | null {
  const normal = code.toLowerCase().replace(/[\s-]+/g, '');
  if (normal.length !== 10 || [...normal].some((c) => !RECOVERY_ALPHABET.includes(c))) return null;
  return createHash('sha256').update(normal, 'utf8').digest('hex');
}
