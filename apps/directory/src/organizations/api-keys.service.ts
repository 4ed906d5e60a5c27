import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { DataSource } from 'typeorm';
import { EventNotConfirmedError, Outbox } from '@jit/messaging';
import { DirectoryEvents, type CachedApiKeyResolver } from '@jit/directory-contracts';
import {
  API_KEY_RESOLVER,
  DomainError,
  ErrorCode,
  hashApiKey,
  newApiKey,
  notFound,
  type Caller,
  type ListQuery,
  PageOf,
  Timestamp,
} from '@jit/service';
import { ApiKey } from './organization.entity';

/** What an organisation may see of its keys: never the key nor its hash. */
export const ApiKeyView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    createdAt: Timestamp,
    revokedAt: Timestamp.nullable(),
    bootstrap: z.boolean().meta({ description: "The environment's key (BOOTSTRAP_ADMIN_API_KEY), which may create organisations" }),
  })
  .meta({ id: 'ApiKeyView' });
export type ApiKeyView = z.infer<typeof ApiKeyView>;
export const ApiKeyPage = PageOf(ApiKeyView).meta({ id: 'ApiKeyPage' });
export type ApiKeyPage = z.infer<typeof ApiKeyPage>;

/** `POST /v1/api-keys`: the key itself, shown this once (the directory keeps only its hash). */
export const CreatedApiKey = z
  .object({ id: z.uuid(), name: z.string(), apiKey: z.string().meta({ description: 'Shown once: store it now' }), createdAt: Timestamp })
  .meta({ id: 'CreatedApiKey' });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

const toView = (key: ApiKey): ApiKeyView => ({
  id: key.id,
  name: key.name,
  createdAt: key.createdAt,
  revokedAt: key.revokedAt,
  bootstrap: key.bootstrap,
});

/** An organisation's admin API keys: created (shown once), listed, revoked. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    @Inject(API_KEY_RESOLVER) private readonly resolver: CachedApiKeyResolver,
  ) {}

  /** Keys made here are never bootstrap keys: only the environment's key may create organisations. */
  async create(organizationId: string, name: string): Promise<CreatedApiKey> {
    const apiKey = newApiKey();
    const key = this.dataSource.getRepository(ApiKey).create({
      id: randomUUID(),
      organizationId,
      name,
      keyHash: hashApiKey(apiKey),
      bootstrap: false,
      revokedAt: null,
    });
    await this.outbox.run(async (tx) => {
      await tx.manager.insert(ApiKey, key);
      tx.emit(DirectoryEvents.apiKeyCreated, { organizationId, apiKeyId: key.id, name, occurredAt: new Date().toISOString() });
    });
    return { id: key.id, name: key.name, apiKey, createdAt: key.createdAt };
  }

  async list(organizationId: string, query: ListQuery): Promise<ApiKeyPage> {
    const [items, total] = await this.dataSource.getRepository(ApiKey).findAndCount({
      where: { organizationId },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: query.limit,
      skip: query.offset,
    });
    return { items: items.map(toView), total };
  }

  /**
   * Revocation is final and idempotent: a second call changes nothing and emits nothing. The
   * event carries the key's hash so that services caching lookups can drop it at once.
   */
  async revoke(caller: Caller, id: string): Promise<void> {
    let revokedHash: string | undefined;
    try {
      await this.outbox.run(async (tx) => {
        const key = await tx.manager.findOne(ApiKey, {
          where: { id, organizationId: caller.organizationId },
          lock: { mode: 'pessimistic_write' },
        });
        if (!key) throw notFound('API key', id);
        if (key.revokedAt) return;
        // Otherwise any key of the default organisation could lock out the operator's key.
        if (key.bootstrap && !caller.bootstrap) {
          throw new DomainError(ErrorCode.Forbidden, 'Only the bootstrap API key may revoke the bootstrap API key');
        }
        await tx.manager.update(ApiKey, { id }, { revokedAt: () => 'now()' });
        tx.emit(DirectoryEvents.apiKeyRevoked, {
          organizationId: caller.organizationId,
          apiKeyId: id,
          apiKeyHash: key.keyHash,
          occurredAt: new Date().toISOString(),
        });
        revokedHash = key.keyHash;
      });
    } catch (error) {
      // Committed, only the bus failed (a 503): this instance refuses the key all the same.
      if (error instanceof EventNotConfirmedError && revokedHash !== undefined) this.resolver.forget(revokedHash);
      throw error;
    }
    if (revokedHash !== undefined) this.resolver.forget(revokedHash);
  }
}
