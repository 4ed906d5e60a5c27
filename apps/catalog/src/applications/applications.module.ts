import { Module } from '@nestjs/common';
import { ApplicationsController, GroupApplicationsController } from './applications.controller';
import { ApplicationsService } from './applications.service';

@Module({ controllers: [ApplicationsController, GroupApplicationsController], providers: [ApplicationsService] })
export class ApplicationsModule {}
