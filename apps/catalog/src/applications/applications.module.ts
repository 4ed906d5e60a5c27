import { Module } from '@nestjs/common';
import { DirectoryReplicaModule } from '../directory-replica/directory-replica.module';
import { ApplicationsController, GroupApplicationsController } from './applications.controller';
import { ApplicationsService } from './applications.service';

@Module({
  imports: [DirectoryReplicaModule],
  controllers: [ApplicationsController, GroupApplicationsController],
  providers: [ApplicationsService],
})
export class ApplicationsModule {}
