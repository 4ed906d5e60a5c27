import assert from 'node:assert/strict';
import { X509Certificate, randomUUID } from 'node:crypto';
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ensureDatabase, serviceDataSourceOptions } from '@jit/persistence';
import { generateSigningCredentials } from '@jit/saml';
import { eventually, testEnv } from '@jit/testing';
import { loadIdpConfig } from '../config';
import { Initial1764300000000 } from '../migrations/1764300000000-Initial';
import type { KeyEncryption } from './key-encryption';
import { SsoOptions1764600000000 } from '../migrations/1764600000000-SsoOptions';
import { SigningKey } from './signing-key.entity';
import { SigningKeysList } from './signing-keys.controller';
import { SigningKeysService, type OrganizationCredentials } from './signing-keys.service';

/** Which of `certificates` the credentials' private key belongs to (its index), -1 for none. */
const signsAs = (credentials: OrganizationCredentials, certificates: string[]): number =>
  certificates.findIndex((pem) => new X509Certificate(pem).checkPrivateKey(credentials.privateKey));

describe('signing keys on a real PostgreSQL: rotation grace and several IdP instances', () => {
  const env = testEnv('signingkeys');
  let dataSource: DataSource;
  /** An IdP instance: its own in-memory key cache over the shared database. */
  const instance = (env: Record<string, string> = {}) =>
    new SigningKeysService(dataSource, loadIdpConfig({ IDP_KEY_ROTATION_GRACE_SECONDS: '3', IDP_KEY_CACHE_SECONDS: '1', ...env }));
  const later = () => new Date(Date.now() + 3_600_000);
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /**
   * Time passes for a scheduled key: its activation time moves in the database, to `inMs` from
   * now. Scheduling far ahead and then moving the time keeps the tests independent of how long
   * key generation takes on a busy machine. Instances see it once their copy is re-read.
   */
  const activateIn = (id: string, inMs = 0) =>
    dataSource.query(`UPDATE idp.signing_keys SET activates_at = now() + make_interval(secs => $2) WHERE id = $1`, [id, inMs / 1000]);
  /** Longer than IDP_KEY_CACHE_SECONDS: every instance with the default of these tests reads the keys again. */
  const cacheExpired = () => pause(1100);
  /** What an instance holds inside: its at-rest encryption (to count decrypts) and the private keys it keeps. */
  const internals = (idp: SigningKeysService) =>
    idp as unknown as { encryption: KeyEncryption; privateKeys: Map<string, Map<string, OrganizationCredentials>> };

  beforeAll(async () => {
    await ensureDatabase(env.databaseUrl, 'idp');
    dataSource = new DataSource(
      serviceDataSourceOptions({
        url: env.databaseUrl,
        schema: 'idp',
        entities: [SigningKey],
        migrations: [Initial1764300000000, SsoOptions1764600000000],
      }),
    );
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await env.cleanup();
  });

  it('keeps the retired certificate in metadata for the grace period after the switch, and never signs with it again', async () => {
    const idp = instance();
    const org = randomUUID();
    const [first] = await idp.publishedCertificates(org);
    assert.ok(first);
    const next = await idp.scheduleRotation(org, later());
    assert.deepEqual(await idp.publishedCertificates(org), [first, next.certificatePem]);
    await activateIn(next.id);
    await cacheExpired();

    assert.equal(signsAs(await idp.forOrganization(org), [next.certificatePem, first]), 0, 'the new key signs');
    assert.deepEqual(await idp.publishedCertificates(org), [next.certificatePem, first], 'the old certificate stays published');
    // Even once the copy is read again from the database (the grace is 3 s here).
    await cacheExpired();
    assert.deepEqual(await idp.publishedCertificates(org), [next.certificatePem, first]);
    assert.equal(signsAs(await idp.forOrganization(org), [next.certificatePem, first]), 0);

    await eventually(async () => assert.deepEqual(await idp.publishedCertificates(org), [next.certificatePem]), {
      timeoutMs: 5000,
      intervalMs: 100,
    });
  });

  it('lists the current key first, then the scheduled one, then the retired ones, with no private key; a replaced schedule is left out', async () => {
    const idp = instance();
    const org = randomUUID();
    const [first] = await idp.publishedCertificates(org);
    const replaced = await idp.scheduleRotation(org, later());
    const next = await idp.scheduleRotation(org, later());
    const listed = await idp.list(org);
    // Exactly the documented fields: a strict parse fails on any other (a private key among them).
    const strict = SigningKeysList.shape.items.element.strict();
    listed.forEach((item) => strict.parse(item));
    assert.deepEqual(
      listed.map((k) => [k.state, k.certificatePem]),
      [
        ['current', first],
        ['next', next.certificatePem],
      ],
    );
    assert.equal(
      listed.some((k) => k.id === replaced.id),
      false,
    );
    const [current, scheduled] = listed;
    assert.equal(scheduled?.id, next.id);
    assert.equal(scheduled?.activatesAt, next.activatesAt.toISOString());
    assert.equal(current?.fingerprintSha256, new X509Certificate(first ?? '').fingerprint256);
    assert.equal(current?.notAfter, new Date(new X509Certificate(first ?? '').validTo).toISOString());
    assert.deepEqual(
      (await idp.list(randomUUID())).map((k) => k.state),
      ['current'],
      'another organisation sees only its own (new) key',
    );

    await activateIn(next.id);
    await cacheExpired();
    assert.deepEqual(
      (await idp.list(org)).map((k) => [k.state, k.id]),
      [
        ['current', next.id],
        ['retired', current?.id],
      ],
      'the switch happens first, as for metadata',
    );
  });

  it('leaves a replaced schedule out of the grace: it never signed', async () => {
    const idp = instance();
    const org = randomUUID();
    const [first] = await idp.publishedCertificates(org);
    const replaced = await idp.scheduleRotation(org, later());
    const next = await idp.scheduleRotation(org, later());
    assert.notEqual(replaced.certificatePem, next.certificatePem);
    assert.deepEqual(await idp.publishedCertificates(org), [first, next.certificatePem]);
    await activateIn(next.id);
    await cacheExpired();
    assert.deepEqual(await idp.publishedCertificates(org), [next.certificatePem, first]);
  });

  it('a rotation scheduled through one instance is published and switched by another', async () => {
    const a = instance();
    const b = instance();
    const org = randomUUID();
    const [first] = await b.publishedCertificates(org);
    assert.ok(first);
    const next = await a.scheduleRotation(org, later());
    await eventually(async () => assert.deepEqual(await b.publishedCertificates(org), [first, next.certificatePem]), {
      timeoutMs: 3000,
      intervalMs: 100,
    });
    assert.equal(signsAs(await b.forOrganization(org), [first, next.certificatePem]), 0, 'not before its time');

    await activateIn(next.id);
    await cacheExpired();
    // Both reach the switch at once; one switches, the other finds it done.
    const [fromA, fromB] = await Promise.all([a.forOrganization(org), b.forOrganization(org)]);
    assert.equal(signsAs(fromA, [next.certificatePem]), 0);
    assert.equal(signsAs(fromB, [next.certificatePem]), 0);
    const rows = await dataSource.getRepository(SigningKey).find({ where: { organizationId: org }, order: { createdAt: 'ASC' } });
    assert.deepEqual(
      rows.map((r) => ({ active: r.active, retired: r.retiresAt !== null })),
      [
        { active: false, retired: true },
        { active: true, retired: false },
      ],
    );
  });

  it('sign-ins arriving together at the activation time share one switch', async () => {
    const idp = instance();
    const org = randomUUID();
    const [first] = await idp.publishedCertificates(org);
    const next = await idp.scheduleRotation(org, later());
    await activateIn(next.id);
    await cacheExpired();

    const transactions = jest.spyOn(dataSource, 'transaction');
    const signers = await Promise.all(Array.from({ length: 20 }, () => idp.forOrganization(org)));
    assert.equal(transactions.mock.calls.length, 1, 'one activation transaction for 20 sign-ins');
    for (const credentials of signers) assert.equal(signsAs(credentials, [next.certificatePem, first ?? '']), 0);
    assert.equal(new Set(signers.map((c) => c.privateKey)).size, 1, 'and one re-read after it');
    // Once done, a later due key is switched again (nothing left over from the first switch).
    const after = await idp.scheduleRotation(org, later());
    await activateIn(after.id);
    await cacheExpired();
    assert.equal(signsAs(await idp.forOrganization(org), [after.certificatePem]), 0);
    assert.equal(transactions.mock.calls.length, 3, 'the schedule and the second switch');
  });

  it('a re-read of the keys decrypts only private keys it has not seen, and forgets those no longer listed', async () => {
    const idp = instance();
    const org = randomUUID();
    const decrypts = jest.spyOn(internals(idp).encryption, 'decrypt');
    const [first] = await idp.publishedCertificates(org);
    assert.equal(decrypts.mock.calls.length, 1, 'the new active key');
    const signer = await idp.forOrganization(org);
    await cacheExpired();
    assert.equal((await idp.forOrganization(org)).privateKey, signer.privateKey, 'read again, the same KeyObject');
    await cacheExpired();
    assert.deepEqual((await idp.publishedCertificates(org))[0], first);
    assert.equal(decrypts.mock.calls.length, 1, 'two re-reads, no decrypt');

    const next = await idp.scheduleRotation(org, later());
    assert.deepEqual(await idp.publishedCertificates(org), [first, next.certificatePem]);
    assert.equal(decrypts.mock.calls.length, 2, 'only the scheduled key');
    await activateIn(next.id);
    await cacheExpired();
    assert.equal(signsAs(await idp.forOrganization(org), [next.certificatePem]), 0);
    assert.equal(decrypts.mock.calls.length, 2, 'the switch and its re-read decrypt nothing');
    assert.deepEqual([...(internals(idp).privateKeys.get(org)?.keys() ?? [])], [next.id], 'the retired key is forgotten');

    // Should a key's material ever change under the same id, its certificate changes with it: decrypted again.
    const replacement = await generateSigningCredentials('replacement.example', 1);
    await dataSource
      .getRepository(SigningKey)
      .update(
        { id: next.id },
        { certificatePem: replacement.certificatePem, privateKeyEncrypted: internals(idp).encryption.encrypt(replacement.privateKeyPem) },
      );
    await cacheExpired();
    assert.equal(signsAs(await idp.forOrganization(org), [replacement.certificatePem]), 0);
    assert.equal(decrypts.mock.calls.length, 3);
  });

  it('an instance holding a schedule that another instance replaced does not switch to it', async () => {
    const a = instance();
    const org = randomUUID();
    const [first] = await a.publishedCertificates(org);
    const replaced = await a.scheduleRotation(org, later());
    // The slow instance reads it due in 1.5 s, and keeps that copy for a minute.
    await activateIn(replaced.id, 1500);
    const slow = instance({ IDP_KEY_CACHE_SECONDS: '60' });
    const dueAt = Date.now() + 1500;
    assert.deepEqual(await slow.publishedCertificates(org), [first, replaced.certificatePem]);
    // Back to later in the database, so that the replacement below finds it still pending however
    // long its key generation takes; the slow instance's copy still says 1.5 s.
    await activateIn(replaced.id, 3_600_000);
    const next = await a.scheduleRotation(org, later());
    await pause(Math.max(0, dueAt - Date.now()) + 100);

    const credentials = await slow.forOrganization(org);
    assert.equal(signsAs(credentials, [first, replaced.certificatePem]), 0, 'still the first key, never the replaced one');
    assert.deepEqual(await slow.publishedCertificates(org), [first, next.certificatePem], 'and it has read the new schedule');
  });
});
