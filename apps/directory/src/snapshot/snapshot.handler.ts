import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { DirectorySnapshot } from '@jit/directory-contracts';
import { AnswerRpc, type SnapshotPage, type SnapshotRequest } from '@jit/messaging';
import type { z } from 'zod';
import { SnapshotService } from './snapshot.service';

type Request = z.infer<typeof SnapshotRequest>;

/** Snapshot pages for the consumers of the DIRECTORY stream (NATS request/reply). */
@Controller()
export class SnapshotHandler {
  constructor(private readonly snapshot: SnapshotService) {}

  @AnswerRpc(DirectorySnapshot.organizations)
  organizations(@Payload() request: Request): Promise<SnapshotPage<typeof DirectorySnapshot.organizations>> {
    return this.snapshot.organizations(request.after);
  }

  @AnswerRpc(DirectorySnapshot.users)
  users(@Payload() request: Request): Promise<SnapshotPage<typeof DirectorySnapshot.users>> {
    return this.snapshot.users(request.after);
  }

  @AnswerRpc(DirectorySnapshot.groups)
  groups(@Payload() request: Request): Promise<SnapshotPage<typeof DirectorySnapshot.groups>> {
    return this.snapshot.groups(request.after);
  }

  @AnswerRpc(DirectorySnapshot.memberships)
  memberships(@Payload() request: Request): Promise<SnapshotPage<typeof DirectorySnapshot.memberships>> {
    return this.snapshot.memberships(request.after);
  }
}
