import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { CATALOG_STREAM, CatalogEvents } from '@jit/catalog-contracts';
import { DIRECTORY_STREAM, DirectoryEvents } from '@jit/directory-contracts';
import { OnEvent, OnResync, type BusContext, type PayloadOf, type ResyncResult } from '@jit/messaging';
import { ReadModelService, rows } from './read-model.service';

/** Directory and catalog events → the IdP's read model. Acked by the transport once applied. */
@Controller()
export class ReadModelHandler {
  constructor(private readonly readModel: ReadModelService) {}

  @OnEvent(DirectoryEvents.userCreated, DirectoryEvents.userUpdated, DirectoryEvents.userStateChanged)
  userChanged(@Payload() e: PayloadOf<typeof DirectoryEvents.userCreated>): Promise<void> {
    return this.readModel.write('rm_users', rows.user(e));
  }

  @OnEvent(DirectoryEvents.userDeleted)
  userDeleted(@Payload() e: PayloadOf<typeof DirectoryEvents.userDeleted>): Promise<void> {
    return this.readModel.applyVersioned(
      'rm_users',
      { id: e.userId },
      { organization_id: e.organizationId, version: e.version, deleted: true, profile: null },
    );
  }

  /** Who may sign in to the admin console; applied before the event is acked, so the freshness gate covers it. */
  @OnEvent(DirectoryEvents.userAdminRoleChanged)
  adminRoleChanged(@Payload() e: PayloadOf<typeof DirectoryEvents.userAdminRoleChanged>): Promise<void> {
    return this.readModel.write('rm_admin_roles', rows.adminRole({ ...e, adminRole: e.role }));
  }

  /** The organisation's name, logo and colour, for its sign-in pages and portal. */
  @OnEvent(DirectoryEvents.organizationCreated, DirectoryEvents.organizationUpdated)
  organizationChanged(@Payload() e: PayloadOf<typeof DirectoryEvents.organizationCreated>): Promise<void> {
    return this.readModel.write('rm_organizations', rows.organization(e));
  }

  @OnEvent(DirectoryEvents.groupCreated, DirectoryEvents.groupRenamed)
  groupNamed(@Payload() e: PayloadOf<typeof DirectoryEvents.groupCreated>): Promise<void> {
    // The name feeds an application's groups attribute.
    return this.readModel.write('rm_groups', rows.group(e));
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
  membershipChanged(@Payload() e: PayloadOf<typeof DirectoryEvents.membershipAdded>, @Ctx() ctx: BusContext): Promise<void> {
    // The subject tells add from remove; both share one version sequence per pair.
    return this.readModel.write(
      'rm_memberships',
      rows.membership({ ...e, active: ctx.subject === DirectoryEvents.membershipAdded.subject }),
    );
  }

  @OnEvent(CatalogEvents.applicationCreated, CatalogEvents.applicationUpdated)
  applicationChanged(@Payload() e: PayloadOf<typeof CatalogEvents.applicationCreated>): Promise<void> {
    return this.readModel.write('rm_applications', rows.application(e));
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
    return this.readModel.write('rm_bindings', rows.binding({ ...e, active: ctx.subject === CatalogEvents.groupBound.subject }));
  }

  /** A stream was trimmed past what the read model applied: rebuild its part from the producer's snapshot. */
  @OnResync(DIRECTORY_STREAM)
  resyncDirectory(): Promise<ResyncResult> {
    return this.readModel.resyncDirectory();
  }

  @OnResync(CATALOG_STREAM)
  resyncCatalog(): Promise<ResyncResult> {
    return this.readModel.resyncCatalog();
  }
}
