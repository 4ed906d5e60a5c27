import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { FreshnessGate } from '@jit/messaging';
import { DomainError, ErrorCode, type ListQuery, type Page } from '@jit/service';
import { DirectoryReplicaService } from '../directory-replica/directory-replica.service';
import { REPLICA_FRESHNESS } from '../directory-replica/directory-replica.module';
import type { Application } from './application.entity';
import { connectorOf, findApplication, toView, type ApplicationView } from './application-view';
import { missingForUser, type Lack } from './jit-readiness';

export interface ReadinessReport extends Page<{ userId: string; username: string; email: string; missing: Lack[] }> {
  applicationId: string;
  /** ACTIVATED members of the groups bound to the application. */
  authorisedUsers: number;
}

/** JIT readiness, read from the catalog's copy of the directory: one application's report, and the counts lists show. */
@Injectable()
export class ReadinessService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly replica: DirectoryReplicaService,
    @Inject(REPLICA_FRESHNESS) private readonly freshness: FreshnessGate,
  ) {}

  /**
   * The authorised users (ACTIVATED members of a bound group) who lack a value for an enabled
   * required attribute or for the NameID source, each with what they lack. Read from the
   * catalog's copy of the directory after confirming it has applied everything the DIRECTORY
   * stream held when the request arrived; if it cannot confirm that, 503 instead of a stale answer.
   */
  async readiness(organizationId: string, id: string, query: ListQuery): Promise<ReadinessReport> {
    const app = await findApplication(this.dataSource.manager, organizationId, id);
    const fresh = await this.freshness.check();
    if (!fresh.fresh) {
      throw new DomainError(ErrorCode.NotFresh, `The catalog's copy of the directory is not confirmed current: ${fresh.reason}`);
    }
    const users = await this.replica.authorisedUsers(organizationId, [app.id]);
    const lacking = users
      .map((u) => ({
        userId: u.userId,
        username: u.profile.username,
        email: u.profile.email,
        missing: missingForUser(app, u.userId, u.profile),
      }))
      .filter((u) => u.missing.length > 0);
    return {
      applicationId: app.id,
      authorisedUsers: users.length,
      items: lacking.slice(query.offset, query.offset + query.limit),
      total: lacking.length,
    };
  }

  /** The applications' views with their readiness counts. `fresh`: the result of a freshness check made before the caller read what it lists. */
  async views(organizationId: string, apps: Application[], fresh?: boolean): Promise<ApplicationView[]> {
    if (apps.length === 0) return [];
    // A list still answers when freshness cannot be confirmed, and says so.
    fresh ??= (await this.freshness.check()).fresh;
    const users = await this.replica.authorisedUsers(
      organizationId,
      apps.map((a) => a.id),
    );
    return apps.map((app) => {
      const mine = users.filter((u) => u.applicationId === app.id);
      const usersLacking = mine.filter((u) => missingForUser(app, u.userId, u.profile).length > 0).length;
      return toView(app, connectorOf(app.connectorId), { usersLacking, authorisedUsers: mine.length, fresh });
    });
  }
}
