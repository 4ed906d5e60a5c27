import { Module } from '@nestjs/common';
import { DirectoryReplicaModule } from '../directory-replica/directory-replica.module';
import { ApplicationsController, GroupApplicationsController } from './applications.controller';
import { ApplicationsService } from './applications.service';
import { BindingsService } from './bindings.service';
import { ReadinessService } from './readiness.service';
import { DirectoryResyncHandler } from './directory-resync.handler';
import { GroupDeletedHandler } from './group-deleted.handler';

@Module({
  imports: [DirectoryReplicaModule],
  controllers: [ApplicationsController, GroupApplicationsController, GroupDeletedHandler, DirectoryResyncHandler],
  providers: [ApplicationsService, BindingsService, ReadinessService],
})
export class ApplicationsModule {}
