import { Module } from '@nestjs/common';
import { IdpCommonModule } from '../common/common.module';
import { PreviewController } from './preview.controller';
import { PreviewService } from './preview.service';

/** The admin preview: the assertion a user would get from an application now, and what blocks it. */
@Module({ imports: [IdpCommonModule], controllers: [PreviewController], providers: [PreviewService] })
export class PreviewModule {}
