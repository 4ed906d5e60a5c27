import { Module } from '@nestjs/common';
import { UserAttributesController, UsersController } from './users.controller';
import { UsersImportService } from './users-import.service';
import { UsersService } from './users.service';
import { PasswordHasher } from './password-check';

@Module({
  controllers: [UsersController, UserAttributesController],
  providers: [UsersService, UsersImportService, PasswordHasher],
  exports: [UsersService, PasswordHasher],
})
export class UsersModule {}
