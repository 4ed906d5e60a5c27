import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { type FreshnessGate, NatsBus, Outbox, type OutboxTransaction } from '@jit/messaging';
import { setVersionedLink } from '@jit/persistence';
import { CatalogEvents } from '@jit/catalog-contracts';
import { DirectoryRpc } from '@jit/directory-contracts';
import { z } from 'zod';
import { DomainError, ErrorCode, notFound, PageOf } from '@jit/service';
import { DirectoryReplicaService } from '../directory-replica/directory-replica.service';
import { REPLICA_FRESHNESS } from '../directory-replica/directory-replica.module';
import { Application, ApplicationGroup } from './application.entity';
import { findApplication } from './application-view';
import type { ApplicationListPage } from './applications.dto';
import { ReadinessService } from './readiness.service';

/** `field` names where the id came from: the body's groupId, or the path's id. */
const unknownGroup = (groupId: string, field: string): DomainError =>
  new DomainError(
    ErrorCode.NotFound,
    `User group ${groupId} was not found in this organisation; the directory lists its groups at GET /v1/user-groups`,
    [{ field, message: 'no such user group in this organisation' }],
  );

const deletedGroup = (groupId: string, field: string): DomainError =>
  new DomainError(
    ErrorCode.NotFound,
    `User group ${groupId} was deleted in the directory, and its application bindings with it; choose a group that exists (the directory lists them at GET /v1/user-groups)`,
    [{ field, message: 'deleted in the directory' }],
  );

/** `POST /v1/applications/{id}/user-groups`: the binding (the same answer when it already was). */
export const GroupBinding = z.object({ applicationId: z.uuid(), groupId: z.uuid() }).meta({ id: 'GroupBinding' });
export type GroupBinding = z.infer<typeof GroupBinding>;
/** `GET /v1/applications/{id}/user-groups`: the groups bound to the application, the earliest bound first. */
export const BoundGroupsPage = PageOf(z.object({ groupId: z.uuid() })).meta({ id: 'BoundGroupsPage' });
export type BoundGroupsPage = z.infer<typeof BoundGroupsPage>;

/** Which user groups are authorised for which applications: binding, unbinding, and the directory's group deletions. */
@Injectable()
export class BindingsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly bus: NatsBus,
    private readonly replica: DirectoryReplicaService,
    private readonly readiness: ReadinessService,
    @Inject(REPLICA_FRESHNESS) private readonly freshness: FreshnessGate,
  ) {}

  /** Authorises a user group for an application; idempotent. The group must exist in the caller's organisation. */
  async bindGroup(organizationId: string, applicationId: string, groupId: string): Promise<GroupBinding> {
    await findApplication(this.dataSource.manager, organizationId, applicationId);
    await this.requireGroup(organizationId, groupId, 'groupId');
    await this.setBinding(organizationId, applicationId, groupId, true);
    return { applicationId, groupId };
  }

  async unbindGroup(organizationId: string, applicationId: string, groupId: string): Promise<void> {
    await this.setBinding(organizationId, applicationId, groupId, false);
  }

  /**
   * The directory deleted a group (directory.group.deleted.v1): every binding of it goes, each
   * unbound with its own versioned event as an admin unbind would be, in one transaction with the
   * group's tombstone in the copy of the directory. A replay finds nothing left to unbind.
   */
  async groupDeleted(organizationId: string, groupId: string, version: number): Promise<void> {
    await this.outbox.run(async (tx) => {
      // The tombstone first: its row lock waits for a binding of this group still being written
      // (holdGroup), so the query below sees that binding too.
      await this.replica.applyVersioned(
        'directory_groups',
        { id: groupId },
        { organization_id: organizationId, version, deleted: true },
        tx.manager,
      );
      const bound = await tx.manager.find(ApplicationGroup, {
        where: { organizationId, groupId, active: true },
        order: { applicationId: 'ASC' },
      });
      for (const { applicationId } of bound) await this.switchBinding(tx, organizationId, applicationId, groupId, false);
    });
  }

  async groupsOf(organizationId: string, applicationId: string): Promise<BoundGroupsPage> {
    await findApplication(this.dataSource.manager, organizationId, applicationId);
    // Bounded wait for the copy of the directory, so that a group deleted a moment ago is not listed.
    await this.freshness.check();
    const rows = await this.dataSource.getRepository(ApplicationGroup).find({
      where: { organizationId, applicationId, active: true },
      order: { updatedAt: 'ASC' },
    });
    return { items: rows.map((r) => ({ groupId: r.groupId })), total: rows.length };
  }

  /** A user group's applications, each with its supported functionality (the seed's third label place). */
  async applicationsOfGroup(organizationId: string, groupId: string): Promise<ApplicationListPage> {
    // The bindings follow the directory too (a deleted group's go with its event): read them after
    // the freshness check, so that they and the readiness counts come from the same current copy.
    const { fresh } = await this.freshness.check();
    const bindings = await this.dataSource.getRepository(ApplicationGroup).find({
      where: { organizationId, groupId, active: true },
    });
    if (bindings.length === 0) {
      await this.requireGroup(organizationId, groupId, 'id');
      return { items: [], total: 0 };
    }
    const apps = await this.dataSource.getRepository(Application).find({
      where: { organizationId, id: In(bindings.map((b) => b.applicationId)) },
      order: { createdAt: 'ASC' },
    });
    return { items: await this.readiness.views(apps, fresh), total: apps.length };
  }

  /**
   * The group must exist in the caller's organisation. The copy of the directory answers for the
   * groups it has seen; for one it has not (created before the catalog kept groups, its event
   * still on the way, or no such group here) the directory answers.
   */
  private async requireGroup(organizationId: string, groupId: string, field: string): Promise<void> {
    const state = await this.replica.groupState(organizationId, groupId);
    if (state === 'deleted') throw deletedGroup(groupId, field);
    if (state === 'live') return;
    const group = await this.bus.request(DirectoryRpc.getGroup, { organizationId, groupId });
    if (!group.found) throw unknownGroup(groupId, field);
  }

  private async setBinding(organizationId: string, applicationId: string, groupId: string, active: boolean): Promise<void> {
    await this.outbox.run(async (tx) => {
      await findApplication(tx.manager, organizationId, applicationId);
      if (active) {
        const group = await this.replica.holdGroup(tx.manager, organizationId, groupId);
        if (group === 'deleted') throw deletedGroup(groupId, 'groupId');
        if (group === 'unseen') throw unknownGroup(groupId, 'groupId');
      }
      const version = await this.switchBinding(tx, organizationId, applicationId, groupId, active);
      if (version === 'missing') throw notFound('Binding of user group', groupId);
    });
  }

  /** Switches one binding on or off and emits its event with the pair's new version (nothing if it already was). */
  private async switchBinding(
    tx: OutboxTransaction,
    organizationId: string,
    applicationId: string,
    groupId: string,
    active: boolean,
  ): Promise<number | null | 'missing'> {
    const version = await setVersionedLink(tx.manager, ApplicationGroup, { applicationId, groupId }, { organizationId }, active);
    if (typeof version !== 'number') return version;
    tx.emit(active ? CatalogEvents.groupBound : CatalogEvents.groupUnbound, {
      organizationId,
      applicationId,
      groupId,
      version,
      occurredAt: new Date().toISOString(),
    });
    return version;
  }
}
