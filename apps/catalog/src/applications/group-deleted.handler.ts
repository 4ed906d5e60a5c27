import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { DirectoryEvents } from '@jit/directory-contracts';
import { OnEvent, type PayloadOf } from '@jit/messaging';
import { BindingsService } from './bindings.service';

/** The directory deleted a user group: its application bindings go. Acked by the transport once committed. */
@Controller()
export class GroupDeletedHandler {
  constructor(private readonly bindings: BindingsService) {}

  @OnEvent(DirectoryEvents.groupDeleted)
  groupDeleted(@Payload() e: PayloadOf<typeof DirectoryEvents.groupDeleted>): Promise<void> {
    return this.bindings.groupDeleted(e.organizationId, e.groupId, e.version);
  }
}
