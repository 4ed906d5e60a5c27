import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { DirectoryEvents } from '@jit/directory-contracts';
import { OnEvent, type BusContext, type PayloadOf } from '@jit/messaging';
import { DirectoryReplicaService, groupRow, membershipRow, userRow } from './directory-replica.service';

/**
 * DIRECTORY events → the catalog's copy of users, groups and memberships. Acked by the transport
 * once applied. A group's deletion is handled by the applications feature (GroupDeletedHandler):
 * its tombstone and the unbinding of its applications commit together; so is a resync
 * (DirectoryResyncHandler), which may find groups deleted.
 */
@Controller()
export class DirectoryReplicaHandler {
  constructor(private readonly replica: DirectoryReplicaService) {}

  @OnEvent(DirectoryEvents.userCreated, DirectoryEvents.userUpdated, DirectoryEvents.userStateChanged)
  userChanged(@Payload() e: PayloadOf<typeof DirectoryEvents.userCreated>): Promise<void> {
    return this.replica.write('directory_users', userRow(e));
  }

  @OnEvent(DirectoryEvents.userDeleted)
  userDeleted(@Payload() e: PayloadOf<typeof DirectoryEvents.userDeleted>): Promise<void> {
    return this.replica.applyVersioned(
      'directory_users',
      { id: e.userId },
      { organization_id: e.organizationId, version: e.version, deleted: true, profile: null },
    );
  }

  @OnEvent(DirectoryEvents.groupCreated, DirectoryEvents.groupRenamed)
  groupChanged(@Payload() e: PayloadOf<typeof DirectoryEvents.groupCreated>): Promise<void> {
    return this.replica.write('directory_groups', groupRow(e));
  }

  @OnEvent(DirectoryEvents.membershipAdded, DirectoryEvents.membershipRemoved)
  membershipChanged(@Payload() e: PayloadOf<typeof DirectoryEvents.membershipAdded>, @Ctx() ctx: BusContext): Promise<void> {
    // The subject tells add from remove; both share one version sequence per pair.
    return this.replica.write(
      'directory_memberships',
      membershipRow({ ...e, active: ctx.subject === DirectoryEvents.membershipAdded.subject }),
    );
  }
}
