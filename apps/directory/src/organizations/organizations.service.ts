import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import { DomainError, ErrorCode, hashApiKey, newApiKey, type ApiKeyResolver, type Caller } from '@jit/service';
import { ApiKey, Organization } from './organization.entity';

export const BOOTSTRAP_API_KEY = Symbol('BOOTSTRAP_API_KEY');

@Injectable()
export class OrganizationsService implements ApiKeyResolver, OnApplicationBootstrap {
  private readonly logger = new Logger(OrganizationsService.name);

  constructor(
    private readonly dataSource: DataSource,
    @Inject(BOOTSTRAP_API_KEY) private readonly bootstrapKey: string | undefined,
  ) {}

  /** With BOOTSTRAP_ADMIN_API_KEY set, a default organisation exists and that key reaches it. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.bootstrapKey) return;
    const keyHash = hashApiKey(this.bootstrapKey);
    await this.dataSource.transaction(async (manager) => {
      // Serialise concurrent starts of several directory instances.
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['directory.bootstrap']);
      const existing = await manager.findOneBy(ApiKey, { keyHash });
      if (existing) return;
      let org = await manager
        .getRepository(ApiKey)
        .findOne({ where: { bootstrap: true, revokedAt: IsNull() }, order: { createdAt: 'ASC' } })
        .then((key) => (key ? manager.findOneBy(Organization, { id: key.organizationId }) : null));
      if (!org) {
        org = manager.create(Organization, { id: randomUUID(), name: 'Default organisation' });
        await manager.save(org);
      }
      await manager.save(
        manager.create(ApiKey, { id: randomUUID(), organizationId: org.id, name: 'bootstrap', keyHash, bootstrap: true, revokedAt: null }),
      );
      this.logger.log(`Bootstrap API key registered for organisation ${org.id}`);
    });
  }

  async resolve(apiKeyHash: string): Promise<Caller | null> {
    const key = await this.dataSource.getRepository(ApiKey).findOneBy({ keyHash: apiKeyHash, revokedAt: IsNull() });
    return key ? { organizationId: key.organizationId, bootstrap: key.bootstrap } : null;
  }

  async create(caller: Caller, name: string): Promise<{ id: string; name: string; apiKey: string }> {
    if (!caller.bootstrap) throw new DomainError(ErrorCode.Forbidden, 'Only the bootstrap API key may create organisations');
    const apiKey = newApiKey();
    const org = await this.dataSource.transaction(async (manager) => {
      const created = await manager.save(manager.create(Organization, { id: randomUUID(), name }));
      await manager.save(
        manager.create(ApiKey, {
          id: randomUUID(),
          organizationId: created.id,
          name: 'initial',
          keyHash: hashApiKey(apiKey),
          bootstrap: false,
          revokedAt: null,
        }),
      );
      return created;
    });
    return { id: org.id, name: org.name, apiKey };
  }
}
