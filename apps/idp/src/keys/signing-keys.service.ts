import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
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

interface OrganizationKeys {
  active: OrganizationCredentials & { id: string };
  /** Published in metadata now, signing from `activatesAt` on. */
  next: (OrganizationCredentials & { id: string; activatesAt: Date }) | null;
}

/**
 * Signing keys per organisation, created the first time the organisation needs one, stored with
 * the private key encrypted (AES-256-GCM, key from IDP_KEY_ENCRYPTION_KEY) and kept decrypted in
 * memory as KeyObjects (a PEM parse per signature would triple its cost).
 *
 * Rotation: `scheduleRotation` creates the next key with a future activation time. Metadata lists
 * it at once beside the active one, so SPs that refresh metadata trust it before it signs
 * anything; at its activation time the switch happens on the next signature (checked in memory),
 * and the old key is retired.
 */
@Injectable()
export class SigningKeysService {
  private readonly logger = new Logger(SigningKeysService.name);
  private readonly cache = new Map<string, Promise<OrganizationKeys>>();
  private readonly encryption: KeyEncryption;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(IDP_CONFIG) config: IdpConfig,
  ) {
    this.encryption = new KeyEncryption(config.IDP_KEY_ENCRYPTION_KEY);
  }

  /** The credentials that sign now. */
  async forOrganization(organizationId: string): Promise<OrganizationCredentials> {
    let keys = await this.keys(organizationId);
    if (keys.next && keys.next.activatesAt.getTime() <= Date.now()) {
      await this.activate(organizationId, keys.next.id);
      keys = await this.keys(organizationId);
    }
    return keys.active;
  }

  /** Certificates for metadata: the active one, then the scheduled next one if any. */
  async publishedCertificates(organizationId: string): Promise<string[]> {
    await this.forOrganization(organizationId);
    const keys = await this.keys(organizationId);
    return [keys.active.certificatePem, ...(keys.next ? [keys.next.certificatePem] : [])];
  }

  /** Creates the next key, active from `activatesAt`; replaces a next key not yet active. */
  async scheduleRotation(organizationId: string, activatesAt: Date): Promise<{ id: string; certificatePem: string; activatesAt: Date }> {
    await this.forOrganization(organizationId);
    const generated = await generateSigningCredentials(`JIT IdP signing key ${organizationId}`, 3650);
    const id = randomUUID();
    await this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(SigningKey);
      // Only one pending key at a time: an earlier schedule is replaced, never stacked.
      await repo.update({ organizationId, active: false, retiresAt: IsNull(), activatesAt: MoreThan(new Date()) }, { retiresAt: new Date() });
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

  private keys(organizationId: string): Promise<OrganizationKeys> {
    let keys = this.cache.get(organizationId);
    if (!keys) {
      keys = this.load(organizationId);
      this.cache.set(organizationId, keys);
      keys.catch(() => this.cache.delete(organizationId));
    }
    return keys;
  }

  private async activate(organizationId: string, nextId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(SigningKey);
      await repo.update({ organizationId, active: true }, { active: false, retiresAt: new Date() });
      await repo.update({ id: nextId, organizationId }, { active: true });
    });
    this.cache.delete(organizationId);
    this.logger.log(`Signing key ${nextId} is now active for organisation ${organizationId}`);
  }

  private async load(organizationId: string): Promise<OrganizationKeys> {
    const repo = this.dataSource.getRepository(SigningKey);
    let key = await repo.findOneBy({ organizationId, active: true });
    if (!key) {
      const generated = await generateSigningCredentials(`JIT IdP signing key ${organizationId}`, 3650);
      await repo
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
      key = await repo.findOneByOrFail({ organizationId, active: true });
      this.logger.log(`Signing key ready for organisation ${organizationId}`);
    }
    const next = await repo.findOne({ where: { organizationId, active: false, retiresAt: IsNull() }, order: { activatesAt: 'DESC' } });
    return {
      active: { id: key.id, ...this.credentials(key) },
      next: next && next.activatesAt > key.activatesAt ? { id: next.id, activatesAt: next.activatesAt, ...this.credentials(next) } : null,
    };
  }

  private credentials(key: SigningKey): OrganizationCredentials {
    return { privateKey: createPrivateKey(this.encryption.decrypt(key.privateKeyEncrypted)), certificatePem: key.certificatePem };
  }
}
