import { Global, Module, type DynamicModule } from '@nestjs/common';
import { API_KEY_RESOLVER, ApiKeyGuard } from '@jit/service';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { OrganizationsController, OrganizationsHandler } from './organizations.controller';
import { BOOTSTRAP_API_KEY, OrganizationsService } from './organizations.service';

/** Organisations and their API keys; the directory resolves keys locally, other services ask it. */
@Global()
@Module({
  controllers: [OrganizationsController, OrganizationsHandler, ApiKeysController],
  providers: [OrganizationsService, ApiKeysService, { provide: API_KEY_RESOLVER, useExisting: OrganizationsService }, ApiKeyGuard],
  exports: [API_KEY_RESOLVER, ApiKeyGuard, OrganizationsService],
})
export class OrganizationsModule {
  static register(bootstrapApiKey: string | undefined): DynamicModule {
    return { module: OrganizationsModule, providers: [{ provide: BOOTSTRAP_API_KEY, useValue: bootstrapApiKey }] };
  }
}
