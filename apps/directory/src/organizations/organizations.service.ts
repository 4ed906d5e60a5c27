import { z } from 'zod';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { DirectoryEvents } from '@jit/directory-contracts';
import { EventNotConfirmedError, Outbox } from '@jit/messaging';
import { DomainError, ErrorCode, hashApiKey, newApiKey, type ApiKeyResolver, type Caller } from '@jit/service';
import { ApiKey, Organization } from './organization.entity';

export const BOOTSTRAP_API_KEY = Symbol('BOOTSTRAP_API_KEY');

/** `POST /v1/organizations`: the organisation and its first API key, shown this once. */
export const CreatedOrganization = z
  .object({ id: z.uuid(), name: z.string(), apiKey: z.string().meta({ description: "The organisation's first API key, shown once" }) })
  .meta({ id: 'CreatedOrganization' });
export type CreatedOrganization = z.infer<typeof CreatedOrganization>;

@Injectable()
export class OrganizationsService implements ApiKeyResolver, OnApplicationBootstrap {
  private readonly logger = new Logger(OrganizationsService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    @Inject(BOOTSTRAP_API_KEY) private readonly bootstrapKey: string | undefined,
  ) {}

  /**
   * With BOOTSTRAP_ADMIN_API_KEY set, a default organisation exists and that key reaches it. Only
   * the configured key is a bootstrap key: one left from an earlier configuration (a rotated key,
   * the published development default, or any when the variable is now unset) is revoked here,
   * with the usual apiKeyRevoked event so that every service's cache drops it too.
   */
  async onApplicationBootstrap(): Promise<void> {
    const keyHash = this.bootstrapKey ? hashApiKey(this.bootstrapKey) : null;
    const revoked: ApiKey[] = [];
    try {
      await this.outbox.run(async (tx) => {
        const { manager } = tx;
        // Serialise concurrent starts of several directory instances.
        await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['directory.bootstrap']);
        const defaultId = await this.defaultOrganizationId(manager);
        const earlier = await manager.getRepository(ApiKey).find({ where: { bootstrap: true, revokedAt: IsNull() } });
        for (const key of earlier.filter((k) => k.keyHash !== keyHash)) {
          await manager.update(ApiKey, { id: key.id }, { revokedAt: () => 'now()' });
          tx.emit(DirectoryEvents.apiKeyRevoked, {
            organizationId: key.organizationId,
            apiKeyId: key.id,
            apiKeyHash: key.keyHash,
            occurredAt: new Date().toISOString(),
          });
          revoked.push(key);
        }
        if (keyHash === null || (await manager.findOneBy(ApiKey, { keyHash }))) return;
        let org = defaultId ? await manager.findOneBy(Organization, { id: defaultId }) : null;
        if (!org) {
          org = manager.create(Organization, { ...NEW_ORGANIZATION, id: randomUUID(), name: 'Default organisation' });
          await manager.save(org);
          tx.emit(DirectoryEvents.organizationCreated, organizationCreated(org));
        }
        await manager.save(
          manager.create(ApiKey, {
            id: randomUUID(),
            organizationId: org.id,
            name: 'bootstrap',
            keyHash,
            bootstrap: true,
            revokedAt: null,
          }),
        );
        this.logger.log(`Bootstrap API key registered for organisation ${org.id}`);
      });
    } catch (error) {
      // Committed; only NATS did not confirm. The outbox relay publishes the revocations later.
      if (!(error instanceof EventNotConfirmedError)) throw error;
      this.logger.warn(`Earlier bootstrap API keys are revoked, but their events wait for NATS: ${error.message}`);
    }
    for (const key of revoked) {
      this.logger.log(
        `Revoked the earlier bootstrap API key ${key.id} of organisation ${key.organizationId}: ${
          keyHash === null ? 'BOOTSTRAP_ADMIN_API_KEY is not set' : 'BOOTSTRAP_ADMIN_API_KEY names another key'
        }`,
      );
    }
  }

  /** The default organisation is the one of the first bootstrap key, revoked or not; null before any. */
  async defaultOrganizationId(manager: EntityManager = this.dataSource.manager): Promise<string | null> {
    const first = await manager.getRepository(ApiKey).findOne({ where: { bootstrap: true }, order: { createdAt: 'ASC', id: 'ASC' } });
    return first?.organizationId ?? null;
  }

  async resolve(apiKeyHash: string): Promise<Caller | null> {
    const key = await this.dataSource.getRepository(ApiKey).findOneBy({ keyHash: apiKeyHash, revokedAt: IsNull() });
    return key ? { organizationId: key.organizationId, bootstrap: key.bootstrap } : null;
  }

  async create(caller: Caller, name: string): Promise<CreatedOrganization> {
    if (!caller.bootstrap) throw new DomainError(ErrorCode.Forbidden, 'Only the bootstrap API key may create organisations');
    const apiKey = newApiKey();
    const org = await this.outbox.run(async (tx) => {
      const { manager } = tx;
      const created = await manager.save(manager.create(Organization, { ...NEW_ORGANIZATION, id: randomUUID(), name }));
      tx.emit(DirectoryEvents.organizationCreated, organizationCreated(created));
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

const NEW_ORGANIZATION = { logoUrl: null, brandColor: null, version: 1 } as const;

/** The created event of an organisation just saved (its name; no logo or colour yet). */
function organizationCreated(org: Organization) {
  return {
    organizationId: org.id,
    version: org.version,
    name: org.name,
    logoUrl: org.logoUrl,
    brandColor: org.brandColor,
    occurredAt: new Date().toISOString(),
  };
}
