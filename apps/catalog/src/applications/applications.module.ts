import { Module } from '@nestjs/common';
import { DirectoryReplicaModule } from '../directory-replica/directory-replica.module';
import { ApplicationsController, GroupApplicationsController } from './applications.controller';
import { ApplicationsService } from './applications.service';
import { BindingsService } from './bindings.service';
import { ReadinessService } from './readiness.service';
import { DirectoryResyncHandler } from './directory-resync.handler';
import { GroupDeletedHandler } from './group-deleted.handler';
import { UserApplicationsController } from './user-applications.controller';
import { UserApplicationsService } from './user-applications.service';

@Module({
  imports: [DirectoryReplicaModule],
  controllers: [
    ApplicationsController,
    GroupApplicationsController,
    UserApplicationsController,
    GroupDeletedHandler,
    DirectoryResyncHandler,
  ],
  providers: [ApplicationsService, BindingsService, ReadinessService, UserApplicationsService],
})
export class ApplicationsModule {}
