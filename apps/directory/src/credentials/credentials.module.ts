import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { CredentialsHandler } from './credentials.handler';

@Module({ imports: [UsersModule], controllers: [CredentialsHandler] })
export class CredentialsModule {}
