import { Module } from '@nestjs/common';
import { IdpCommonModule } from '../common/common.module';
import { KeyRotationController } from './key-rotation.controller';
import { SigningKeysController } from './signing-keys.controller';

/** The signing-key admin endpoints, list and rotation (the keys themselves are IdpCommonModule's SigningKeysService). */
@Module({ imports: [IdpCommonModule], controllers: [KeyRotationController, SigningKeysController] })
export class KeyRotationModule {}
