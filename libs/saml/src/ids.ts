import { randomFillSync } from 'node:crypto';

/**
 * Random bytes from the CSPRNG, handed out from a pooled buffer: one randomFillSync per 4 KiB
 * instead of one randomBytes call per value. A randomBytes call costs about 7 µs whatever its
 * size, and a sign-in takes three (Response ID, Assertion ID, the page's CSP nonce); a pooled
 * value about 0.2 µs. The bytes are the same CSPRNG output and each is handed out once (Node's
 * own randomUUID pools the same way). For public values only: IDs and nonces, not keys or
 * session secrets, whose bytes should not sit in a long-lived buffer.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

export function randomToken(bytes: number, encoding: 'hex' | 'base64' | 'base64url'): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > POOL_BYTES)
    throw new RangeError(`randomToken: 1 to ${POOL_BYTES} bytes, not ${bytes}`);
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const token = pool.toString(encoding, offset, offset + bytes);
  offset += bytes;
  return token;
}

/**
 * A fresh SAML ID. 160 random bits make IDs unguessable (SPs use them for replay and InResponseTo
 * checks); the leading underscore keeps the value a valid xs:ID (an NCName cannot start with a digit).
 */
export function newSamlId(): string {
  return `_${randomToken(20, 'hex')}`;
}
