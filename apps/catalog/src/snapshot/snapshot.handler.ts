import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CatalogSnapshot } from '@jit/catalog-contracts';
import { AnswerRpc, type SnapshotPage, type SnapshotRequest } from '@jit/messaging';
import type { z } from 'zod';
import { SnapshotService } from './snapshot.service';

type Request = z.infer<typeof SnapshotRequest>;

/** Snapshot pages for the consumer of the CATALOG stream, the IdP (NATS request/reply). */
@Controller()
export class SnapshotHandler {
  constructor(private readonly snapshot: SnapshotService) {}

  @AnswerRpc(CatalogSnapshot.applications)
  applications(@Payload() request: Request): Promise<SnapshotPage<typeof CatalogSnapshot.applications>> {
    return this.snapshot.applications(request.after);
  }

  @AnswerRpc(CatalogSnapshot.bindings)
  bindings(@Payload() request: Request): Promise<SnapshotPage<typeof CatalogSnapshot.bindings>> {
    return this.snapshot.bindings(request.after);
  }
}
