import { Module } from '@nestjs/common';
import { DirectoryReplicaModule } from '../directory-replica/directory-replica.module';
import { ApplicationsController, GroupApplicationsController } from './applications.controller';
import { ApplicationsService } from './applications.service';
import { GroupDeletedHandler } from './group-deleted.handler';

@Module({
  imports: [DirectoryReplicaModule],
  controllers: [ApplicationsController, GroupApplicationsController, GroupDeletedHandler],
  providers: [ApplicationsService],
})
export class ApplicationsModule {}
