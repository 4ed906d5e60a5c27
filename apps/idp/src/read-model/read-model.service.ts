import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApplicationSnapshot, CatalogSnapshot } from '@jit/catalog-contracts';
import { describe, NatsBus, readSnapshot, type ResyncResult, type SnapshotItemOf } from '@jit/messaging';
import {
  GroupCommit,
  SNAPSHOT_BATCH_ROWS,
  UPSERT_BATCH_ROWS,
  replaceFromSnapshot,
  upsertManyIfNewer,
  type SnapshotReplacement,
  type VersionedRow,
} from '@jit/persistence';
import { DirectorySnapshot, type AdminRole, type OrganizationBranding, type UserProfile } from '@jit/directory-contracts';
import { ConsoleApplication } from './console-application';

type Row = Record<string, string | number | boolean | object | null>;

export interface ReadApplicationView {
  id: string;
  organizationId: string;
  snapshot: ApplicationSnapshot;
  /** The IdP's own admin console (console-application.ts), not an application of the catalog. */
  builtIn?: 'console';
}

export interface AuthorisationFacts {
  user: { id: string; profile: UserProfile } | null;
  application: ReadApplicationView | null;
  /** A member of a group bound to the application; for the console, a holder of an admin role. */
  granted: boolean;
  /** Names of the user's groups (active memberships of groups that exist), sorted. */
  groupNames: string[];
  /** The user's admin role in the organisation, null for an ordinary person. */
  adminRole: AdminRole | null;
  /**
   * Whether the read model has learnt every admin role: false until the one-time backfill of an
   * IdP that consumed the directory's events before it kept roles (see backfillAdminRoles).
   */
  adminRolesKnown: boolean;
}

interface Versioned {
  version: number;
  organizationId: string;
}
interface UserRow extends Versioned {
  deleted: boolean;
  profile: UserProfile | null;
}
interface GroupRow extends Versioned {
  deleted: boolean;
  name: string | null;
}
interface LinkRow extends Versioned {
  active: boolean;
}
/**
 * A user's memberships. Each is the packed number `version * 2 + (active ? 1 : 0)` when it is in
 * `organizationId` (the organisation of the user's first one: every membership the directory
 * makes is in its user's organisation), and a LinkRow only otherwise. A million memberships are
 * then a million small integers in their maps, not a million objects on the heap for every full
 * GC to mark: `npm run bench:scale` measured 277 bytes of resident set per membership, 332 with
 * an object each.
 */
interface UserMemberships {
  organizationId: string;
  groups: Map<string, number | LinkRow>;
}
interface ApplicationRow extends Versioned {
  deleted: boolean;
  snapshot: ApplicationSnapshot | null;
}
interface AdminRoleRow extends Versioned {
  role: AdminRole | null;
}
interface OrganizationRow extends Versioned {
  deleted: boolean;
  /** Null for a tombstone (an organisation a complete snapshot no longer lists). */
  branding: OrganizationBranding | null;
}

const TABLES = ['rm_users', 'rm_groups', 'rm_memberships', 'rm_applications', 'rm_bindings', 'rm_admin_roles', 'rm_organizations'] as const;
/**
 * The rm_backfills rows written once every admin role, and every organisation, has been read from
 * the directory's snapshot: an IdP that consumed the stream before it kept them reads them once.
 */
const ADMIN_ROLES_BACKFILL = 'admin_roles';
const ORGANIZATIONS_BACKFILL = 'organizations';
const BACKFILL_RETRY_MS = 1000;
/** Each table's primary key (all uuid): the start reads the tables in pages in this order. */
const TABLE_KEYS: Record<ReadModelTable, readonly string[]> = {
  rm_users: ['id'],
  rm_groups: ['id'],
  rm_memberships: ['group_id', 'user_id'],
  rm_applications: ['id'],
  rm_bindings: ['application_id', 'group_id'],
  rm_admin_roles: ['user_id'],
  rm_organizations: ['id'],
};
/**
 * Rows per page at start. One `SELECT *` of a million memberships held every row object at once
 * (hundreds of MB of garbage right after the start, and a resident set that kept that high-water mark).
 */
const LOAD_PAGE_ROWS = 10_000;
export type ReadModelTable = (typeof TABLES)[number];

/**
 * Each entity as its latest event or its producer's snapshot describes it: one mapping for both,
 * so a resync writes exactly what the events would have written.
 */
export const rows = {
  user: (u: SnapshotItemOf<typeof DirectorySnapshot.users>): VersionedRow => ({
    keys: { id: u.userId },
    values: { organization_id: u.organizationId, version: u.version, deleted: false, profile: u.user },
  }),
  group: (g: SnapshotItemOf<typeof DirectorySnapshot.groups>): VersionedRow => ({
    keys: { id: g.groupId },
    values: { organization_id: g.organizationId, version: g.version, deleted: false, name: g.name },
  }),
  membership: (m: SnapshotItemOf<typeof DirectorySnapshot.memberships>): VersionedRow => ({
    keys: { group_id: m.groupId, user_id: m.userId },
    values: { organization_id: m.organizationId, version: m.version, active: m.active },
  }),
  application: (a: SnapshotItemOf<typeof CatalogSnapshot.applications>): VersionedRow => ({
    keys: { id: a.applicationId },
    values: { organization_id: a.organizationId, version: a.version, deleted: false, snapshot: a.application },
  }),
  binding: (b: SnapshotItemOf<typeof CatalogSnapshot.bindings>): VersionedRow => ({
    keys: { application_id: b.applicationId, group_id: b.groupId },
    values: { organization_id: b.organizationId, version: b.version, active: b.active },
  }),
  /**
   * A user's admin role, kept apart from rm_users: role and profile change in different events
   * that share the user's version sequence, so each keeps its own version and a late event of one
   * kind cannot be masked by a newer event of the other. A directory from before roles sends no
   * role in its snapshot: it had none to give.
   */
  adminRole: (r: { userId: string; organizationId: string; version: number; adminRole?: AdminRole | null }): VersionedRow => ({
    keys: { user_id: r.userId },
    values: { organization_id: r.organizationId, version: r.version, role: r.adminRole ?? null },
  }),
  /** An organisation's name, logo and colour: what its sign-in pages show. */
  organization: (o: SnapshotItemOf<typeof DirectorySnapshot.organizations>): VersionedRow => ({
    keys: { id: o.organizationId },
    values: {
      organization_id: o.organizationId,
      version: o.version,
      deleted: false,
      name: o.name,
      logo_url: o.logoUrl,
      brand_color: o.brandColor,
    },
  }),
};

/**
 * The IdP's read model. PostgreSQL holds it durably (a restart resumes from the consumer's ack
 * floor); a copy in memory answers every SSO decision without a query. Both change in
 * applyVersioned, the only writer: the row first, then memory, with the same version rule, and
 * the event is acked only after both. So when the freshness gate says "applied up to sequence n",
 * memory holds everything up to n.
 */
@Injectable()
export class ReadModelService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ReadModelService.name);
  private readonly users = new Map<string, UserRow>();
  private readonly groups = new Map<string, GroupRow>();
  /**
   * userId → groupId → the membership, active or not (the version rule needs both), packed (see
   * UserMemberships). Nested rather than one map keyed by `${groupId}:${userId}`: at 1,000,000
   * memberships a composite key string per membership and a second index of each user's groups
   * were most of the read model's heap (and of what every full GC marks); `npm run bench:scale`
   * measures it.
   */
  private readonly memberships = new Map<string, UserMemberships>();
  private readonly applications = new Map<string, ApplicationRow>();
  /** key `${applicationId}:${groupId}` */
  private readonly bindings = new Map<string, LinkRow>();
  private readonly groupsOfApplication = new Map<string, Set<string>>();
  /** key userId */
  private readonly adminRoles = new Map<string, AdminRoleRow>();
  /** key organizationId: name, logo and colour of its pages. */
  private readonly organizationRows = new Map<string, OrganizationRow>();
  /** Organisations the directory or the catalog has told about: a sign-in link for another leads nowhere. */
  private readonly organizations = new Set<string>();
  /** consoleApplicationId(organization) → organization, for every organisation known. */
  private readonly consoleOrganizations = new Map<string, string>();
  /**
   * One copy of each organisation and group id: every row read from PostgreSQL or an event brings
   * its own copy of the same string, and a million memberships would otherwise hold a million.
   */
  private readonly ids = new Map<string, string>();
  /**
   * Per table: the versioned writes of events in their handlers at once, one statement per batch
   * (the transport hands the IdP up to IDP_APPLY_CONCURRENCY events of a stream at once).
   */
  private readonly writes = new Map<ReadModelTable, GroupCommit<VersionedRow, void>>();
  private adminRolesBackfilled = false;
  private organizationsBackfilled = false;
  private stopped = false;
  private loading?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: NatsBus,
    private readonly console: ConsoleApplication,
  ) {}

  /**
   * Loads the tables into memory before the HTTP server answers. The consumers may already be
   * applying events meanwhile (a hybrid app starts its transports before the init hooks): that
   * is safe, memory keeps the newer version whichever comes first.
   */
  async onModuleInit(): Promise<void> {
    await this.load();
  }

  /** Started once the bus is up; sign-ins to the console wait for it (stale_read_model) until it is done. */
  onApplicationBootstrap(): void {
    if (!this.adminRolesBackfilled || !this.organizationsBackfilled) void this.backfillUntilDone();
  }

  onModuleDestroy(): void {
    this.stopped = true;
  }

  private async backfillUntilDone(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.adminRolesBackfilled) {
          const count = await this.backfillAdminRoles();
          this.logger.log(`Read the admin roles of ${count} users from the directory's snapshot`);
        }
        if (!this.organizationsBackfilled) {
          const count = await this.backfillOrganizations();
          this.logger.log(`Read ${count} organisations (names, logos, colours) from the directory's snapshot`);
        }
        return;
      } catch (error) {
        this.logger.warn(`Could not read admin roles or organisations from the directory yet, will retry: ${describe(error)}`);
        await new Promise((retry) => setTimeout(retry, BACKFILL_RETRY_MS));
      }
    }
  }

  /**
   * An IdP that consumed the directory's events before it kept admin roles acked the role events
   * without applying them, and the stream will not deliver them again: the roles are read once
   * from the directory's snapshot. Only rm_admin_roles is written, with the version rule, and
   * nothing is tombstoned, so this may run beside the consumer: whichever of an event and a
   * snapshot item is newer wins, and a user the snapshot misses comes with their own events.
   */
  async backfillAdminRoles(): Promise<number> {
    await this.load();
    if (this.adminRolesBackfilled) return 0;
    let count = 0;
    const roles: VersionedRow[] = [];
    for await (const user of readSnapshot(this.bus, DirectorySnapshot.users)) {
      roles.push(rows.adminRole(user));
      if (roles.length >= SNAPSHOT_BATCH_ROWS) await this.writeMany('rm_admin_roles', roles.splice(0));
      count += 1;
    }
    await this.writeMany('rm_admin_roles', roles.splice(0));
    await this.rolesAllRead();
    return count;
  }

  /**
   * The same for organisations: an IdP from before rm_organizations, or one that consumed the
   * stream before the directory announced organisations, reads each once. Only written with the
   * version rule and nothing tombstoned, so it may run beside the consumer.
   */
  async backfillOrganizations(): Promise<number> {
    await this.load();
    if (this.organizationsBackfilled) return 0;
    const batch: VersionedRow[] = [];
    let count = 0;
    for await (const organization of readSnapshot(this.bus, DirectorySnapshot.organizations)) {
      batch.push(rows.organization(organization));
      if (batch.length >= SNAPSHOT_BATCH_ROWS) await this.writeMany('rm_organizations', batch.splice(0));
      count += 1;
    }
    await this.writeMany('rm_organizations', batch.splice(0));
    await this.backfilled(ORGANIZATIONS_BACKFILL);
    return count;
  }

  private async backfilled(name: typeof ADMIN_ROLES_BACKFILL | typeof ORGANIZATIONS_BACKFILL): Promise<void> {
    await this.dataSource.query(`INSERT INTO "idp"."rm_backfills" ("name") VALUES ($1) ON CONFLICT DO NOTHING`, [name]);
    if (name === ADMIN_ROLES_BACKFILL) this.adminRolesBackfilled = true;
    else this.organizationsBackfilled = true;
  }

  /** Every admin role has been read from a complete snapshot: console sign-ins need not wait any more. */
  private rolesAllRead(): Promise<void> {
    return this.backfilled(ADMIN_ROLES_BACKFILL);
  }

  private load(): Promise<void> {
    this.loading ??= (async () => {
      await Promise.all(TABLES.map((table) => this.loadTable(table)));
      const backfills = await this.dataSource.query<Array<Record<string, unknown>>>(`SELECT "name" FROM "idp"."rm_backfills"`);
      this.adminRolesBackfilled = backfills.some((b) => b.name === ADMIN_ROLES_BACKFILL);
      this.organizationsBackfilled = backfills.some((b) => b.name === ORGANIZATIONS_BACKFILL);
    })();
    return this.loading;
  }

  /** One table into memory, LOAD_PAGE_ROWS at a time in key order (each page after the last key read). */
  private async loadTable(table: ReadModelTable): Promise<void> {
    const keys = TABLE_KEYS[table];
    const columns = keys.map((k) => `"${k}"`).join(', ');
    const after = `WHERE (${columns}) > (${keys.map((_, i) => `$${i + 1}::uuid`).join(', ')})`;
    let last: string[] = [];
    for (;;) {
      const page = await this.dataSource.query<Array<Record<string, unknown>>>(
        `SELECT * FROM "idp"."${table}" ${last.length > 0 ? after : ''} ORDER BY ${columns} LIMIT ${LOAD_PAGE_ROWS}`,
        last,
      );
      for (const r of page) this.remember(table, Object.fromEntries(keys.map((k) => [k, r[k] as string])), r);
      if (page.length < LOAD_PAGE_ROWS) return;
      const end = page[page.length - 1];
      last = keys.map((k) => end[k] as string);
    }
  }

  /**
   * Writes a row only if it is new or the event's version is newer than the stored one: replays
   * are no-ops and an older event arriving late never overwrites a newer one. Calls that arrive
   * while the table's previous statement is on its way go together in the next one (a group
   * commit); each resolves once its row is in PostgreSQL and in memory, and a failed statement
   * fails every call in it (their events are nak'd and come again).
   */
  async applyVersioned(table: ReadModelTable, keys: Record<string, string>, values: Row & { version: number }): Promise<void> {
    let writes = this.writes.get(table);
    if (!writes) this.writes.set(table, (writes = new GroupCommit((batch) => this.writeBatch(table, batch), UPSERT_BATCH_ROWS)));
    await writes.submit({ keys, values: values as VersionedRow['values'] });
  }

  /**
   * One group commit's rows: a statement per set of columns (a group's deletion names no name,
   * its creation does), then memory in arrival order. The same key twice keeps its newest version
   * in both, as one after the other would have.
   */
  private async writeBatch(table: ReadModelTable, batch: readonly VersionedRow[]): Promise<void[]> {
    const byColumns = new Map<string, VersionedRow[]>();
    for (const row of batch) {
      const columns = [...Object.keys(row.keys), ...Object.keys(row.values)].join(',');
      let rows = byColumns.get(columns);
      if (!rows) byColumns.set(columns, (rows = []));
      // A value left undefined is written as NULL, as a statement of its own would have.
      rows.push({
        keys: row.keys,
        values: Object.fromEntries(Object.entries(row.values).map(([c, v]) => [c, v ?? null])) as VersionedRow['values'],
      });
    }
    for (const rows of byColumns.values()) await upsertManyIfNewer(this.dataSource, { schema: 'idp', name: table }, rows);
    for (const row of batch) this.remember(table, row.keys, row.values);
    return batch.map(() => undefined);
  }

  write(table: ReadModelTable, row: VersionedRow): Promise<void> {
    return this.applyVersioned(table, row.keys, row.values);
  }

  /** applyVersioned for a snapshot's rows: a statement per batch, then memory, with the same rule. */
  private async writeMany(table: ReadModelTable, rows: VersionedRow[]): Promise<void> {
    await upsertManyIfNewer(this.dataSource, { schema: 'idp', name: table }, rows);
    for (const row of rows) this.remember(table, row.keys, row.values);
  }

  /**
   * Rebuilds what the DIRECTORY stream feeds from the directory's snapshot, for when the stream no
   * longer holds events this read model never applied. Users and groups the directory no longer
   * has, and memberships that went with them, become tombstones: no assertion for them.
   */
  async resyncDirectory(): Promise<ResyncResult> {
    // Tombstones are found in memory: it must hold the tables first.
    await this.load();
    // Each user's admin role is written with the user's row: the snapshot item carries both.
    const roles: VersionedRow[] = [];
    const users = withEach(readSnapshot(this.bus, DirectorySnapshot.users), async (u) => {
      roles.push(rows.adminRole(u));
      if (roles.length >= SNAPSHOT_BATCH_ROWS) await this.writeMany('rm_admin_roles', roles.splice(0));
    });
    const replaced = await this.replace('rm_users', users, rows.user, { deleted: true, profile: null });
    await this.writeMany('rm_admin_roles', roles.splice(0));
    // The whole snapshot went through: every role is known, as a backfill would have made it.
    await this.rolesAllRead();
    const organizations = await this.replace(
      'rm_organizations',
      readSnapshot(this.bus, DirectorySnapshot.organizations),
      rows.organization,
      {
        deleted: true,
        name: null,
        logo_url: null,
        brand_color: null,
      },
    );
    // The whole organisations snapshot went through too.
    await this.backfilled(ORGANIZATIONS_BACKFILL);
    return total([
      replaced,
      organizations,
      await this.replace('rm_groups', readSnapshot(this.bus, DirectorySnapshot.groups), rows.group, { deleted: true }),
      await this.replace('rm_memberships', readSnapshot(this.bus, DirectorySnapshot.memberships), rows.membership, { active: false }),
    ]);
  }

  /** The same for the CATALOG stream: applications and their group bindings. */
  async resyncCatalog(): Promise<ResyncResult> {
    await this.load();
    return total([
      await this.replace('rm_applications', readSnapshot(this.bus, CatalogSnapshot.applications), rows.application, {
        deleted: true,
        snapshot: null,
      }),
      await this.replace('rm_bindings', readSnapshot(this.bus, CatalogSnapshot.bindings), rows.binding, { active: false }),
    ]);
  }

  private replace<Item>(
    table: ReadModelTable,
    items: AsyncIterable<Item>,
    toRow: (item: Item) => VersionedRow,
    gone: SnapshotReplacement<Item>['gone'],
  ): Promise<ResyncResult> {
    return replaceFromSnapshot({
      items,
      toRow,
      gone,
      write: (row) => this.write(table, row),
      writeMany: (batch) => this.writeMany(table, batch),
      live: () => Promise.resolve(this.live(table)),
    });
  }

  /** The rows that still count (memory holds exactly what the tables hold). */
  private *live(table: ReadModelTable): Generator<{ keys: Record<string, string>; organizationId: string }> {
    const entities = (map: Map<string, { deleted: boolean; organizationId: string }>) =>
      [...map].filter(([, r]) => !r.deleted).map(([id, r]) => ({ keys: { id }, organizationId: r.organizationId }));
    const links = (map: Map<string, LinkRow>, first: string, second: string) =>
      [...map]
        .filter(([, r]) => r.active)
        .map(([key, r]) => {
          const [a = '', b = ''] = key.split(':');
          return { keys: { [first]: a, [second]: b }, organizationId: r.organizationId };
        });
    switch (table) {
      case 'rm_users':
        return yield* entities(this.users);
      case 'rm_groups':
        return yield* entities(this.groups);
      case 'rm_applications':
        return yield* entities(this.applications);
      case 'rm_memberships':
        for (const [userId, user] of this.memberships) {
          for (const [groupId, kept] of user.groups) {
            const r = membershipRow(kept, user.organizationId);
            if (r.active) yield { keys: { group_id: groupId, user_id: userId }, organizationId: r.organizationId };
          }
        }
        return;
      case 'rm_bindings':
        return yield* links(this.bindings, 'application_id', 'group_id');
      case 'rm_admin_roles':
        // Never replaced on its own: a deleted user's role goes with the user's tombstone.
        return;
      case 'rm_organizations':
        return yield* entities(this.organizationRows);
    }
  }

  /** A catalog application, or the admin console of an organisation the read model knows. */
  application(applicationId: string): ReadApplicationView | null {
    const consoleOf = this.consoleOrganizations.get(applicationId);
    if (consoleOf !== undefined) return this.consoleApplication(consoleOf);
    const app = this.applications.get(applicationId);
    if (!app || app.deleted || !app.snapshot) return null;
    return { id: applicationId, organizationId: app.organizationId, snapshot: app.snapshot };
  }

  /** The admin console as an application of `organizationId` (console-application.ts). */
  consoleApplication(organizationId: string): ReadApplicationView {
    return {
      id: this.console.id(organizationId),
      organizationId,
      snapshot: this.console.snapshot(organizationId),
      builtIn: 'console',
    };
  }

  /** The user's admin role in the organisation, as the directory's events and snapshot last said; null for none. */
  adminRole(organizationId: string, userId: string): AdminRole | null {
    const row = this.adminRoles.get(userId);
    return row && row.organizationId === organizationId ? row.role : null;
  }

  /** Everything one SSO decision needs, from memory. */
  authorisation(organizationId: string, userId: string, applicationId: string): AuthorisationFacts {
    const user = this.users.get(userId);
    const application = this.application(applicationId);
    const activeGroups = this.activeGroupsOf(userId, organizationId);
    const adminRole = this.adminRole(organizationId, userId);
    const inOrganization = application !== null && application.organizationId === organizationId;
    // The console: an admin role, whatever the groups (no group is ever bound to it).
    const bound = this.groupsOfApplication.get(applicationId);
    const granted =
      inOrganization &&
      (application.builtIn === 'console' ? adminRole !== null : bound !== undefined && activeGroups.some((g) => bound.has(g)));
    return {
      user: user && !user.deleted && user.profile && user.organizationId === organizationId ? { id: userId, profile: user.profile } : null,
      application: inOrganization ? application : null,
      granted,
      adminRole,
      adminRolesKnown: this.adminRolesBackfilled,
      groupNames: activeGroups
        .map((g) => this.groups.get(g)?.name ?? null)
        .filter((n): n is string => n !== null)
        .sort(),
    };
  }

  /** A user of the organisation as the directory last described them (the portal names them), or null. */
  profile(organizationId: string, userId: string): UserProfile | null {
    const user = this.users.get(userId);
    return user && !user.deleted && user.organizationId === organizationId ? user.profile : null;
  }

  /** What the organisation's pages show (its name, logo and colour), or null before the directory has told. */
  organization(organizationId: string): OrganizationBranding | null {
    const row = this.organizationRows.get(organizationId);
    return row && !row.deleted ? row.branding : null;
  }

  /**
   * Whether any user, group or application of this organisation has reached the read model. Once
   * true, true for good: nothing removes an organisation from `organizations` (a scoped freshness
   * check relies on it, consumed-streams.ts KnownEntities).
   */
  knowsOrganization(organizationId: string): boolean {
    return this.organizations.has(organizationId);
  }

  /**
   * Whether the id is a catalog application's (a row of it, deleted or not: a deletion and a
   * resync leave a tombstone) or the console of an organisation known here, or neither yet.
   * Either answer is for good, like knowsOrganization's.
   */
  applicationKind(applicationId: string): 'catalog' | 'console' | null {
    if (this.consoleOrganizations.has(applicationId)) return 'console';
    return this.applications.has(applicationId) ? 'catalog' : null;
  }

  /** Every active application of an organisation, the console among them, by name (its metadata). */
  applicationsOf(organizationId: string): ReadApplicationView[] {
    const result: ReadApplicationView[] = this.organizations.has(organizationId) ? [this.consoleApplication(organizationId)] : [];
    for (const id of this.applications.keys()) {
      const app = this.application(id);
      if (app && app.organizationId === organizationId && app.snapshot.active) result.push(app);
    }
    return result.sort((a, b) => a.snapshot.name.localeCompare(b.snapshot.name));
  }

  /** The applications a user may open now (the portal), by name. */
  applicationsFor(organizationId: string, userId: string): ReadApplicationView[] {
    const user = this.users.get(userId);
    if (!user || user.deleted || user.profile?.state !== 'ACTIVATED') return [];
    const groups = new Set(this.activeGroupsOf(userId, organizationId));
    const result: ReadApplicationView[] = this.adminRole(organizationId, userId) !== null ? [this.consoleApplication(organizationId)] : [];
    for (const [appId, bound] of this.groupsOfApplication) {
      const app = this.application(appId);
      if (!app || app.organizationId !== organizationId || !app.snapshot.active) continue;
      if ([...bound].some((g) => groups.has(g))) result.push(app);
    }
    return result.sort((a, b) => a.snapshot.name.localeCompare(b.snapshot.name));
  }

  private activeGroupsOf(userId: string, organizationId: string): string[] {
    const result: string[] = [];
    const user = this.memberships.get(userId);
    if (!user) return result;
    for (const [g, kept] of user.groups) {
      // On every SSO: read in place, no row made per membership.
      const active =
        typeof kept === 'number'
          ? kept % 2 === 1 && user.organizationId === organizationId
          : kept.active && kept.organizationId === organizationId;
      // A membership event may arrive before its group's: only a deleted group stops it counting.
      if (active && this.groups.get(g)?.deleted !== true) result.push(g);
    }
    return result;
  }

  /** The one copy kept of an id many rows repeat (see `ids`). */
  private shared(id: string): string {
    const known = this.ids.get(id);
    if (known !== undefined) return known;
    this.ids.set(id, id);
    return id;
  }

  /** The same version rule as the SQL above, applied to the in-memory copy. */
  private remember(table: ReadModelTable, keys: Record<string, string>, values: Record<string, unknown>): void {
    const version = Number(values.version);
    const organizationId = this.shared(String(values.organization_id));
    if (!this.organizations.has(organizationId)) {
      this.organizations.add(organizationId);
      this.consoleOrganizations.set(this.console.id(organizationId), organizationId);
    }
    switch (table) {
      case 'rm_users':
        if (newer(this.users.get(keys.id), version)) {
          this.users.set(keys.id, {
            version,
            organizationId,
            deleted: values.deleted === true,
            profile: (values.profile as UserProfile | null) ?? null,
          });
        }
        return;
      case 'rm_groups':
        if (newer(this.groups.get(keys.id), version)) {
          const previous = this.groups.get(keys.id);
          const name = values.name === undefined ? (previous?.name ?? null) : (values.name as string | null);
          this.groups.set(keys.id, { version, organizationId, deleted: values.deleted === true, name });
        }
        return;
      case 'rm_memberships': {
        let user = this.memberships.get(keys.user_id);
        const kept = user?.groups.get(keys.group_id);
        if (user && kept !== undefined && !newer(membershipRow(kept, user.organizationId), version)) return;
        if (!user) this.memberships.set(keys.user_id, (user = { organizationId, groups: new Map() }));
        const active = values.active === true;
        user.groups.set(
          this.shared(keys.group_id),
          organizationId === user.organizationId ? version * 2 + (active ? 1 : 0) : { version, organizationId, active },
        );
        return;
      }
      case 'rm_applications':
        if (newer(this.applications.get(keys.id), version)) {
          // Snapshots are stored as jsonb: parsing gives rows written before a field existed its default.
          const snapshot = values.snapshot ? ApplicationSnapshot.parse(values.snapshot) : null;
          this.applications.set(keys.id, { version, organizationId, deleted: values.deleted === true, snapshot });
        }
        return;
      case 'rm_bindings': {
        const key = `${keys.application_id}:${keys.group_id}`;
        if (!newer(this.bindings.get(key), version)) return;
        this.bindings.set(key, { version, organizationId, active: values.active === true });
        index(this.groupsOfApplication, keys.application_id, keys.group_id, values.active === true);
        return;
      }
      case 'rm_admin_roles':
        if (newer(this.adminRoles.get(keys.user_id), version)) {
          this.adminRoles.set(keys.user_id, { version, organizationId, role: (values.role as AdminRole | null) ?? null });
        }
        return;
      case 'rm_organizations':
        if (newer(this.organizationRows.get(keys.id), version)) {
          const deleted = values.deleted === true || typeof values.name !== 'string';
          this.organizationRows.set(keys.id, {
            version,
            organizationId,
            deleted,
            branding: deleted
              ? null
              : {
                  name: values.name as string,
                  logoUrl: typeof values.logo_url === 'string' ? values.logo_url : null,
                  brandColor: typeof values.brand_color === 'string' ? values.brand_color : null,
                },
          });
        }
        return;
    }
  }
}

/** The same items, with `each` awaited for every one before it is passed on. */
async function* withEach<Item>(items: AsyncIterable<Item>, each: (item: Item) => Promise<void>): AsyncIterable<Item> {
  for await (const item of items) {
    await each(item);
    yield item;
  }
}

function total(results: ResyncResult[]): ResyncResult {
  return results.reduce((a, b) => ({ applied: a.applied + b.applied, tombstoned: a.tombstoned + b.tombstoned }), {
    applied: 0,
    tombstoned: 0,
  });
}

/** A membership as UserMemberships keeps it, unpacked. */
function membershipRow(kept: number | LinkRow, organizationId: string): LinkRow {
  return typeof kept === 'number' ? { version: Math.floor(kept / 2), organizationId, active: kept % 2 === 1 } : kept;
}

function newer(current: Versioned | undefined, version: number): boolean {
  return current === undefined || current.version < version;
}

function index(map: Map<string, Set<string>>, key: string, member: string, present: boolean): void {
  let set = map.get(key);
  if (present) {
    if (!set) map.set(key, (set = new Set()));
    set.add(member);
  } else if (set) {
    set.delete(member);
    if (set.size === 0) map.delete(key);
  }
}
