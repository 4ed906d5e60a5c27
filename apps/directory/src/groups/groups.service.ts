import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { Outbox } from '@jit/messaging';
import { setVersionedLink } from '@jit/persistence';
import { DirectoryEvents } from '@jit/directory-contracts';
import { DomainError, ErrorCode, notFound, type ListQuery } from '@jit/service';
import { Membership, UserGroup } from './group.entity';

export interface GroupView {
  id: string;
  name: string;
  version: number;
  createdAt: Date;
}

const toView = (g: UserGroup): GroupView => ({ id: g.id, name: g.name, version: g.version, createdAt: g.createdAt });

const isUniqueViolation = (error: unknown): boolean =>
  error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505';

const nameTaken = (): DomainError =>
  new DomainError(ErrorCode.Conflict, 'A user group with this name already exists', [{ field: 'name', message: 'already taken' }]);

@Injectable()
export class GroupsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
  ) {}

  async create(organizationId: string, name: string): Promise<GroupView> {
    const group = this.dataSource.getRepository(UserGroup).create({
      id: randomUUID(),
      organizationId,
      name,
      nameLower: name.toLowerCase(),
      version: 1,
    });
    await this.outbox.run(async (tx) => {
      await tx.manager.insert(UserGroup, group).catch((error: unknown) => {
        throw isUniqueViolation(error) ? nameTaken() : error;
      });
      tx.emit(DirectoryEvents.groupCreated, {
        organizationId,
        groupId: group.id,
        name,
        version: 1,
        occurredAt: new Date().toISOString(),
      });
    });
    return toView(group);
  }

  async list(organizationId: string, query: ListQuery): Promise<{ items: GroupView[]; total: number }> {
    const [items, total] = await this.dataSource.getRepository(UserGroup).findAndCount({
      where: { organizationId },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: query.limit,
      skip: query.offset,
    });
    return { items: items.map(toView), total };
  }

  async get(organizationId: string, id: string): Promise<GroupView> {
    const group = await this.dataSource.getRepository(UserGroup).findOneBy({ id, organizationId });
    if (!group) throw notFound('User group', id);
    return toView(group);
  }

  /** Renaming to the exact current name changes nothing and emits nothing; a change of letter case is a rename. */
  async rename(organizationId: string, id: string, name: string): Promise<GroupView> {
    return this.outbox.run(async (tx) => {
      const group = await this.lockGroup(tx.manager, organizationId, id, 'pessimistic_write');
      if (group.name === name) return toView(group);
      const previousName = group.name;
      group.name = name;
      group.nameLower = name.toLowerCase();
      group.version += 1;
      await tx.manager
        .update(UserGroup, { id }, { name: group.name, nameLower: group.nameLower, version: group.version })
        .catch((error: unknown) => {
          throw isUniqueViolation(error) ? nameTaken() : error;
        });
      tx.emit(DirectoryEvents.groupRenamed, {
        organizationId,
        groupId: id,
        name,
        previousName,
        version: group.version,
        occurredAt: new Date().toISOString(),
      });
      return toView(group);
    });
  }

  /**
   * One transaction: each active membership is switched off with its own versioned event, so a
   * consumer that tracks pairs sees every removal, and only then the group goes (its rows cascade).
   */
  async remove(organizationId: string, id: string): Promise<void> {
    await this.outbox.run(async (tx) => {
      // FOR UPDATE waits for membership changes in flight (they hold FOR SHARE) and blocks new ones.
      const group = await this.lockGroup(tx.manager, organizationId, id, 'pessimistic_write');
      const active = await tx.manager.find(Membership, { where: { groupId: id, active: true }, order: { userId: 'ASC' } });
      const occurredAt = new Date().toISOString();
      for (const { userId } of active) {
        const version = await setVersionedLink(tx.manager, Membership, { groupId: id, userId }, { organizationId }, false);
        if (typeof version !== 'number') continue;
        tx.emit(DirectoryEvents.membershipRemoved, { organizationId, groupId: id, userId, version, occurredAt });
      }
      await tx.manager.delete(UserGroup, { id });
      tx.emit(DirectoryEvents.groupDeleted, { organizationId, groupId: id, version: group.version + 1, occurredAt });
    });
  }

  async members(organizationId: string, groupId: string): Promise<{ items: { userId: string }[]; total: number }> {
    await this.get(organizationId, groupId);
    const rows = await this.dataSource.getRepository(Membership).find({
      where: { organizationId, groupId, active: true },
      order: { updatedAt: 'ASC' },
    });
    return { items: rows.map((r) => ({ userId: r.userId })), total: rows.length };
  }

  /** Idempotent: adding a member twice answers the same and emits nothing the second time. */
  async addMember(organizationId: string, groupId: string, userId: string): Promise<{ groupId: string; userId: string; changed: boolean }> {
    return { groupId, userId, changed: await this.setMembership(organizationId, groupId, userId, true) };
  }

  async removeMember(
    organizationId: string,
    groupId: string,
    userId: string,
  ): Promise<{ groupId: string; userId: string; changed: boolean }> {
    return { groupId, userId, changed: await this.setMembership(organizationId, groupId, userId, false) };
  }

  /** Returns whether anything changed. */
  private async setMembership(organizationId: string, groupId: string, userId: string, active: boolean): Promise<boolean> {
    return this.outbox.run(async (tx) => {
      // Both ids checked in one round trip (this is every access change's hot path). FOR SHARE of
      // the group: a concurrent group delete either sees this change or makes this call a 404.
      const [found] = await tx.manager.query<{ user_id: string | null }[]>(
        `SELECT u.id AS user_id FROM "directory"."user_groups" g
         LEFT JOIN "directory"."users" u ON u.id = $3 AND u.organization_id = $1
         WHERE g.id = $2 AND g.organization_id = $1
         FOR SHARE OF g`,
        [organizationId, groupId, userId],
      );
      if (!found) throw notFound('User group', groupId);
      if (found.user_id === null) throw notFound('User', userId);
      const version = await setVersionedLink(tx.manager, Membership, { groupId, userId }, { organizationId }, active);
      if (version === 'missing') throw notFound('Membership of user', userId);
      if (version === null) return false;
      tx.emit(active ? DirectoryEvents.membershipAdded : DirectoryEvents.membershipRemoved, {
        organizationId,
        groupId,
        userId,
        version,
        occurredAt: new Date().toISOString(),
      });
      return true;
    });
  }

  private async lockGroup(
    manager: EntityManager,
    organizationId: string,
    id: string,
    mode: 'pessimistic_read' | 'pessimistic_write',
  ): Promise<UserGroup> {
    const group = await manager.findOne(UserGroup, { where: { id, organizationId }, lock: { mode } });
    if (!group) throw notFound('User group', id);
    return group;
  }

  async findForRpc(organizationId: string, groupId: string): Promise<{ found: boolean; name?: string }> {
    const group = await this.dataSource.getRepository(UserGroup).findOneBy({ id: groupId, organizationId });
    return group ? { found: true, name: group.name } : { found: false };
  }
}
