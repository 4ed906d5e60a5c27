import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DirectorySnapshot } from '@jit/directory-contracts';
import { SNAPSHOT_PAGE_ROWS, snapshotPage, type SnapshotPage } from '@jit/messaging';
import { rowsAfter } from '@jit/persistence';
import { Membership, UserGroup } from '../groups/group.entity';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';
import { toProfile } from '../users/users.service';

/** Pages of the directory's current state, every organisation, in key order. */
@Injectable()
export class SnapshotService {
  constructor(private readonly dataSource: DataSource) {}

  async organizations(after: string | null): Promise<SnapshotPage<typeof DirectorySnapshot.organizations>> {
    const rows = await rowsAfter(this.dataSource.manager, Organization, ['id'], after, SNAPSHOT_PAGE_ROWS);
    return snapshotPage(rows, (o) => ({
      organizationId: o.id,
      version: o.version,
      name: o.name,
      logoUrl: o.logoUrl,
      brandColor: o.brandColor,
    }));
  }

  async users(after: string | null): Promise<SnapshotPage<typeof DirectorySnapshot.users>> {
    const rows = await rowsAfter(this.dataSource.manager, User, ['id'], after, SNAPSHOT_PAGE_ROWS);
    return snapshotPage(rows, (u) => ({
      organizationId: u.organizationId,
      version: u.version,
      userId: u.id,
      user: toProfile(u),
      adminRole: u.adminRole,
    }));
  }

  async groups(after: string | null): Promise<SnapshotPage<typeof DirectorySnapshot.groups>> {
    const rows = await rowsAfter(this.dataSource.manager, UserGroup, ['id'], after, SNAPSHOT_PAGE_ROWS);
    return snapshotPage(rows, (g) => ({ organizationId: g.organizationId, version: g.version, groupId: g.id, name: g.name }));
  }

  async memberships(after: string | null): Promise<SnapshotPage<typeof DirectorySnapshot.memberships>> {
    const rows = await rowsAfter(this.dataSource.manager, Membership, ['groupId', 'userId'], after, SNAPSHOT_PAGE_ROWS);
    return snapshotPage(rows, (m) => ({
      organizationId: m.organizationId,
      version: m.version,
      groupId: m.groupId,
      userId: m.userId,
      active: m.active,
    }));
  }
}
