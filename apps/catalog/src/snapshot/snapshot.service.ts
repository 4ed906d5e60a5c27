import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CatalogSnapshot } from '@jit/catalog-contracts';
import { SNAPSHOT_PAGE_ROWS, snapshotPage, type SnapshotPage } from '@jit/messaging';
import { rowsAfter } from '@jit/persistence';
import { Application, ApplicationGroup } from '../applications/application.entity';
import { applicationSnapshot } from '../applications/application-view';

/** Pages of the catalog's current state, every organisation, in key order. */
@Injectable()
export class SnapshotService {
  constructor(private readonly dataSource: DataSource) {}

  async applications(after: string | null): Promise<SnapshotPage<typeof CatalogSnapshot.applications>> {
    const rows = await rowsAfter(this.dataSource.manager, Application, ['id'], after, SNAPSHOT_PAGE_ROWS);
    return snapshotPage(rows, (a) => ({
      organizationId: a.organizationId,
      version: a.version,
      applicationId: a.id,
      application: applicationSnapshot(a),
    }));
  }

  async bindings(after: string | null): Promise<SnapshotPage<typeof CatalogSnapshot.bindings>> {
    const rows = await rowsAfter(this.dataSource.manager, ApplicationGroup, ['applicationId', 'groupId'], after, SNAPSHOT_PAGE_ROWS);
    return snapshotPage(rows, (b) => ({
      organizationId: b.organizationId,
      version: b.version,
      applicationId: b.applicationId,
      groupId: b.groupId,
      active: b.active,
    }));
  }
}
