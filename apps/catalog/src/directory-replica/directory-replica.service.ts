import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { DirectorySnapshot } from '@jit/directory-contracts';
import { NatsBus, readSnapshot, type ResyncResult, type SnapshotItemOf } from '@jit/messaging';
import { replaceFromSnapshot, upsertIfNewer, upsertManyIfNewer, type VersionedRow } from '@jit/persistence';

type Row = Record<string, string | number | boolean | object | null>;
type Table = 'directory_users' | 'directory_memberships' | 'directory_groups';

/** A user as its latest event or the directory's snapshot describes it. */
export const userRow = (u: SnapshotItemOf<typeof DirectorySnapshot.users>): VersionedRow => ({
  keys: { id: u.userId },
  values: { organization_id: u.organizationId, version: u.version, deleted: false, profile: u.user },
});

export const groupRow = (g: SnapshotItemOf<typeof DirectorySnapshot.groups>): VersionedRow => ({
  keys: { id: g.groupId },
  values: { organization_id: g.organizationId, version: g.version, deleted: false, name: g.name },
});

export const membershipRow = (m: SnapshotItemOf<typeof DirectorySnapshot.memberships>): VersionedRow => ({
  keys: { group_id: m.groupId, user_id: m.userId },
  values: { organization_id: m.organizationId, version: m.version, active: m.active },
});

/** What the copy knows of a group: it exists, it was deleted, or no event of it has reached the catalog. */
export type GroupState = 'live' | 'deleted' | 'unseen';

/**
 * The catalog's copy of the directory users, groups and memberships it needs (JIT readiness,
 * known custom attribute names, which groups may be bound). It is fed only by DIRECTORY events:
 * the catalog never reads the directory's tables and never polls it.
 */
@Injectable()
export class DirectoryReplicaService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: NatsBus,
  ) {}

  /**
   * Replays are no-ops; an older event arriving late never overwrites a newer one. `manager`
   * writes inside a caller's transaction.
   */
  async applyVersioned(
    table: Table,
    keys: Row,
    values: Row & { version: number },
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await upsertIfNewer(manager, { schema: 'catalog', name: table }, keys, values, { touch: 'updated_at' });
  }

  write(table: Table, row: VersionedRow): Promise<void> {
    return this.applyVersioned(table, row.keys, row.values);
  }

  /** The same for a snapshot's rows, a statement per batch. */
  private writeMany(table: Table, rows: VersionedRow[]): Promise<void> {
    return upsertManyIfNewer(this.dataSource, { schema: 'catalog', name: table }, rows, { touch: 'updated_at' });
  }

  /**
   * Rebuilds the copy from the directory's snapshot, for when the DIRECTORY stream no longer
   * holds events the copy never applied. Users and memberships the directory no longer has
   * become tombstones; a group it no longer has goes through `groupGone`, as its deletion event
   * would (the applications feature unbinds it in the same transaction).
   */
  async resync(groupGone: (organizationId: string, groupId: string) => Promise<void>): Promise<ResyncResult> {
    const results = [
      await replaceFromSnapshot({
        items: readSnapshot(this.bus, DirectorySnapshot.users),
        toRow: userRow,
        write: (row) => this.write('directory_users', row),
        writeMany: (rows) => this.writeMany('directory_users', rows),
        live: () => this.live('directory_users', ['id'], 'NOT "deleted"'),
        gone: { deleted: true, profile: null },
      }),
      await replaceFromSnapshot({
        items: readSnapshot(this.bus, DirectorySnapshot.groups),
        toRow: groupRow,
        write: (row) => this.write('directory_groups', row),
        writeMany: (rows) => this.writeMany('directory_groups', rows),
        tombstone: (row) => groupGone(row.values.organization_id, row.keys.id ?? ''),
        live: () => this.live('directory_groups', ['id'], 'NOT "deleted"'),
        gone: { deleted: true },
      }),
      await replaceFromSnapshot({
        items: readSnapshot(this.bus, DirectorySnapshot.memberships),
        toRow: membershipRow,
        write: (row) => this.write('directory_memberships', row),
        writeMany: (rows) => this.writeMany('directory_memberships', rows),
        live: () => this.live('directory_memberships', ['group_id', 'user_id'], '"active"'),
        gone: { active: false },
      }),
    ];
    // Thousands of rows written at once: without fresh statistics PostgreSQL plans the readiness
    // statement for the tables as they were (empty, at a first start) and loops over them; and
    // until the new pages are marked all-visible, it reads the bound groups' memberships from the
    // table instead of from their partial index alone (a million rows instead of the bound ones).
    // The triggers of migration 1766300000000 kept the applications' audiences through every batch.
    await this.dataSource.query(
      'VACUUM (ANALYZE) "catalog"."directory_users", "catalog"."directory_groups", "catalog"."directory_memberships", "catalog"."application_audience"',
    );
    return { applied: sum(results.map((r) => r.applied)), tombstoned: sum(results.map((r) => r.tombstoned)) };
  }

  private async live(
    table: Table,
    keyColumns: string[],
    condition: string,
  ): Promise<{ keys: Record<string, string>; organizationId: string }[]> {
    const rows = await this.dataSource.query<Record<string, string>[]>(
      `SELECT ${keyColumns.map((c) => `"${c}"`).join(', ')}, "organization_id" FROM "catalog"."${table}" WHERE ${condition}`,
    );
    return rows.map((r) => ({ keys: Object.fromEntries(keyColumns.map((c) => [c, r[c] ?? ''])), organizationId: r.organization_id ?? '' }));
  }

  /** What the copy knows of a group in this organisation; another organisation's group is 'unseen'. */
  async groupState(organizationId: string, groupId: string): Promise<GroupState> {
    return this.readGroupState(this.dataSource.manager, organizationId, groupId, '');
  }

  /**
   * For a binding's transaction, once the group is known to exist in this organisation: records
   * it if the copy has no row yet (version 0: vouched for by the directory, no event applied), and
   * holds its row FOR SHARE until commit. The group's deletion writes its tombstone on that row and
   * then unbinds in one transaction, so it either waits for this binding and removes it, or
   * committed first and is seen here as 'deleted'.
   */
  async holdGroup(manager: EntityManager, organizationId: string, groupId: string): Promise<GroupState> {
    await manager.query(
      `INSERT INTO "catalog"."directory_groups" ("id", "organization_id", "version", "deleted")
       VALUES ($1, $2, 0, false) ON CONFLICT ("id") DO NOTHING`,
      [groupId, organizationId],
    );
    return this.readGroupState(manager, organizationId, groupId, 'FOR SHARE');
  }

  private async readGroupState(
    manager: EntityManager,
    organizationId: string,
    groupId: string,
    lock: '' | 'FOR SHARE',
  ): Promise<GroupState> {
    const [row] = await manager.query<{ deleted: boolean }[]>(
      `SELECT "deleted" FROM "catalog"."directory_groups" WHERE "id" = $1 AND "organization_id" = $2 ${lock}`,
      [groupId, organizationId],
    );
    if (!row) return 'unseen';
    return row.deleted ? 'deleted' : 'live';
  }

  /** The custom attribute names at least one (not deleted) user of the organisation has, sorted. */
  async customAttributeNames(organizationId: string): Promise<string[]> {
    const rows = await this.dataSource.query<{ name: string }[]>(
      `SELECT DISTINCT jsonb_object_keys(u."profile" -> 'customAttributes') AS "name"
         FROM "catalog"."directory_users" u
        WHERE u."organization_id" = $1 AND NOT u."deleted" AND u."profile" IS NOT NULL`,
      [organizationId],
    );
    return rows.map((r) => r.name).sort();
  }
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
