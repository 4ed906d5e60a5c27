import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
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
import { TOTP_PERIOD_SECONDS, totpCode } from './totp';
import { OutboxStreamSequence1767200000000 } from '../migrations/1767200000000-OutboxStreamSequence';

/**
 * MfaService on a real PostgreSQL and NATS: what is stored (no secret, no code in the clear), that
 * a code is accepted once even by two IdP instances at the same moment, and the audit events.
 */
describe('MfaService on PostgreSQL', () => {
  const env = testEnv('mfa');
  let dataSource: DataSource;
  let bus: NatsBus;
  let mfa: MfaService;
  let other: MfaService;
  const organizationId = randomUUID();
  const STEP = TOTP_PERIOD_SECONDS * 1000;

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
    mfa = new MfaService(dataSource, audit, loadIdpConfig({}));
    // A second IdP instance over the same database.
    other = new MfaService(dataSource, audit, loadIdpConfig({}));
  });

  afterAll(async () => {
    await bus?.close();
    await dataSource?.destroy();
    await env.cleanup();
  });

  /** A person with a confirmed TOTP factor, enrolled at `at`; answers the secret and the recovery codes. */
  const enrolled = async (at: number) => {
    const who = { organizationId, userId: randomUUID() };
    const { factorId, secret } = await mfa.startTotp(who);
    const codes = await mfa.confirmTotp(who, factorId, totpCode(secret, at), at);
    assert.ok(codes && codes.length === 10);
    return { who, factorId, secret, codes };
  };

  it('stores the secret encrypted and recovery codes as SHA-256 only', async () => {
    const { who, secret, codes } = await enrolled(Date.now());
    const [row] = await dataSource.query<{ data: string }[]>(`SELECT data FROM idp.mfa_factors WHERE user_id = $1`, [who.userId]);
    assert.equal(row.data.includes(secret), false);
    assert.equal(Buffer.from(row.data, 'base64').toString('latin1').includes(secret), false);
    const hashes = await dataSource.query<{ code_hash: string }[]>(`SELECT code_hash FROM idp.mfa_recovery_codes WHERE user_id = $1`, [
      who.userId,
    ]);
    assert.equal(hashes.length, 10);
    for (const { code_hash } of hashes) {
      assert.match(code_hash, /^[0-9a-f]{64}$/);
      assert.equal(
        codes.some((c) => code_hash.includes(c.replace('-', ''))),
        false,
      );
    }
  });

  it('does not count an unconfirmed factor, and refuses a wrong confirming code', async () => {
    const who = { organizationId, userId: randomUUID() };
    const { factorId, secret } = await mfa.startTotp(who);
    assert.equal(await mfa.hasConfirmedFactor(who), false);
    const now = Date.now();
    assert.equal(await mfa.verify(who, totpCode(secret, now), now), null, 'not confirmed: no sign-in with it');
    assert.equal(await mfa.confirmTotp(who, factorId, totpCode(secret, now + 3 * STEP), now), null);
    assert.equal(await mfa.hasConfirmedFactor(who), false);
  });

  it('accepts a code once, even when two instances check it at the same moment', async () => {
    const now = Date.now();
    const { who, secret } = await enrolled(now - 5 * STEP);
    const code = totpCode(secret, now);
    const answers = await Promise.all([mfa.verify(who, code, now), other.verify(who, code, now)]);
    assert.deepEqual(
      answers.filter((a) => a !== null),
      ['totp'],
    );
    assert.equal(await mfa.verify(who, code, now), null, 'replayed later');
    assert.equal(await mfa.verify(who, totpCode(secret, now - STEP), now), null, 'an older step');
    assert.equal(await mfa.verify(who, totpCode(secret, now + STEP), now), 'totp', 'the next step');
  });

  it('accepts each recovery code once; a new set voids the old one', async () => {
    const { who, codes } = await enrolled(Date.now());
    assert.equal(await mfa.verify(who, codes[0]), 'recovery_code');
    assert.equal(await mfa.verify(who, codes[0]), null);
    assert.equal(await mfa.recoveryCodesLeft(who), 9);
    const fresh = await mfa.regenerateRecoveryCodes(who);
    assert.equal(await mfa.verify(who, codes[1]), null, 'the old set is void');
    assert.equal(await mfa.verify(who, fresh[0]), 'recovery_code');
    assert.equal(await mfa.verify({ ...who, userId: randomUUID() }, fresh[1]), null, 'another person’s code');
  });

  it('removing the last factor removes the recovery codes; a reset removes everything', async () => {
    const a = await enrolled(Date.now());
    assert.equal(await mfa.remove(a.who, a.factorId), true);
    assert.deepEqual(await mfa.factors(a.who), []);
    assert.equal(await mfa.recoveryCodesLeft(a.who), 0);
    const b = await enrolled(Date.now());
    assert.equal(await mfa.reset(b.who), 1);
    assert.equal(await mfa.hasConfirmedFactor(b.who), false);
    assert.equal(await mfa.verify(b.who, b.codes[0]), null);
  });

  it('keeps the organisation’s policy, off until set', async () => {
    const org = randomUUID();
    assert.equal(await mfa.policy(org), 'off');
    await mfa.setPolicy(org, 'required');
    assert.equal(await mfa.policy(org), 'required');
    await mfa.setPolicy(org, 'optional');
    assert.equal(await other.policy(org), 'optional');
  });

  it('records enrolment, success, refusal, regeneration, removal and reset as audit events, never a code', async () => {
    const { who, factorId, codes } = await enrolled(Date.now());
    await mfa.verify(who, codes[0]);
    mfa.rejected(who, 'wrong_code');
    await mfa.regenerateRecoveryCodes(who);
    await mfa.remove(who, factorId);
    await mfa.reset(who);
    await eventually(async () => {
      const events = (await readStream(env.natsUrl, bus.naming.stream(IDP_STREAM.name))).filter((e) => e.payload.userId === who.userId);
      assert.deepEqual(events.map((e) => e.subject.replace(/^.*idp\.mfa\./, '')).sort(), [
        'enrolled.v1',
        'recovery-codes-regenerated.v1',
        'rejected.v1',
        'removed.v1',
        'reset.v1',
        'verified.v1',
      ]);
      assert.equal(JSON.stringify(events).includes(codes[0]), false);
    });
  });
});
