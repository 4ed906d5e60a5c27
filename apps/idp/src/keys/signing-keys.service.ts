import { X509Certificate, createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, IsNull, MoreThan } from 'typeorm';
import { generateSigningCredentials } from '@jit/saml';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { KeyEncryption } from './key-encryption';
import { SigningKey } from './signing-key.entity';

export interface OrganizationCredentials {
  privateKey: KeyObject;
  certificatePem: string;
}

/** A signing key as administrators see it: never its private key. */
export interface SigningKeyView {
  id: string;
  state: 'current' | 'next' | 'retired';
  activatesAt: string;
  createdAt: string;
  notAfter: string;
  fingerprintSha256: string;
  certificatePem: string;
}

const STATE_ORDER: Record<SigningKeyView['state'], number> = { current: 0, next: 1, retired: 2 };

interface OrganizationKeys {
  active: OrganizationCredentials & { id: string };
  /** Published in metadata now, signing from `activatesAt` on. */
  next: (OrganizationCredentials & { id: string; activatesAt: Date }) | null;
  /** Signed until a switch, published until the end of the grace period; no private key: it never signs again. */
  retired: { certificatePem: string; publishedUntil: Date }[];
}

/**
 * Signing keys per organisation, created the first time the organisation needs one, stored with
 * the private key encrypted (AES-256-GCM, key from IDP_KEY_ENCRYPTION_KEY) and kept decrypted in
 * memory as KeyObjects (a PEM parse per signature would triple its cost).
 *
 * Rotation: `scheduleRotation` creates the next key with a future activation time. Metadata lists
 * it at once beside the active one, so SPs that refresh metadata trust it before it signs
 * anything; at its activation time the switch happens on the next signature (checked in memory),
 * and the old key is retired. The retired certificate stays in metadata for
 * IDP_KEY_ROTATION_GRACE_SECONDS after the switch, so that SPs are not cut off the moment it
 * happens; its private key is not even loaded.
 *
 * Several IdP instances share the keys through the database: each reads them again once its copy
 * is IDP_KEY_CACHE_SECONDS old, so a rotation scheduled through one instance reaches the others
 * (long before it activates, the minimum notice being longer). Whichever instance reaches the
 * activation time first switches; the others find the switch done. Within an instance, the
 * sign-ins that find the activation time passed share one switch, and a re-read decrypts only
 * the private keys it has not seen before.
 */
@Injectable()
export class SigningKeysService {
  private readonly logger = new Logger(SigningKeysService.name);
  private readonly cache = new Map<string, { loadedAt: number; keys: Promise<OrganizationKeys> }>();
  /** The switch to a scheduled key in progress, per organisation: concurrent sign-ins wait for the same one. */
  private readonly activations = new Map<string, Promise<void>>();
  /**
   * Per organisation, the decrypted private keys of the keys that may sign (active and next), by
   * key id: a re-read every IDP_KEY_CACHE_SECONDS finds the same keys almost always, and an
   * AES-GCM decrypt plus a PEM parse per key and re-read is work for nothing. A key no longer
   * listed is dropped at the re-read that no longer lists it.
   */
  private readonly privateKeys = new Map<string, Map<string, OrganizationCredentials>>();
  private readonly encryption: KeyEncryption;
  private readonly graceMs: number;
  private readonly cacheMs: number;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(IDP_CONFIG) config: IdpConfig,
  ) {
    this.encryption = new KeyEncryption(config.IDP_KEY_ENCRYPTION_KEY);
    this.graceMs = config.IDP_KEY_ROTATION_GRACE_SECONDS * 1000;
    this.cacheMs = config.IDP_KEY_CACHE_SECONDS * 1000;
  }

  /** The credentials that sign now. */
  async forOrganization(organizationId: string): Promise<OrganizationCredentials> {
    let keys = await this.keys(organizationId);
    if (keys.next && keys.next.activatesAt.getTime() <= Date.now()) {
      await this.activateOnce(organizationId, keys.next.id);
      keys = await this.keys(organizationId);
    }
    return keys.active;
  }

  /**
   * Certificates for metadata: the active one, then the scheduled next one if any, then those
   * retired less than the grace period ago (newest first).
   */
  async publishedCertificates(organizationId: string): Promise<string[]> {
    await this.forOrganization(organizationId);
    const keys = await this.keys(organizationId);
    const now = Date.now();
    return [
      keys.active.certificatePem,
      ...(keys.next ? [keys.next.certificatePem] : []),
      ...keys.retired.filter((r) => r.publishedUntil.getTime() > now).map((r) => r.certificatePem),
    ];
  }

  /**
   * The organisation's keys for administrators: the current one, the scheduled next one, then
   * those that signed and were retired (newest first), read from the database (not this
   * instance's cached copy). A scheduled key replaced before its activation time never signed
   * and is left out. A due switch happens first, as for metadata.
   */
  async list(organizationId: string): Promise<SigningKeyView[]> {
    await this.forOrganization(organizationId);
    const rows = await this.dataSource.getRepository(SigningKey).find({ where: { organizationId } });
    const current = rows.find((r) => r.active);
    const views = rows.flatMap((row): SigningKeyView[] => {
      let state: SigningKeyView['state'];
      if (row.active) state = 'current';
      else if (row.retiresAt === null && current !== undefined && row.activatesAt > current.activatesAt) state = 'next';
      else if (row.retiresAt !== null && row.activatesAt <= row.retiresAt) state = 'retired';
      else return [];
      const certificate = new X509Certificate(row.certificatePem);
      return [
        {
          id: row.id,
          state,
          activatesAt: row.activatesAt.toISOString(),
          createdAt: row.createdAt.toISOString(),
          notAfter: new Date(certificate.validTo).toISOString(),
          fingerprintSha256: certificate.fingerprint256,
          certificatePem: row.certificatePem,
        },
      ];
    });
    return views.sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || b.activatesAt.localeCompare(a.activatesAt));
  }

  /** Creates the next key, active from `activatesAt`; replaces a next key not yet active. */
  async scheduleRotation(organizationId: string, activatesAt: Date): Promise<{ id: string; certificatePem: string; activatesAt: Date }> {
    await this.forOrganization(organizationId);
    const generated = await generateSigningCredentials(`JIT IdP signing key ${organizationId}`, 3650);
    const id = randomUUID();
    await this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(SigningKey);
      // Only one pending key at a time: an earlier schedule is replaced, never stacked.
      await repo.update(
        { organizationId, active: false, retiresAt: IsNull(), activatesAt: MoreThan(new Date()) },
        { retiresAt: new Date() },
      );
      await repo.insert({
        id,
        organizationId,
        certificatePem: generated.certificatePem,
        privateKeyEncrypted: this.encryption.encrypt(generated.privateKeyPem),
        active: false,
        activatesAt,
        retiresAt: null,
      });
    });
    this.cache.delete(organizationId);
    this.logger.log(`Next signing key for organisation ${organizationId} activates at ${activatesAt.toISOString()}`);
    return { id, certificatePem: generated.certificatePem, activatesAt };
  }

  /** The organisation's keys from memory, read again once that copy is older than IDP_KEY_CACHE_SECONDS. */
  private keys(organizationId: string): Promise<OrganizationKeys> {
    const cached = this.cache.get(organizationId);
    if (cached && Date.now() - cached.loadedAt < this.cacheMs) return cached.keys;
    const keys = this.load(organizationId);
    this.cache.set(organizationId, { loadedAt: Date.now(), keys });
    keys.catch(() => {
      if (this.cache.get(organizationId)?.keys === keys) this.cache.delete(organizationId);
    });
    return keys;
  }

  /**
   * One switch per organisation at a time: the sign-ins arriving while it runs found the same
   * copy of the keys (so the same pending key) and wait for it, then share the re-read.
   */
  private activateOnce(organizationId: string, nextId: string): Promise<void> {
    const running = this.activations.get(organizationId);
    if (running) return running;
    const activation = this.activate(organizationId, nextId).finally(() => {
      if (this.activations.get(organizationId) === activation) this.activations.delete(organizationId);
    });
    this.activations.set(organizationId, activation);
    return activation;
  }

  /**
   * Switches to the next key, if it is still the pending one: another instance may have switched
   * already, or replaced it with a newer schedule this instance has not read yet.
   */
  private async activate(organizationId: string, nextId: string): Promise<void> {
    const switched = await this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(SigningKey);
      const pending = await repo.findOne({
        where: { id: nextId, organizationId, active: false, retiresAt: IsNull() },
        lock: { mode: 'pessimistic_write' },
      });
      if (!pending) return false;
      await repo.update({ organizationId, active: true }, { active: false, retiresAt: new Date() });
      await repo.update({ id: nextId, organizationId }, { active: true });
      return true;
    });
    this.cache.delete(organizationId);
    if (switched) this.logger.log(`Signing key ${nextId} is now active for organisation ${organizationId}`);
  }

  private async load(organizationId: string): Promise<OrganizationKeys> {
    let rows = await this.rowsOf(organizationId);
    if (!rows.some((r) => r.active)) {
      const generated = await generateSigningCredentials(`JIT IdP signing key ${organizationId}`, 3650);
      await this.dataSource
        .getRepository(SigningKey)
        .createQueryBuilder()
        .insert()
        .values({
          id: randomUUID(),
          organizationId,
          certificatePem: generated.certificatePem,
          privateKeyEncrypted: this.encryption.encrypt(generated.privateKeyPem),
          active: true,
        })
        // Another instance may have created one meanwhile; the unique index keeps a single active key.
        .orIgnore()
        .execute();
      rows = await this.rowsOf(organizationId);
      this.logger.log(`Signing key ready for organisation ${organizationId}`);
    }
    const key = rows.find((r) => r.active);
    if (!key) throw new Error(`No active signing key for organisation ${organizationId}`);
    const pending = rows
      .filter((r) => !r.active && r.retiresAt === null)
      .sort((x, y) => y.activatesAt.getTime() - x.activatesAt.getTime())[0];
    const next = pending && pending.activatesAt > key.activatesAt ? pending : null;
    const recentlyRetired = rows
      .filter((r): r is SigningKey & { retiresAt: Date } => !r.active && r.retiresAt !== null)
      .sort((x, y) => y.retiresAt.getTime() - x.retiresAt.getTime());
    const known = this.privateKeys.get(organizationId);
    const signing = new Map<string, OrganizationCredentials>();
    const credentialsOf = (row: SigningKey): OrganizationCredentials => {
      const credentials = this.credentials(row, known?.get(row.id));
      signing.set(row.id, credentials);
      return credentials;
    };
    const keys: OrganizationKeys = {
      active: { id: key.id, ...credentialsOf(key) },
      next: next ? { id: next.id, activatesAt: next.activatesAt, ...credentialsOf(next) } : null,
      retired: recentlyRetired
        // A scheduled key replaced before its activation time was retired without ever signing.
        .filter((k) => k.activatesAt <= k.retiresAt)
        .map((k) => ({ certificatePem: k.certificatePem, publishedUntil: new Date(k.retiresAt.getTime() + this.graceMs) })),
    };
    this.privateKeys.set(organizationId, signing);
    return keys;
  }

  /**
   * The active, the pending and the recently retired keys in one SELECT, so all three come from
   * the same moment: read one by one, another instance's switch could fall between the reads and
   * leave this one with the old key active and no pending key to switch to.
   */
  private rowsOf(organizationId: string): Promise<SigningKey[]> {
    return this.dataSource.getRepository(SigningKey).find({
      where: [
        { organizationId, active: true },
        { organizationId, active: false, retiresAt: IsNull() },
        { organizationId, active: false, retiresAt: MoreThan(new Date(Date.now() - this.graceMs)) },
      ],
    });
  }

  /** The key's credentials: those decrypted at an earlier read if they are for the same certificate, else decrypted now. */
  private credentials(key: SigningKey, known?: OrganizationCredentials): OrganizationCredentials {
    if (known && known.certificatePem === key.certificatePem) return known;
    return { privateKey: createPrivateKey(this.encryption.decrypt(key.privateKeyEncrypted)), certificatePem: key.certificatePem };
  }
}
