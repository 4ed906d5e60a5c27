import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * What makes the bus not a trust boundary: every message our services put on NATS is
 * authenticated with key material the services share and NATS does not hold, so a client that
 * can publish forges no event, request or answer, and one that can subscribe reads no request or
 * answer (a password in a credential check, a snapshot of every organisation's users).
 *
 * - Events (JetStream, via the outbox) keep their JSON body, readable in the stream, and carry an
 *   HMAC-SHA256 of their subject and body in the `Jit-Bus-Auth` header. They hold no secret.
 * - Requests and answers (core NATS request/reply, snapshots included) are sealed whole with
 *   AES-256-GCM: `01 | key id (4) | nonce (12) | ciphertext | tag (16)`. A request's additional
 *   data binds its subject and reply subject; an answer's binds that reply subject and the
 *   request's nonce, so an answer fits exactly one request and cannot be replayed to another.
 *
 * One HMAC or one GCM operation per message. Keys: BUS_KEYS, a list; the first signs and seals,
 * every one verifies and opens (rotation: add the new key last everywhere, then first, then drop
 * the old). A message names its key by an id derived from it, so checking costs one operation.
 */

export const BUS_AUTH_HEADER = 'Jit-Bus-Auth';

const VERSION = 1;
const KID_BYTES = 4;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEAD_BYTES = 1 + KID_BYTES + NONCE_BYTES;

interface BusKey {
  /** Derived from the key: names it on the wire without revealing anything about it. */
  id: Buffer;
  idHex: string;
  /** HMAC-SHA256 key for events. */
  mac: Buffer;
  /** AES-256-GCM key for requests and answers. */
  enc: Buffer;
}

function deriveKey(secret: string): BusKey {
  // HKDF (RFC 5869) spreads the secret, whatever characters it has, over independent keys.
  const okm = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'jit-bus/v1', 'event-mac|rpc-aead|key-id', 68));
  const id = okm.subarray(64, 68);
  return { mac: okm.subarray(0, 32), enc: okm.subarray(32, 64), id, idHex: id.toString('hex') };
}

/** Why a message was refused; `unknown-key` usually means BUS_KEYS differ between services. */
export type BusRefusal = 'missing' | 'unknown-key' | 'forged';

export class BusSeal {
  private readonly current: BusKey;
  private readonly byId: Map<string, BusKey>;

  constructor(secrets: readonly string[]) {
    const keys = secrets.map(deriveKey);
    const [current] = keys;
    if (!current) throw new Error('BusSeal needs at least one key');
    this.current = current;
    this.byId = new Map(keys.map((k) => [k.idHex, k]));
  }

  /** The `Jit-Bus-Auth` header value for an event on `subject` (the subject on the wire, prefix included). */
  eventTag(subject: string, body: Uint8Array): string {
    return `v1.${this.current.idHex}.${eventMac(this.current, subject, body).toString('base64url')}`;
  }

  /** Checks an event's header; undefined when it is authentic, else why not. */
  verifyEvent(subject: string, body: Uint8Array, tag: string | undefined): BusRefusal | undefined {
    const [version, kid, mac] = (tag ?? '').split('.');
    if (version !== 'v1' || !kid || !mac) return 'missing';
    const key = this.byId.get(kid);
    if (!key) return 'unknown-key';
    const expected = eventMac(key, subject, body);
    const given = Buffer.from(mac, 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'forged';
  }

  /** Seals a request sent on `subject` whose answer is expected on `reply`. */
  sealRequest(subject: string, reply: string, plaintext: Uint8Array): Buffer {
    return this.seal(requestAad(subject, reply), plaintext);
  }

  /** Opens a request received on `subject` with reply subject `reply`. */
  openRequest(subject: string, reply: string, sealed: Uint8Array): { plaintext: Buffer; nonce: Buffer } | BusRefusal {
    const plaintext = this.open(requestAad(subject, reply), sealed);
    return typeof plaintext === 'string' ? plaintext : { plaintext, nonce: nonceOf(sealed) };
  }

  /** Seals the answer to the request with `requestNonce`, sent to `reply`. */
  sealReply(reply: string, requestNonce: Uint8Array, plaintext: Uint8Array): Buffer {
    return this.seal(replyAad(reply, requestNonce), plaintext);
  }

  /** Opens an answer arriving on `reply` to the sealed request `request`. */
  openReply(reply: string, request: Uint8Array, sealed: Uint8Array): Buffer | BusRefusal {
    return this.open(replyAad(reply, nonceOf(request)), sealed);
  }

  private seal(aad: Buffer, plaintext: Uint8Array): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.enc, nonce);
    cipher.setAAD(aad);
    const head = Buffer.concat([Buffer.of(VERSION), this.current.id, nonce]);
    return Buffer.concat([head, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  }

  private open(aad: Buffer, sealed: Uint8Array): Buffer | BusRefusal {
    if (!isSealed(sealed) || sealed.length < HEAD_BYTES + TAG_BYTES) return 'missing';
    const data = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    const key = this.byId.get(data.subarray(1, 1 + KID_BYTES).toString('hex'));
    if (!key) return 'unknown-key';
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.enc, data.subarray(1 + KID_BYTES, HEAD_BYTES));
      decipher.setAAD(aad);
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      return Buffer.concat([decipher.update(data.subarray(HEAD_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      return 'forged';
    }
  }
}

/** Whether a body is sealed at all (JSON never starts with this byte): anything else is plain. */
export function isSealed(data: Uint8Array): boolean {
  return data.length > 0 && data[0] === VERSION;
}

function nonceOf(sealed: Uint8Array): Buffer {
  return Buffer.from(sealed.subarray(1 + KID_BYTES, HEAD_BYTES));
}

function eventMac(key: BusKey, subject: string, body: Uint8Array): Buffer {
  // The subject first, closed by a byte no subject holds: body bytes cannot pass for subject ones.
  return createHmac('sha256', key.mac).update(`jit-bus/v1 event\0${subject}\0`).update(body).digest();
}

function requestAad(subject: string, reply: string): Buffer {
  return Buffer.from(`jit-bus/v1 request\0${subject}\0${reply}`);
}

function replyAad(reply: string, requestNonce: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`jit-bus/v1 reply\0${reply}\0`), requestNonce]);
}
