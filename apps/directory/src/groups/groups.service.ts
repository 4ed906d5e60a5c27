import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { Outbox, type OutboxTransaction } from '@jit/messaging';
import { setVersionedLink } from '@jit/persistence';
import {
  BULK_MEMBERSHIP_MAX_ITEMS,
  DirectoryEvents,
  type BulkMembershipChanges,
  type BulkMembershipResult,
  type BulkMembershipResults,
} from '@jit/directory-contracts';
import { DomainError, ErrorCode, notFound, PageOf, Timestamp, type ListQuery } from '@jit/service';
import { Membership, UserGroup } from './group.entity';

export const GroupView = z
  .object({ id: z.uuid(), name: z.string(), version: z.number().int(), createdAt: Timestamp })
  .meta({ id: 'GroupView' });
export type GroupView = z.infer<typeof GroupView>;
export const GroupPage = PageOf(GroupView).meta({ id: 'GroupPage' });
export type GroupPage = z.infer<typeof GroupPage>;
/** `GET /v1/user-groups/{id}/members`: the active members' ids, the longest-standing first. */
export const GroupMembersPage = PageOf(z.object({ userId: z.uuid() })).meta({ id: 'GroupMembersPage' });
export type GroupMembersPage = z.infer<typeof GroupMembersPage>;
/** `POST /v1/user-groups/{id}/members`: the membership, and whether this call made it (the console says "already a member"). */
export const MembershipView = z
  .object({
    groupId: z.uuid(),
    userId: z.uuid(),
    changed: z.boolean().meta({ description: 'False when the user already was a member: nothing changed, no event' }),
  })
  .meta({ id: 'MembershipView' });
export type MembershipView = z.infer<typeof MembershipView>;

const toView = (g: UserGroup): GroupView => ({ id: g.id, name: g.name, version: g.version, createdAt: g.createdAt });

const refuseOverLimit = (count: number, max: number, what: string): void => {
  if (count > max) {
    throw new DomainError(
      ErrorCode.PayloadTooLarge,
      `A bulk membership call takes at most ${max} user ids (${what}), this one has ${count}: split it into several calls`,
    );
  }
};

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

  async list(organizationId: string, query: ListQuery): Promise<GroupPage> {
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

  async members(organizationId: string, groupId: string): Promise<GroupMembersPage> {
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

  /**
   * Many adds and removes in one group: one transaction, set-based statements, one outbox insert,
   * and (through the outbox) an answer only once JetStream stored every event, so the IdP's
   * freshness check after the answer covers the whole batch. Each change keeps its own versioned
   * membershipAdded/Removed event, exactly as the single calls emit, so consumers need nothing new.
   */
  async bulkMembers(
    organizationId: string,
    groupId: string,
    changes: BulkMembershipChanges,
    maxItems = BULK_MEMBERSHIP_MAX_ITEMS,
  ): Promise<BulkMembershipResults> {
    const add = changes.add ?? [];
    const remove = changes.remove ?? [];
    refuseOverLimit(add.length + remove.length, maxItems, 'add and remove together');
    const results = await this.outbox.run(async (tx) => {
      await this.shareGroup(tx.manager, organizationId, groupId);
      return this.applyMembershipChanges(tx, organizationId, groupId, add, remove);
    });
    return { groupId, results };
  }

  /**
   * Makes the group's members exactly `userIds`: the missing ones are added, the others removed,
   * in one transaction as `bulkMembers`. An id of no user of the organisation is refused, and the
   * rest still applies.
   */
  async setMembers(organizationId: string, groupId: string, userIds: readonly string[]): Promise<BulkMembershipResults> {
    refuseOverLimit(userIds.length, BULK_MEMBERSHIP_MAX_ITEMS, 'userIds');
    const results = await this.outbox.run(async (tx) => {
      // FOR UPDATE, not FOR SHARE: two concurrent replacements of one group must not interleave.
      await this.lockGroup(tx.manager, organizationId, groupId, 'pessimistic_write');
      const wanted = new Set(userIds.map((id) => id.toLowerCase()));
      const current = await tx.manager.find(Membership, {
        select: { userId: true },
        where: { groupId, active: true },
        order: { userId: 'ASC' },
      });
      const leaving = current.map((m) => m.userId).filter((id) => !wanted.has(id));
      return this.applyMembershipChanges(tx, organizationId, groupId, [...userIds], leaving);
    });
    return { groupId, results };
  }

  private async shareGroup(manager: EntityManager, organizationId: string, groupId: string): Promise<void> {
    // FOR SHARE, as the single calls: a concurrent group delete either sees this change or makes it a 404.
    const [group] = await manager.query<unknown[]>(
      `SELECT 1 FROM "directory"."user_groups" WHERE id = $2 AND organization_id = $1 FOR SHARE`,
      [organizationId, groupId],
    );
    if (!group) throw notFound('User group', groupId);
  }

  /** `add` and `remove` hold distinct ids (the request schema refuses repeats). */
  private async applyMembershipChanges(
    tx: OutboxTransaction,
    organizationId: string,
    groupId: string,
    add: readonly string[],
    remove: readonly string[],
  ): Promise<BulkMembershipResult[]> {
    const requested = [...add, ...remove].map((id) => id.toLowerCase());
    const known = new Set(
      (
        await tx.manager.query<{ id: string }[]>(`SELECT id FROM "directory"."users" WHERE organization_id = $1 AND id = ANY($2::uuid[])`, [
          organizationId,
          requested,
        ])
      ).map((row) => row.id),
    );
    // Sorted, so that two calls touching the same pairs lock them in the same order (no deadlock).
    const adding = add
      .map((id) => id.toLowerCase())
      .filter((id) => known.has(id))
      .sort();
    const removing = remove
      .map((id) => id.toLowerCase())
      .filter((id) => known.has(id))
      .sort();
    const versions = new Map<string, number>();
    if (adding.length > 0) {
      // In a CTE so that the driver answers the returned rows whatever the statement.
      const rows = await tx.manager.query<{ user_id: string; version: number }[]>(
        `WITH "changed" AS (
           INSERT INTO "directory"."memberships" AS l (group_id, user_id, organization_id, active, version)
           SELECT $1, u, $2, true, 1 FROM unnest($3::uuid[]) AS u
           ON CONFLICT (group_id, user_id) DO UPDATE SET active = true, version = l.version + 1, updated_at = now()
           WHERE l.active = false
           RETURNING l.user_id, l.version)
         SELECT user_id, version FROM "changed"`,
        [groupId, organizationId, adding],
      );
      for (const row of rows) versions.set(row.user_id, row.version);
    }
    if (removing.length > 0) {
      // Locked in user-id order first (an UPDATE's own order follows its plan), then switched off.
      const rows = await tx.manager.query<{ user_id: string; version: number }[]>(
        `WITH "locked" AS (
           SELECT user_id FROM "directory"."memberships"
           WHERE group_id = $1 AND user_id = ANY($2::uuid[]) AND active
           ORDER BY user_id FOR UPDATE),
         "changed" AS (
           UPDATE "directory"."memberships" AS l SET active = false, version = l.version + 1, updated_at = now()
           FROM "locked" WHERE l.group_id = $1 AND l.user_id = "locked".user_id
           RETURNING l.user_id, l.version)
         SELECT user_id, version FROM "changed"`,
        [groupId, removing],
      );
      for (const row of rows) versions.set(row.user_id, row.version);
    }
    const occurredAt = new Date().toISOString();
    const outcome = (userId: string, op: 'add' | 'remove'): BulkMembershipResult => {
      const id = userId.toLowerCase();
      if (!known.has(id)) return { userId, op, outcome: 'refused', reason: 'no such user in the organisation' };
      const version = versions.get(id);
      if (version === undefined) return { userId, op, outcome: 'unchanged' };
      tx.emit(op === 'add' ? DirectoryEvents.membershipAdded : DirectoryEvents.membershipRemoved, {
        organizationId,
        groupId,
        userId: id,
        version,
        occurredAt,
      });
      return { userId, op, outcome: op === 'add' ? 'added' : 'removed' };
    };
    return [...add.map((id) => outcome(id, 'add')), ...remove.map((id) => outcome(id, 'remove'))];
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
