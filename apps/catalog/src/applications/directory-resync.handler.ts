import { Controller } from '@nestjs/common';
import { DIRECTORY_STREAM } from '@jit/directory-contracts';
import { OnResync, type ResyncResult } from '@jit/messaging';
import { TOMBSTONE_VERSION } from '@jit/persistence';
import { DirectoryReplicaService } from '../directory-replica/directory-replica.service';
import { BindingsService } from './bindings.service';

/**
 * The DIRECTORY stream was trimmed past what the catalog's copy applied: the copy is rebuilt from
 * the directory's snapshot. A group the directory no longer has goes as its deletion event would
 * take it, with its bindings.
 */
@Controller()
export class DirectoryResyncHandler {
  constructor(
    private readonly replica: DirectoryReplicaService,
    private readonly bindings: BindingsService,
  ) {}

  @OnResync(DIRECTORY_STREAM)
  resync(): Promise<ResyncResult> {
    return this.replica.resync((organizationId, groupId) => this.bindings.groupDeleted(organizationId, groupId, TOMBSTONE_VERSION));
  }
}
