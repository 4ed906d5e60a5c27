import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { CatalogEvents } from '@jit/catalog-contracts';
import { DirectoryEvents } from '@jit/directory-contracts';
import { OnEvent, type BusContext, type PayloadOf } from '@jit/messaging';
import { ReadModelService } from './read-model.service';

/** Directory and catalog events → the IdP's read model. Acked by the transport once applied. */
@Controller()
export class ReadModelHandler {
  constructor(private readonly readModel: ReadModelService) {}

  @OnEvent(DirectoryEvents.userCreated, DirectoryEvents.userUpdated, DirectoryEvents.userStateChanged)
  userChanged(@Payload() e: PayloadOf<typeof DirectoryEvents.userCreated>): Promise<void> {
    return this.readModel.applyVersioned(
      'rm_users',
      { id: e.userId },
      { organization_id: e.organizationId, version: e.version, deleted: false, profile: e.user },
    );
  }

  @OnEvent(DirectoryEvents.userDeleted)
  userDeleted(@Payload() e: PayloadOf<typeof DirectoryEvents.userDeleted>): Promise<void> {
    return this.readModel.applyVersioned(
      'rm_users',
      { id: e.userId },
      { organization_id: e.organizationId, version: e.version, deleted: true, profile: null },
    );
  }

  @OnEvent(DirectoryEvents.groupCreated, DirectoryEvents.groupRenamed)
  groupNamed(@Payload() e: PayloadOf<typeof DirectoryEvents.groupCreated>): Promise<void> {
    // The name feeds an application's groups attribute.
    return this.readModel.applyVersioned(
      'rm_groups',
      { id: e.groupId },
      { organization_id: e.organizationId, version: e.version, deleted: false, name: e.name },
    );
  }

  @OnEvent(DirectoryEvents.groupDeleted)
  groupDeleted(@Payload() e: PayloadOf<typeof DirectoryEvents.groupDeleted>): Promise<void> {
    return this.readModel.applyVersioned(
      'rm_groups',
      { id: e.groupId },
      { organization_id: e.organizationId, version: e.version, deleted: true },
    );
  }

  @OnEvent(DirectoryEvents.membershipAdded, DirectoryEvents.membershipRemoved)
  membershipChanged(
    @Payload() e: PayloadOf<typeof DirectoryEvents.membershipAdded>,
    @Ctx() ctx: BusContext,
  ): Promise<void> {
    // The subject tells add from remove; both share one version sequence per pair.
    return this.readModel.applyVersioned(
      'rm_memberships',
      { group_id: e.groupId, user_id: e.userId },
      { organization_id: e.organizationId, version: e.version, active: ctx.subject === DirectoryEvents.membershipAdded.subject },
    );
  }

  @OnEvent(CatalogEvents.applicationCreated, CatalogEvents.applicationUpdated)
  applicationChanged(@Payload() e: PayloadOf<typeof CatalogEvents.applicationCreated>): Promise<void> {
    return this.readModel.applyVersioned(
      'rm_applications',
      { id: e.applicationId },
      { organization_id: e.organizationId, version: e.version, deleted: false, snapshot: e.application },
    );
  }

  @OnEvent(CatalogEvents.applicationDeleted)
  applicationDeleted(@Payload() e: PayloadOf<typeof CatalogEvents.applicationDeleted>): Promise<void> {
    return this.readModel.applyVersioned(
      'rm_applications',
      { id: e.applicationId },
      { organization_id: e.organizationId, version: e.version, deleted: true, snapshot: null },
    );
  }

  @OnEvent(CatalogEvents.groupBound, CatalogEvents.groupUnbound)
  bindingChanged(@Payload() e: PayloadOf<typeof CatalogEvents.groupBound>, @Ctx() ctx: BusContext): Promise<void> {
    return this.readModel.applyVersioned(
      'rm_bindings',
      { application_id: e.applicationId, group_id: e.groupId },
      { organization_id: e.organizationId, version: e.version, active: ctx.subject === CatalogEvents.groupBound.subject },
    );
  }
}
