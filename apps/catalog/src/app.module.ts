import { Module, type DynamicModule } from '@nestjs/common';
import { RemoteApiKeyResolver } from '@jit/directory-contracts';
import type { NatsBus } from '@jit/messaging';
import { ApiKeyModule, ServiceKitModule } from '@jit/service';
import type { CatalogConfig } from './config';
import { Application, ApplicationGroup } from './applications/application.entity';
import { ApplicationsModule } from './applications/applications.module';
import { SnapshotModule } from './snapshot/snapshot.module';
import { ConnectorsController } from './connectors/connectors.controller';
import { DIRECTORY_REPLICA_ENTITIES } from './directory-replica/directory-replica.entities';
import { CATALOG_CONSUMES } from './directory-replica/directory-replica.module';
import { CATALOG_MIGRATIONS } from './migrations';

export const CATALOG_SCHEMA = 'catalog';

@Module({})
export class AppModule {
  static register(config: CatalogConfig, bus: NatsBus): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'catalog',
          config,
          schema: CATALOG_SCHEMA,
          entities: [Application, ApplicationGroup, ...DIRECTORY_REPLICA_ENTITIES],
          migrations: CATALOG_MIGRATIONS,
          bus,
          outbox: true,
          consumes: CATALOG_CONSUMES,
        }),
        // API keys are the directory's: the catalog asks it (by hash) and caches briefly.
        ApiKeyModule.register(new RemoteApiKeyResolver(bus)),
        ApplicationsModule,
        SnapshotModule,
      ],
      controllers: [ConnectorsController],
    };
  }
}
