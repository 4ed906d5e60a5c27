import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { GroupsController, GroupsHandler } from './groups.controller';
import { GroupsService } from './groups.service';

@Module({ imports: [UsersModule], controllers: [GroupsController, GroupsHandler], providers: [GroupsService] })
export class GroupsModule {}
