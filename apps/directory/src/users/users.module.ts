import { Module } from '@nestjs/common';
import { UserAttributesController, UsersController } from './users.controller';
import { UsersImportService } from './users-import.service';
import { UsersService } from './users.service';

@Module({
  controllers: [UsersController, UserAttributesController],
  providers: [UsersService, UsersImportService],
  exports: [UsersService],
})
export class UsersModule {}
