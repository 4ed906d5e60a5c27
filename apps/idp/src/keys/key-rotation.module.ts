import { Module } from '@nestjs/common';
import { IdpCommonModule } from '../common/common.module';
import { KeyRotationController } from './key-rotation.controller';

/** The signing-key rotation admin endpoint (the keys themselves are IdpCommonModule's SigningKeysService). */
@Module({ imports: [IdpCommonModule], controllers: [KeyRotationController] })
export class KeyRotationModule {}
