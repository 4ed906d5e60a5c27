import { Global, Module, type DynamicModule } from '@nestjs/common';
import { CachedApiKeyResolver } from '@jit/directory-contracts';
import { NatsBus } from '@jit/messaging';
import { API_KEY_RESOLVER, ApiKeyGuard } from '@jit/service';
import { AdminSessionsHandler } from '../roles/admin-sessions.handler';
import { AdminSessionsService } from '../roles/admin-sessions.service';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { OrganizationBrandingController } from './organization-branding.controller';
import { OrganizationBrandingService } from './organization-branding.service';
import { OrganizationsController, OrganizationsHandler } from './organizations.controller';
import { BOOTSTRAP_API_KEY, OrganizationsService } from './organizations.service';

/**
 * Organisations and their API keys; the directory resolves keys locally, other services ask it.
 * Its own guard remembers answers briefly (one table lookup per key and burst, not per call); a
 * revocation here is forgotten at once, one on another instance as soon as its event arrives.
 * Admin console sessions are resolved here too, never remembered: each request reads the person's
 * current state and role.
 */
@Global()
@Module({
  controllers: [OrganizationsController, OrganizationBrandingController, OrganizationsHandler, ApiKeysController, AdminSessionsHandler],
  providers: [
    OrganizationsService,
    OrganizationBrandingService,
    ApiKeysService,
    AdminSessionsService,
    {
      provide: API_KEY_RESOLVER,
      inject: [NatsBus, OrganizationsService, AdminSessionsService],
      useFactory: (bus: NatsBus, organizations: OrganizationsService, sessions: AdminSessionsService) =>
        new CachedApiKeyResolver(bus, (hash) => organizations.resolve(hash), undefined, {
          lookup: (hash) => sessions.resolve(hash),
          ttlMs: 0,
        }),
    },
    ApiKeyGuard,
  ],
  exports: [API_KEY_RESOLVER, ApiKeyGuard, OrganizationsService, AdminSessionsService],
})
export class OrganizationsModule {
  static register(bootstrapApiKey: string | undefined): DynamicModule {
    return { module: OrganizationsModule, providers: [{ provide: BOOTSTRAP_API_KEY, useValue: bootstrapApiKey }] };
  }
}
