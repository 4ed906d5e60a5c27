import { Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { JitMode } from '../config';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { JitProvisioningService } from './jit-provisioning.service';

@Module({})
export class AccountsModule {
  static register(mode: JitMode): DynamicModule {
    return {
      module: AccountsModule,
      controllers: [AccountsController],
      providers: [
        AccountsService,
        {
          provide: JitProvisioningService,
          useFactory: (dataSource: DataSource) => new JitProvisioningService(dataSource, mode),
          inject: [DataSource],
        },
      ],
      exports: [AccountsService, JitProvisioningService],
    };
  }
}
