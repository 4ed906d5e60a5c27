import { Module } from '@nestjs/common';
import { IdpCommonModule } from '../common/common.module';
import { ReadModelHandler } from './read-model.handler';

/** Feeds the read model from the directory's and the catalog's streams. */
@Module({ imports: [IdpCommonModule], controllers: [ReadModelHandler] })
export class ReadModelModule {}
