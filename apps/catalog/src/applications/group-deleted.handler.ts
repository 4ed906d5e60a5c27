import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { DirectoryEvents } from '@jit/directory-contracts';
import { OnEvent, type PayloadOf } from '@jit/messaging';
import { ApplicationsService } from './applications.service';

/** The directory deleted a user group: its application bindings go. Acked by the transport once committed. */
@Controller()
export class GroupDeletedHandler {
  constructor(private readonly applications: ApplicationsService) {}

  @OnEvent(DirectoryEvents.groupDeleted)
  groupDeleted(@Payload() e: PayloadOf<typeof DirectoryEvents.groupDeleted>): Promise<void> {
    return this.applications.groupDeleted(e.organizationId, e.groupId, e.version);
  }
}
