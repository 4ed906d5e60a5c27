import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { encodeCBOR } from '@levischuck/tiny-cbor';
import { DataSource } from 'typeorm';
import { IDP_STREAM } from '@jit/idp-contracts';
import { NatsBus, OutboxMessage } from '@jit/messaging';
import { ensureDatabase, serviceDataSourceOptions } from '@jit/persistence';
import { ServiceMetrics } from '@jit/service';
import { eventually, readStream, testEnv } from '@jit/testing';
import { AuditService } from '../audit/audit.service';
import { loadIdpConfig } from '../config';
import { Initial1764300000000 } from '../migrations/1764300000000-Initial';
import { SsoOptions1764600000000 } from '../migrations/1764600000000-SsoOptions';
import { ConsumerPositions1765000000000 } from '../migrations/1765000000000-ConsumerPositions';
import { AdminRoles1765600000000 } from '../migrations/1765600000000-AdminRoles';
import { Mfa1766000000000 } from '../migrations/1766000000000-Mfa';
import { Passkeys1766100000000 } from '../migrations/1766100000000-Passkeys';
import { MfaService } from './mfa.service';
import { PasskeysService } from './passkeys.service';
import { OutboxStreamSequence1767200000000 } from '../migrations/1767200000000-OutboxStreamSequence';

const ORIGIN = 'https://idp.example.com';
const RP_ID = 'idp.example.com';
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

/**
 * A software authenticator (ES256, attestation "none"), as a browser's would answer: enough to
 * drive the library's real checks from a test (signatures, challenge, origin, rpID, flags, counter).
 */
class SoftAuthenticator {
  readonly credentialId = randomBytes(32);
  private readonly key: KeyObject;
  private readonly publicJwk: { x: string; y: string };
  counter = 0;
  /** The user-verified flag the authenticator sets (a PIN or biometric was checked). */
  userVerified = true;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.key = privateKey;
    this.publicJwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
  }

  register(options: { challenge: string; rp: { id?: string } }, origin = ORIGIN): string {
    const cose = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, new Uint8Array(Buffer.from(this.publicJwk.x, 'base64url'))],
      [-3, new Uint8Array(Buffer.from(this.publicJwk.y, 'base64url'))],
    ]);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      this.header(options.rp.id ?? RP_ID, 0x40),
      Buffer.alloc(16), // AAGUID
      idLength,
      this.credentialId,
      Buffer.from(encodeCBOR(cose)),
    ]);
    const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin, crossOrigin: false }));
    const attestationObject = encodeCBOR(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', new Uint8Array(authData)],
      ]) as Parameters<typeof encodeCBOR>[0],
    );
    const id = this.credentialId.toString('base64url');
    return JSON.stringify({
      id,
      rawId: id,
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: clientData.toString('base64url'),
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        transports: ['internal'],
      },
    });
  }

  authenticate(options: { challenge: string }, opts: { origin?: string; userHandle?: string; counter?: number } = {}): string {
    this.counter = opts.counter ?? this.counter + 1;
    const authData = this.header(RP_ID, 0);
    const clientData = Buffer.from(
      JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin: opts.origin ?? ORIGIN, crossOrigin: false }),
    );
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), this.key);
    const id = this.credentialId.toString('base64url');
    return JSON.stringify({
      id,
      rawId: id,
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: clientData.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        ...(opts.userHandle ? { userHandle: opts.userHandle } : {}),
      },
    });
  }

  /** rpIdHash, flags (UP, UV when verified, plus `extra`), the signature counter. */
  private header(rpId: string, extra: number): Buffer {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    return Buffer.concat([sha256(rpId), Buffer.from([0x01 | (this.userVerified ? 0x04 : 0) | extra]), counter]);
  }
}

/**
 * PasskeysService on a real PostgreSQL and NATS, with a software authenticator: what a passkey's
 * row holds, that a challenge is good once (on any instance), for one session and one ceremony,
 * that user verification is required, that a counter going back is refused as a possible clone,
 * that a credential id cannot be registered twice, and the audit events.
 */
describe('PasskeysService on PostgreSQL', () => {
  const env = testEnv('passkeys');
  let dataSource: DataSource;
  let bus: NatsBus;
  let passkeys: PasskeysService;
  let other: PasskeysService;
  const organizationId = randomUUID();

  beforeAll(async () => {
    await ensureDatabase(env.databaseUrl, 'idp');
    dataSource = new DataSource(
      serviceDataSourceOptions({
        url: env.databaseUrl,
        schema: 'idp',
        entities: [OutboxMessage],
        migrations: [
          Initial1764300000000,
          SsoOptions1764600000000,
          ConsumerPositions1765000000000,
          AdminRoles1765600000000,
          Mfa1766000000000,
          Passkeys1766100000000,
          OutboxStreamSequence1767200000000,
        ],
      }),
    );
    await dataSource.initialize();
    await dataSource.runMigrations();
    bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'idp' });
    await bus.ensureStream(IDP_STREAM);
    const audit = new AuditService(bus, dataSource, new ServiceMetrics());
    const config = loadIdpConfig({ IDP_BASE_URL: `${ORIGIN}/` });
    passkeys = new PasskeysService(dataSource, audit, new MfaService(dataSource, audit, config), config);
    // A second IdP instance over the same database, with the same key encryption key.
    other = new PasskeysService(dataSource, audit, new MfaService(dataSource, audit, config), config);
  });

  afterAll(async () => {
    await bus?.close();
    await dataSource?.destroy();
    await env.cleanup();
  });

  const account = { name: 'ada@example.com', displayName: 'Ada Lovelace' };
  /** A person with a passkey registered in session `session`. */
  const registered = async (session = randomUUID()) => {
    const who = { organizationId, userId: randomUUID() };
    const authenticator = new SoftAuthenticator();
    const options = await passkeys.registrationOptions(session, who, account);
    const result = await passkeys.register(session, who, authenticator.register(options), '  Work laptop ');
    assert.equal(result.ok, true, JSON.stringify(result));
    return { who, authenticator, result };
  };

  it('registers a passkey: the relying party is the public URL, user verification and a discoverable credential required', async () => {
    const session = randomUUID();
    const who = { organizationId, userId: randomUUID() };
    const options = await passkeys.registrationOptions(session, who, account);
    assert.equal(options.rp.id, RP_ID);
    assert.deepEqual(options.authenticatorSelection, { residentKey: 'required', userVerification: 'required', requireResidentKey: true });
    assert.equal(options.attestation, 'none');
    const authenticator = new SoftAuthenticator();
    const result = await passkeys.register(session, who, authenticator.register(options), '  Work laptop ');
    assert.equal(result.ok, true);
    assert.equal(result.ok && result.recoveryCodes.length, 10, 'the first factor brings recovery codes');
    const [row] = await dataSource.query<Record<string, unknown>[]>(
      `SELECT kind, confirmed, name, credential_id, sign_count, transports, backup_eligible, backed_up, aaguid, data
       FROM idp.mfa_factors WHERE user_id = $1`,
      [who.userId],
    );
    assert.deepEqual(
      { ...row, sign_count: String(row.sign_count) },
      {
        kind: 'webauthn',
        confirmed: true,
        name: 'Work laptop',
        credential_id: authenticator.credentialId.toString('base64url'),
        sign_count: '0',
        transports: ['internal'],
        backup_eligible: false,
        backed_up: false,
        aaguid: '00000000-0000-0000-0000-000000000000',
        data: null,
      },
    );
    // The next registration of the same person excludes it.
    const again = await passkeys.registrationOptions(session, who, account);
    assert.deepEqual(
      again.excludeCredentials?.map((c) => c.id),
      [authenticator.credentialId.toString('base64url')],
    );
  });

  it('refuses a registration from another origin, without user verification, for another session, or a credential id already registered', async () => {
    const who = { organizationId, userId: randomUUID() };
    const session = randomUUID();
    const options = await passkeys.registrationOptions(session, who, account);
    const authenticator = new SoftAuthenticator();
    assert.deepEqual(await passkeys.register(session, who, authenticator.register(options, 'https://idp.example.com.evil.test'), ''), {
      ok: false,
      reason: 'invalid_passkey',
    });
    assert.deepEqual(await passkeys.register(randomUUID(), who, authenticator.register(options), ''), { ok: false, reason: 'expired' });
    authenticator.userVerified = false;
    assert.deepEqual(await passkeys.register(session, who, authenticator.register(options), ''), { ok: false, reason: 'invalid_passkey' });
    assert.deepEqual(await passkeys.register(session, who, '{"not":"a credential"}', ''), { ok: false, reason: 'malformed' });
    // Someone registering another person's credential id as theirs.
    const { authenticator: theirs } = await registered();
    const thief = { organizationId, userId: randomUUID() };
    const stolen = Object.assign(new SoftAuthenticator(), { credentialId: theirs.credentialId });
    const thiefOptions = await passkeys.registrationOptions(session, thief, account);
    assert.deepEqual(await passkeys.register(session, thief, stolen.register(thiefOptions), ''), {
      ok: false,
      reason: 'already_registered',
    });
  });

  it('signs in passwordless with a discoverable passkey, and accepts each challenge once, even on two instances at the same moment', async () => {
    const { who, authenticator } = await registered();
    const session = randomUUID();
    const options = await passkeys.authenticationOptions('authenticate', session);
    assert.equal(options.userVerification, 'required');
    assert.deepEqual(options.allowCredentials, []);
    // A synced passkey keeps no counter (always 0): only the challenge's single use stops a replay.
    const answer = authenticator.authenticate(options, { counter: 0 });
    const results = await Promise.all([
      passkeys.authenticate('authenticate', session, organizationId, answer),
      other.authenticate('authenticate', session, organizationId, answer),
    ]);
    assert.deepEqual(results.map((r) => (r.ok ? 'accepted' : r.reason)).sort(), ['accepted', 'expired']);
    const accepted = results.find((r) => r.ok);
    assert.equal(accepted?.ok && accepted.userId, who.userId);
    assert.deepEqual(await passkeys.authenticate('authenticate', session, organizationId, answer), {
      ok: false,
      reason: 'expired',
      userId: who.userId,
    });
  });

  it('refuses an answer for another session, another ceremony, another organisation, another person, from another origin, or without user verification', async () => {
    const { who, authenticator } = await registered();
    const session = randomUUID();
    const reverify = await passkeys.authenticationOptions('reverify', session, who);
    assert.deepEqual(
      reverify.allowCredentials?.map((c) => c.id),
      [authenticator.credentialId.toString('base64url')],
    );
    const signIn = await passkeys.authenticationOptions('authenticate', session);
    const refused = async (...args: Parameters<PasskeysService['authenticate']>) => {
      const result = await passkeys.authenticate(...args);
      return result.ok ? 'accepted' : result.reason;
    };
    assert.equal(await refused('authenticate', randomUUID(), organizationId, authenticator.authenticate(signIn)), 'expired');
    assert.equal(await refused('authenticate', session, organizationId, authenticator.authenticate(reverify)), 'expired');
    assert.equal(await refused('authenticate', session, randomUUID(), authenticator.authenticate(signIn)), 'unknown_passkey');
    assert.equal(await refused('reverify', session, organizationId, authenticator.authenticate(reverify), randomUUID()), 'unknown_passkey');
    assert.equal(
      await refused('authenticate', session, organizationId, authenticator.authenticate(signIn, { origin: 'https://evil.test' })),
      'invalid_passkey',
    );
    assert.equal(
      await refused('authenticate', session, organizationId, authenticator.authenticate(signIn, { userHandle: 'c29tZW9uZS1lbHNl' })),
      'invalid_passkey',
    );
    authenticator.userVerified = false;
    assert.equal(await refused('authenticate', session, organizationId, authenticator.authenticate(signIn)), 'invalid_passkey');
    authenticator.userVerified = true;
    assert.equal(await refused('reverify', session, organizationId, authenticator.authenticate(reverify), who.userId), 'accepted');
  });

  it('an authenticator with a counter: a replayed answer is refused by the counter too', async () => {
    const { authenticator } = await registered();
    const session = randomUUID();
    const answer = authenticator.authenticate(await passkeys.authenticationOptions('authenticate', session));
    assert.equal((await passkeys.authenticate('authenticate', session, organizationId, answer)).ok, true);
    const replay = await other.authenticate('authenticate', session, organizationId, answer);
    assert.equal(replay.ok, false);
  });

  it('refuses a signature counter that goes back (a cloned authenticator) and records every outcome as an audit event', async () => {
    const { who, authenticator, result } = await registered();
    const session = randomUUID();
    const first = await passkeys.authenticate(
      'authenticate',
      session,
      organizationId,
      authenticator.authenticate(await passkeys.authenticationOptions('authenticate', session), { counter: 5 }),
    );
    assert.equal(first.ok, true);
    const clone = await passkeys.authenticate(
      'authenticate',
      session,
      organizationId,
      authenticator.authenticate(await passkeys.authenticationOptions('authenticate', session), { counter: 5 }),
    );
    assert.deepEqual(clone, { ok: false, reason: 'passkey_counter_regressed', userId: who.userId });
    const [row] = await dataSource.query<{ sign_count: string }[]>(`SELECT sign_count FROM idp.mfa_factors WHERE id = $1`, [
      result.factorId,
    ]);
    assert.equal(row.sign_count, '5');
    await eventually(async () => {
      const events = (await readStream(env.natsUrl, bus.naming.stream(IDP_STREAM.name))).filter((e) => e.payload.userId === who.userId);
      assert.deepEqual(
        events.map((e) => [e.subject.replace(/^.*idp\.mfa\./, ''), e.payload.kind ?? e.payload.method ?? e.payload.reason]),
        [
          ['enrolled.v1', 'webauthn'],
          ['verified.v1', 'webauthn'],
          ['rejected.v1', 'passkey_counter_regressed'],
        ],
      );
      assert.equal(events[1]?.payload.passwordless, true);
    });
  });

  it('renames a passkey of its owner only, with an audit event; a refused rename changes and records nothing', async () => {
    const { who, result } = await registered();
    const stranger = { organizationId, userId: randomUUID() };
    assert.equal(await passkeys.rename(who, result.factorId, 'Phone'), true);
    assert.equal(await passkeys.rename(stranger, result.factorId, 'Mine now'), false);
    assert.equal(await passkeys.rename({ organizationId: randomUUID(), userId: who.userId }, result.factorId, 'Elsewhere'), false);
    const [row] = await dataSource.query<{ name: string }[]>(`SELECT name FROM idp.mfa_factors WHERE id = $1`, [result.factorId]);
    assert.equal(row.name, 'Phone');
    await eventually(async () => {
      const events = (await readStream(env.natsUrl, bus.naming.stream(IDP_STREAM.name))).filter(
        (e) => e.payload.userId === who.userId || e.payload.userId === stranger.userId,
      );
      assert.deepEqual(
        events.map((e) => [
          e.scopedSubject.replace(/^.*idp\.mfa\./, '').replace(`.${who.organizationId}.${who.userId}`, '.<person>'),
          e.payload,
        ]),
        [
          ['enrolled.v1.<person>', { ...who, factorId: result.factorId, kind: 'webauthn', occurredAt: events[0]?.payload.occurredAt }],
          ['renamed.v1.<person>', { ...who, factorId: result.factorId, kind: 'webauthn', occurredAt: events[1]?.payload.occurredAt }],
        ],
      );
    });
  });
});
