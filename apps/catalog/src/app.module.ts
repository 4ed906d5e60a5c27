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
import { Initial1764300000000 } from './migrations/1764300000000-Initial';
import { ApplicationOptionsAndDirectoryReplica1764800000000 } from './migrations/1764800000000-ApplicationOptionsAndDirectoryReplica';
import { DirectoryGroups1764900000000 } from './migrations/1764900000000-DirectoryGroups';
import { ConsumerPositions1765000000000 } from './migrations/1765000000000-ConsumerPositions';
import { AcsIndexes1765100000000 } from './migrations/1765100000000-AcsIndexes';
import { IdpInitiatedRelayStateFromCaller1765200000000 } from './migrations/1765200000000-IdpInitiatedRelayStateFromCaller';
import { PortalOptions1765300000000 } from './migrations/1765300000000-PortalOptions';
import { MfaOptions1766000000000 } from './migrations/1766000000000-MfaOptions';
import { PhishingResistantMfa1766100000000 } from './migrations/1766100000000-PhishingResistantMfa';
import { ReadinessColumns1766200000000 } from './migrations/1766200000000-ReadinessColumns';
import { DirectoryGroupNames1765640000000 } from './migrations/1765640000000-DirectoryGroupNames';
import { DirectoryUserStateStatistics1765650000000 } from './migrations/1765650000000-DirectoryUserStateStatistics';

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
          migrations: [
            Initial1764300000000,
            ApplicationOptionsAndDirectoryReplica1764800000000,
            DirectoryGroups1764900000000,
            ConsumerPositions1765000000000,
            AcsIndexes1765100000000,
            IdpInitiatedRelayStateFromCaller1765200000000,
            PortalOptions1765300000000,
            DirectoryGroupNames1765640000000,
            DirectoryUserStateStatistics1765650000000,
            MfaOptions1766000000000,
            PhishingResistantMfa1766100000000,
            ReadinessColumns1766200000000,
          ],
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
