import { Module } from '@nestjs/common';
import { CredentialsHandler, UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({ controllers: [UsersController, CredentialsHandler], providers: [UsersService], exports: [UsersService] })
export class UsersModule {}
