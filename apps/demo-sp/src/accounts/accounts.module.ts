import { Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DemoSpConfig } from '../config';
import { IdpMetadataService } from '@jit/sp-metadata';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { JitProvisioningService } from './jit-provisioning.service';

@Module({})
export class AccountsModule {
  static register(config: Pick<DemoSpConfig, 'DEMO_SP_JIT_MODE' | 'DEMO_SP_IDP_URL' | 'DEMO_SP_APP_ID'>): DynamicModule {
    return {
      module: AccountsModule,
      controllers: [AccountsController],
      providers: [
        { provide: IdpMetadataService, useFactory: () => new IdpMetadataService(config.DEMO_SP_IDP_URL) },
        {
          provide: AccountsService,
          useFactory: (dataSource: DataSource, metadata: IdpMetadataService) =>
            new AccountsService(dataSource, metadata, config.DEMO_SP_APP_ID),
          inject: [DataSource, IdpMetadataService],
        },
        {
          provide: JitProvisioningService,
          useFactory: (dataSource: DataSource) => new JitProvisioningService(dataSource, config.DEMO_SP_JIT_MODE),
          inject: [DataSource],
        },
      ],
      exports: [AccountsService, JitProvisioningService, IdpMetadataService],
    };
  }
}
