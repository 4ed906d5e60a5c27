import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { generateSigningCredentials } from '@jit/saml';
import { IDP_CONFIG, type IdpConfig } from '../config';
import { KeyEncryption } from './key-encryption';
import { SigningKey } from './signing-key.entity';

export interface OrganizationCredentials {
  privateKey: KeyObject;
  certificatePem: string;
}

/**
 * One signing key per organisation, created the first time the organisation needs one and kept
 * decrypted in memory as a KeyObject (a PEM parse per signature would triple its cost).
 */
@Injectable()
export class SigningKeysService {
  private readonly logger = new Logger(SigningKeysService.name);
  private readonly cache = new Map<string, Promise<OrganizationCredentials>>();
  private readonly encryption: KeyEncryption;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(IDP_CONFIG) config: IdpConfig,
  ) {
    this.encryption = new KeyEncryption(config.IDP_KEY_ENCRYPTION_KEY);
  }

  forOrganization(organizationId: string): Promise<OrganizationCredentials> {
    let credentials = this.cache.get(organizationId);
    if (!credentials) {
      credentials = this.load(organizationId);
      this.cache.set(organizationId, credentials);
      credentials.catch(() => this.cache.delete(organizationId));
    }
    return credentials;
  }

  private async load(organizationId: string): Promise<OrganizationCredentials> {
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
    return {
      privateKey: createPrivateKey(this.encryption.decrypt(key.privateKeyEncrypted)),
      certificatePem: key.certificatePem,
    };
  }
}
