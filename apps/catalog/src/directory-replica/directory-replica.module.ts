import { Module } from '@nestjs/common';
import { ConsumerProgress, FreshnessGate, NatsBus } from '@jit/messaging';
import { DIRECTORY_STREAM } from '@jit/directory-contracts';
import { DirectoryReplicaHandler } from './directory-replica.handler';
import { DirectoryReplicaService } from './directory-replica.service';

/** The streams the catalog consumes (one durable consumer, named after the service). */
export const CATALOG_CONSUMES = [DIRECTORY_STREAM] as const;

/** How long a readiness answer may wait for the replica to catch up with the DIRECTORY stream. */
export const REPLICA_FRESHNESS_WAIT_MS = 250;

export const REPLICA_FRESHNESS = Symbol('REPLICA_FRESHNESS');

@Module({
  controllers: [DirectoryReplicaHandler],
  providers: [
    DirectoryReplicaService,
    {
      provide: REPLICA_FRESHNESS,
      inject: [NatsBus, ConsumerProgress],
      useFactory: (bus: NatsBus, progress: ConsumerProgress) =>
        new FreshnessGate(bus, progress, CATALOG_CONSUMES, REPLICA_FRESHNESS_WAIT_MS),
    },
  ],
  exports: [DirectoryReplicaService, REPLICA_FRESHNESS],
})
export class DirectoryReplicaModule {}
