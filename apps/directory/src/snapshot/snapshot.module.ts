import { Module } from '@nestjs/common';
import { SnapshotHandler } from './snapshot.handler';
import { SnapshotService } from './snapshot.service';

@Module({ controllers: [SnapshotHandler], providers: [SnapshotService] })
export class SnapshotModule {}
