import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { CatalogSnapshot } from '@jit/catalog-contracts';
import { DirectorySnapshot, type UserProfile } from '@jit/directory-contracts';
import type { NatsBus } from '@jit/messaging';
import { consoleApplicationId } from '@jit/idp-contracts';
import { TOMBSTONE_VERSION, type VersionedRow } from '@jit/persistence';
import { ConsoleApplication } from './console-application';
import { ReadModelService, rows, type ReadModelTable } from './read-model.service';

const ORG = '11111111-1111-4111-8111-111111111111';
const OTHER_ORG = '22222222-2222-4222-8222-222222222222';
const profile = (state: UserProfile['state'] = 'ACTIVATED') =>
  ({ username: 'ada', email: 'ada@example.com', state, customAttributes: {} }) as unknown as UserProfile;
const snapshot = (over: Record<string, unknown> = {}) => ({
  name: 'App',
  connectorId: 'saml2',
  spEntityId: 'sp',
  acsUrls: ['https://sp/acs'],
  nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  nameIdSource: 'email',
  signAssertion: true,
  signResponse: true,
  active: true,
  attributes: [],
  ...over,
});

/** The in-memory side only: the SQL is exercised by the e2e tests on a real database. */
describe('ReadModelService (memory copy that SSO decisions read)', () => {
  let rm: ReadModelService;
  /** What the producers' snapshots answer (one page each), by subject. */
  let snapshots: Record<string, unknown[]> = {};
  const bus = {
    request: (contract: { subject: string }) => Promise.resolve({ items: snapshots[contract.subject] ?? [], next: null }),
  } as unknown as NatsBus;
  beforeEach(async () => {
    snapshots = {};
    const rows: Record<string, unknown[]> = {
      // A row written before signatureAlgorithm and the other options existed.
      rm_applications: [{ id: 'app-old', organization_id: ORG, version: 1, deleted: false, snapshot: snapshot() }],
    };
    const fake = { query: (sql: string) => Promise.resolve(rows[/"idp"\."(\w+)"/.exec(sql)?.[1] ?? ''] ?? []) } as unknown as DataSource;
    rm = new ReadModelService(fake, bus, new ConsoleApplication('https://console.example.com'));
    await rm.onModuleInit();
    await rm.applyVersioned('rm_users', { id: 'u1' }, { organization_id: ORG, version: 1, deleted: false, profile: profile() });
    await rm.applyVersioned('rm_groups', { id: 'g1' }, { organization_id: ORG, version: 1, deleted: false, name: 'Eng' });
    await rm.applyVersioned('rm_memberships', { group_id: 'g1', user_id: 'u1' }, { organization_id: ORG, version: 1, active: true });
    await rm.applyVersioned('rm_applications', { id: 'a1' }, { organization_id: ORG, version: 1, deleted: false, snapshot: snapshot() });
    await rm.applyVersioned('rm_bindings', { application_id: 'a1', group_id: 'g1' }, { organization_id: ORG, version: 1, active: true });
  });

  it('grants a member of a bound group, with group names', () => {
    const facts = rm.authorisation(ORG, 'u1', 'a1');
    assert.equal(facts.granted, true);
    assert.deepEqual(facts.groupNames, ['Eng']);
    assert.deepEqual(
      rm.applicationsFor(ORG, 'u1').map((a) => a.id),
      ['a1'],
    );
  });

  it("gives rows loaded from before a snapshot field existed that field's default", () => {
    const old = rm.application('app-old');
    assert.equal(old?.snapshot.signatureAlgorithm, 'rsa-sha256');
    assert.equal(old?.snapshot.idpInitiatedAllowed, true);
    assert.equal(old?.snapshot.encryptionCertificate, null);
  });

  it('stops granting on a newer remove, unbind, group delete or inactive app, and ignores an older event arriving late', async () => {
    await rm.applyVersioned('rm_memberships', { group_id: 'g1', user_id: 'u1' }, { organization_id: ORG, version: 2, active: false });
    assert.equal(rm.authorisation(ORG, 'u1', 'a1').granted, false);
    // A replay of the add (version 1) changes nothing.
    await rm.applyVersioned('rm_memberships', { group_id: 'g1', user_id: 'u1' }, { organization_id: ORG, version: 1, active: true });
    assert.equal(rm.authorisation(ORG, 'u1', 'a1').granted, false);
    await rm.applyVersioned('rm_memberships', { group_id: 'g1', user_id: 'u1' }, { organization_id: ORG, version: 3, active: true });
    assert.equal(rm.authorisation(ORG, 'u1', 'a1').granted, true);

    await rm.applyVersioned('rm_bindings', { application_id: 'a1', group_id: 'g1' }, { organization_id: ORG, version: 2, active: false });
    assert.equal(rm.authorisation(ORG, 'u1', 'a1').granted, false);
    await rm.applyVersioned('rm_bindings', { application_id: 'a1', group_id: 'g1' }, { organization_id: ORG, version: 3, active: true });
    await rm.applyVersioned('rm_groups', { id: 'g1' }, { organization_id: ORG, version: 2, deleted: true });
    assert.equal(rm.authorisation(ORG, 'u1', 'a1').granted, false);
    assert.deepEqual(rm.authorisation(ORG, 'u1', 'a1').groupNames, []);

    await rm.applyVersioned(
      'rm_applications',
      { id: 'a1' },
      { organization_id: ORG, version: 2, deleted: false, snapshot: snapshot({ active: false }) },
    );
    assert.deepEqual(rm.applicationsFor(ORG, 'u1'), []);
  });

  it("keeps each of a user's memberships apart: leaving one of two groups leaves the other's access and name", async () => {
    await rm.applyVersioned('rm_groups', { id: 'g2' }, { organization_id: ORG, version: 1, deleted: false, name: 'Ops' });
    await rm.applyVersioned('rm_memberships', { group_id: 'g2', user_id: 'u1' }, { organization_id: ORG, version: 1, active: true });
    await rm.applyVersioned('rm_bindings', { application_id: 'a1', group_id: 'g2' }, { organization_id: ORG, version: 1, active: true });
    assert.deepEqual(rm.authorisation(ORG, 'u1', 'a1').groupNames, ['Eng', 'Ops']);
    await rm.applyVersioned('rm_memberships', { group_id: 'g1', user_id: 'u1' }, { organization_id: ORG, version: 2, active: false });
    assert.equal(rm.authorisation(ORG, 'u1', 'a1').granted, true);
    assert.deepEqual(rm.authorisation(ORG, 'u1', 'a1').groupNames, ['Ops']);
    await rm.applyVersioned('rm_memberships', { group_id: 'g2', user_id: 'u1' }, { organization_id: ORG, version: 2, active: false });
    assert.equal(rm.authorisation(ORG, 'u1', 'a1').granted, false);
    assert.deepEqual(rm.authorisation(ORG, 'u1', 'a1').groupNames, []);
    // Another user's membership of the same group is not theirs.
    await rm.applyVersioned('rm_memberships', { group_id: 'g2', user_id: 'u2' }, { organization_id: ORG, version: 1, active: true });
    assert.equal(rm.authorisation(ORG, 'u1', 'a1').granted, false);
  });

  it("counts a membership in its own organisation only, also one recorded in another than the user's others", async () => {
    // The directory never makes one; the memory copy keeps it as written all the same (packed memberships' exception).
    await rm.applyVersioned('rm_memberships', { group_id: 'g1', user_id: 'u1' }, { organization_id: OTHER_ORG, version: 2, active: true });
    assert.equal(rm.authorisation(ORG, 'u1', 'a1').granted, false);
    await rm.applyVersioned('rm_memberships', { group_id: 'g1', user_id: 'u1' }, { organization_id: ORG, version: 2, active: true });
    assert.equal(rm.authorisation(ORG, 'u1', 'a1').granted, false, 'an event of the same version changes nothing');
    await rm.applyVersioned('rm_memberships', { group_id: 'g1', user_id: 'u1' }, { organization_id: ORG, version: 3, active: true });
    assert.equal(rm.authorisation(ORG, 'u1', 'a1').granted, true);
    await rm.applyVersioned('rm_memberships', { group_id: 'g1', user_id: 'u1' }, { organization_id: ORG, version: 1, active: false });
    assert.equal(rm.authorisation(ORG, 'u1', 'a1').granted, true, 'an older event changes nothing');
  });

  it('never mixes organisations: another organisation sees neither the user nor the application', () => {
    const facts = rm.authorisation(OTHER_ORG, 'u1', 'a1');
    assert.equal(facts.granted, false);
    assert.equal(facts.user, null);
    assert.equal(facts.application, null);
    assert.deepEqual(rm.applicationsOf(OTHER_ORG), []);
  });

  it("keeps a renamed group's new name, and the name through a delete tombstone", async () => {
    await rm.applyVersioned('rm_groups', { id: 'g1' }, { organization_id: ORG, version: 2, deleted: false, name: 'Engineering' });
    assert.deepEqual(rm.authorisation(ORG, 'u1', 'a1').groupNames, ['Engineering']);
    await rm.applyVersioned('rm_groups', { id: 'g1' }, { organization_id: ORG, version: 1, deleted: false, name: 'Eng' });
    assert.deepEqual(rm.authorisation(ORG, 'u1', 'a1').groupNames, ['Engineering'], 'older rename ignored');
  });

  it('lists no applications for a suspended user', async () => {
    await rm.applyVersioned('rm_users', { id: 'u1' }, { organization_id: ORG, version: 2, deleted: false, profile: profile('SUSPENDED') });
    assert.deepEqual(rm.applicationsFor(ORG, 'u1'), []);
  });

  it("resyncs from the directory's snapshot: what it no longer lists stops counting, and late events cannot bring it back", async () => {
    await rm.applyVersioned('rm_users', { id: 'u2' }, { organization_id: ORG, version: 1, deleted: false, profile: profile() });
    await rm.applyVersioned('rm_memberships', { group_id: 'g1', user_id: 'u2' }, { organization_id: ORG, version: 1, active: true });
    assert.equal(rm.authorisation(ORG, 'u2', 'a1').granted, true);
    // While the IdP was away: u1's membership was removed (v2), u2 was deleted, a user u3 was added.
    snapshots = {
      [DirectorySnapshot.users.subject]: [
        { organizationId: ORG, version: 1, userId: 'u1', user: profile() },
        { organizationId: ORG, version: 1, userId: 'u3', user: profile() },
      ],
      [DirectorySnapshot.groups.subject]: [{ organizationId: ORG, version: 1, groupId: 'g1', name: 'Eng' }],
      [DirectorySnapshot.memberships.subject]: [
        { organizationId: ORG, version: 2, groupId: 'g1', userId: 'u1', active: false },
        { organizationId: ORG, version: 1, groupId: 'g1', userId: 'u3', active: true },
      ],
    };
    assert.deepEqual(await rm.resyncDirectory(), { applied: 5, tombstoned: 2 });
    assert.equal(rm.authorisation(ORG, 'u1', 'a1').granted, false, 'the removal made while away');
    assert.equal(rm.authorisation(ORG, 'u2', 'a1').user, null, 'the deletion made while away');
    assert.equal(rm.authorisation(ORG, 'u2', 'a1').granted, false);
    assert.equal(rm.authorisation(ORG, 'u3', 'a1').granted, true, 'the user added while away');
    // An old event published late (an outbox relay) does not bring u2 back.
    await rm.applyVersioned('rm_users', { id: 'u2' }, { organization_id: ORG, version: 7, deleted: false, profile: profile() });
    assert.equal(rm.authorisation(ORG, 'u2', 'a1').user, null);
    assert.ok(TOMBSTONE_VERSION > 7);
  });

  it("resyncs from the catalog's snapshot: a deleted application and an unbound group stop granting", async () => {
    snapshots = {
      [CatalogSnapshot.applications.subject]: [],
      [CatalogSnapshot.bindings.subject]: [],
    };
    assert.deepEqual(await rm.resyncCatalog(), { applied: 0, tombstoned: 3 });
    assert.equal(rm.application('a1'), null);
    assert.equal(rm.application('app-old'), null);
    assert.equal(rm.authorisation(ORG, 'u1', 'a1').granted, false);
  });

  it('places an application id for good, and an organisation: a deletion and a resync leave them where they were (scoped freshness relies on it)', async () => {
    assert.equal(rm.applicationKind('a1'), 'catalog');
    assert.equal(rm.applicationKind(consoleApplicationId(ORG)), 'console');
    assert.equal(rm.applicationKind(consoleApplicationId(OTHER_ORG)), null, 'the console of an organisation it has not heard of');
    assert.equal(rm.applicationKind('never-heard-of'), null);
    assert.equal(rm.knowsOrganization(OTHER_ORG), false);
    await rm.applyVersioned('rm_applications', { id: 'a1' }, { organization_id: ORG, version: 2, deleted: true, snapshot: null });
    snapshots = { [CatalogSnapshot.applications.subject]: [], [CatalogSnapshot.bindings.subject]: [] };
    await rm.resyncCatalog();
    snapshots = {
      [DirectorySnapshot.organizations.subject]: [],
      [DirectorySnapshot.users.subject]: [],
      [DirectorySnapshot.groups.subject]: [],
      [DirectorySnapshot.memberships.subject]: [],
    };
    await rm.resyncDirectory();
    assert.equal(rm.application('a1'), null);
    assert.equal(rm.applicationKind('a1'), 'catalog');
    assert.equal(rm.applicationKind('app-old'), 'catalog');
    assert.equal(rm.knowsOrganization(ORG), true);
    assert.equal(rm.applicationKind(consoleApplicationId(ORG)), 'console');
  });

  describe('the admin console, an application of every organisation the read model knows', () => {
    const CONSOLE = consoleApplicationId(ORG);
    const role = (version: number, adminRole: 'administrator' | 'read-only' | null, userId = 'u1') =>
      rm.write('rm_admin_roles', rows.adminRole({ userId, organizationId: ORG, version, adminRole }));
    beforeEach(async () => {
      // As after the one-time read of the directory's roles (an empty directory here).
      snapshots = { [DirectorySnapshot.users.subject]: [] };
      assert.equal(await rm.backfillAdminRoles(), 0);
    });

    it("answers the console's id with the console of that organisation, and nothing for an organisation it does not know", () => {
      const app = rm.application(CONSOLE);
      assert.equal(app?.builtIn, 'console');
      assert.equal(app?.organizationId, ORG);
      assert.equal(app?.snapshot.spEntityId, 'https://console.example.com/saml/metadata');
      assert.deepEqual(app?.snapshot.acsUrls, ['https://console.example.com/saml/acs']);
      assert.equal(rm.application(consoleApplicationId(OTHER_ORG)), null);
      assert.equal(rm.authorisation(OTHER_ORG, 'u1', CONSOLE).application, null);
      assert.ok(
        rm.applicationsOf(ORG).some((a) => a.id === CONSOLE),
        "in the organisation's metadata",
      );
    });

    it('grants an admin role holder, never a group binding, and shows the tile to admins only', async () => {
      // u1 is in a group; no group is bound to the console, and none could be.
      assert.equal(rm.authorisation(ORG, 'u1', CONSOLE).granted, false);
      assert.equal(rm.authorisation(ORG, 'u1', CONSOLE).adminRole, null);
      assert.deepEqual(
        rm.applicationsFor(ORG, 'u1').map((a) => a.id),
        ['a1'],
      );
      await role(2, 'read-only');
      const facts = rm.authorisation(ORG, 'u1', CONSOLE);
      assert.equal(facts.granted, true);
      assert.equal(facts.adminRole, 'read-only');
      assert.equal(facts.adminRolesKnown, true);
      assert.deepEqual(
        rm.applicationsFor(ORG, 'u1').map((a) => a.id),
        [CONSOLE, 'a1'],
      );
      assert.equal(rm.authorisation(ORG, 'u1', 'a1').adminRole, 'read-only');
      assert.equal(rm.adminRole(OTHER_ORG, 'u1'), null, 'a role counts in its own organisation only');
    });

    it('stops granting when the role is removed; a late older role event and a newer profile event change nothing', async () => {
      await role(2, 'administrator');
      // The profile's next change (v3) shares the user's version sequence: it must not mask the role.
      await rm.applyVersioned('rm_users', { id: 'u1' }, { organization_id: ORG, version: 3, deleted: false, profile: profile() });
      assert.equal(rm.authorisation(ORG, 'u1', CONSOLE).granted, true);
      await role(4, null);
      assert.equal(rm.authorisation(ORG, 'u1', CONSOLE).granted, false);
      await role(2, 'administrator');
      assert.equal(rm.authorisation(ORG, 'u1', CONSOLE).granted, false, 'the replayed grant is older than the removal');
    });

    it("reads the roles from the directory's snapshot, in a resync and in the one-time backfill", async () => {
      snapshots = {
        [DirectorySnapshot.users.subject]: [{ organizationId: ORG, version: 5, userId: 'u1', user: profile(), adminRole: 'administrator' }],
        [DirectorySnapshot.groups.subject]: [],
        [DirectorySnapshot.memberships.subject]: [],
      };
      await rm.resyncDirectory();
      assert.equal(rm.adminRole(ORG, 'u1'), 'administrator');

      const fresh = new ReadModelService(
        { query: () => Promise.resolve([]) } as unknown as DataSource,
        bus,
        new ConsoleApplication('https://console.example.com'),
      );
      await fresh.onModuleInit();
      await fresh.applyVersioned('rm_users', { id: 'u1' }, { organization_id: ORG, version: 5, deleted: false, profile: profile() });
      assert.equal(fresh.authorisation(ORG, 'u1', CONSOLE).adminRolesKnown, false, 'roles not read yet');
      assert.equal(await fresh.backfillAdminRoles(), 1);
      assert.equal(fresh.authorisation(ORG, 'u1', CONSOLE).adminRolesKnown, true);
      assert.equal(fresh.authorisation(ORG, 'u1', CONSOLE).granted, true);
    });
  });
  describe('organisations (what their sign-in pages show)', () => {
    const acme = { name: 'Acme Corp', logoUrl: 'https://cdn.example.com/logo.svg', brandColor: '#0b7285' };
    const organizationEvent = (version: number, over: Record<string, unknown> = {}) =>
      rows.organization({ organizationId: ORG, version, ...acme, ...over });

    it('keeps the newest name, logo and colour; a replayed or late older event changes nothing', async () => {
      assert.equal(rm.organization(ORG), null);
      await rm.write('rm_organizations', organizationEvent(2));
      assert.deepEqual(rm.organization(ORG), acme);
      await rm.write('rm_organizations', organizationEvent(1, { name: 'Old name', logoUrl: null, brandColor: null }));
      assert.deepEqual(rm.organization(ORG), acme, 'the late version 1 is older');
      await rm.write('rm_organizations', organizationEvent(3, { logoUrl: null }));
      assert.deepEqual(rm.organization(ORG), { ...acme, logoUrl: null });
      assert.equal(rm.organization(OTHER_ORG), null);
    });

    it("reads them from the directory's snapshot in a resync (tombstoning one no longer listed) and in the one-time backfill", async () => {
      await rm.write(
        'rm_organizations',
        rows.organization({ organizationId: OTHER_ORG, version: 1, name: 'Gone', logoUrl: null, brandColor: null }),
      );
      snapshots = {
        [DirectorySnapshot.organizations.subject]: [{ organizationId: ORG, version: 4, ...acme }],
        [DirectorySnapshot.users.subject]: [],
        [DirectorySnapshot.groups.subject]: [],
        [DirectorySnapshot.memberships.subject]: [],
      };
      await rm.resyncDirectory();
      assert.deepEqual(rm.organization(ORG), acme);
      assert.equal(rm.organization(OTHER_ORG), null, 'an organisation the complete snapshot does not list is gone');

      const fresh = new ReadModelService(
        { query: () => Promise.resolve([]) } as unknown as DataSource,
        bus,
        new ConsoleApplication('https://console.example.com'),
      );
      await fresh.onModuleInit();
      assert.equal(await fresh.backfillOrganizations(), 1);
      assert.deepEqual(fresh.organization(ORG), acme);
      assert.equal(fresh.knowsOrganization(ORG), true);
      assert.equal(await fresh.backfillOrganizations(), 0, 'read once');
    });

    it('loads them from the table at start (a restarted IdP), with the backfill remembered as done', async () => {
      const tables: Record<string, unknown[]> = {
        rm_organizations: [
          {
            id: ORG,
            organization_id: ORG,
            version: 3,
            deleted: false,
            name: 'Acme Corp',
            logo_url: acme.logoUrl,
            brand_color: acme.brandColor,
          },
        ],
        rm_backfills: [{ name: 'admin_roles' }, { name: 'organizations' }],
      };
      const restarted = new ReadModelService(
        { query: (sql: string) => Promise.resolve(tables[/"idp"\."(\w+)"/.exec(sql)?.[1] ?? ''] ?? []) } as unknown as DataSource,
        bus,
        new ConsoleApplication('https://console.example.com'),
      );
      await restarted.onModuleInit();
      assert.deepEqual(restarted.organization(ORG), acme);
      snapshots = { [DirectorySnapshot.organizations.subject]: [{ organizationId: OTHER_ORG, version: 1, ...acme }] };
      assert.equal(await restarted.backfillOrganizations(), 0, 'not read again');
      await restarted.write('rm_organizations', organizationEvent(2, { name: 'Older' }));
      assert.equal(restarted.organization(ORG)?.name, 'Acme Corp', 'an event older than the stored row changes nothing');
    });
  });

  it('loads every row of a table larger than a page at start, page after page in key order', async () => {
    // 2,500 users in 10 groups each: 25,000 memberships, three pages. The fake answers as
    // PostgreSQL would: rows after the given key, in key order, up to the LIMIT.
    const id = (prefix: string, n: number) => `${prefix}${String(n).padStart(6, '0')}`;
    const table: Record<string, Array<Record<string, unknown>>> = {
      rm_users: Array.from({ length: 2_500 }, (_, u) => ({
        id: id('u', u),
        organization_id: ORG,
        version: 1,
        deleted: false,
        profile: profile(),
      })),
      rm_groups: Array.from({ length: 10 }, (_, g) => ({
        id: id('g', g),
        organization_id: ORG,
        version: 1,
        deleted: false,
        name: `G${g}`,
      })),
      rm_memberships: Array.from({ length: 10 }, (_, g) =>
        Array.from({ length: 2_500 }, (_, u) => ({
          group_id: id('g', g),
          user_id: id('u', u),
          organization_id: ORG,
          version: 1,
          active: true,
        })),
      ).flat(),
      rm_applications: [{ id: 'a1', organization_id: ORG, version: 1, deleted: false, snapshot: snapshot() }],
      rm_bindings: [{ application_id: 'a1', group_id: id('g', 9), organization_id: ORG, version: 1, active: true }],
    };
    const queries: string[] = [];
    const query = (sql: string, after: string[]) => {
      queries.push(sql);
      const name = /"idp"\."(\w+)"/.exec(sql)?.[1] ?? '';
      const keys = (/ORDER BY (.+) LIMIT/.exec(sql)?.[1] ?? '').split(', ').map((k) => k.replace(/"/g, ''));
      const limit = Number(/LIMIT (\d+)/.exec(sql)?.[1] ?? Infinity);
      const key = (r: Record<string, unknown>) => keys.map((k) => String(r[k])).join(' ');
      const rows = [...(table[name] ?? [])].sort((a, b) => key(a).localeCompare(key(b)));
      return Promise.resolve(rows.filter((r) => after.length === 0 || key(r) > after.join(' ')).slice(0, limit));
    };
    const loaded = new ReadModelService({ query } as unknown as DataSource, bus, new ConsoleApplication('https://console.example.com'));
    await loaded.onModuleInit();
    assert.equal(queries.filter((q) => q.includes('"rm_memberships"')).length, 3);
    for (const u of [0, 1_234, 2_499]) {
      const facts = loaded.authorisation(ORG, id('u', u), 'a1');
      assert.equal(facts.granted, true, `user ${u}`);
      assert.equal(facts.groupNames.length, 10, `user ${u}`);
    }
  });
});

/**
 * The transport hands the IdP many events of a stream at once (IDP_APPLY_CONCURRENCY): their writes
 * go together, a statement per table, and each event is acked only once its own row is written
 * and in memory.
 */
describe('ReadModelService: events applied together', () => {
  const USER_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
  const USER_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
  const GROUP = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
  const APP = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';

  /** A database whose INSERTs wait until the test lets each one finish (or fail). */
  function heldDatabase() {
    const statements: { sql: string; parameters: unknown[] }[] = [];
    const waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
    let holding = false;
    let slow = false;
    const dataSource = {
      query: (sql: string, parameters: unknown[] = []) => {
        if (!sql.startsWith('INSERT')) return Promise.resolve([]);
        statements.push({ sql, parameters });
        if (slow) return new Promise((resolve) => setTimeout(() => resolve([]), 1));
        if (!holding) return Promise.resolve([]);
        return new Promise<unknown>((resolve, reject) => waiting.push({ resolve: () => resolve([]), reject }));
      },
    } as unknown as DataSource;
    return {
      dataSource,
      statements,
      hold: () => (holding = true),
      /** Every statement takes a while: calls meanwhile gather into the next one. */
      slow: () => (slow = true),
      /** Finishes the oldest statement still on its way. */
      finish: () => waiting.shift()?.resolve(),
      fail: (error: Error) => waiting.shift()?.reject(error),
      /** The tuples of an INSERT: `($1, $2, ...)` groups. */
      tuples: (i: number) => (statements[i]?.sql.match(/\(\$\d+(, \$\d+)*\)/g) ?? []).length,
    };
  }
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  const readModel = async (dataSource: DataSource) => {
    const rm = new ReadModelService(dataSource, {} as NatsBus, new ConsoleApplication('https://console.example.com'));
    await rm.onModuleInit();
    return rm;
  };
  const membership = (userId: string, version: number, active: boolean) =>
    rows.membership({ groupId: GROUP, userId, organizationId: ORG, version, active });

  it('writes the calls that arrive while a statement is on its way in one statement per table, and resolves each once in memory', async () => {
    const db = heldDatabase();
    const rm = await readModel(db.dataSource);
    db.hold();
    const first = rm.write('rm_memberships', membership(USER_A, 1, true));
    await tick();
    assert.equal(db.statements.length, 1, 'a lone call waits for nothing');
    const settled: string[] = [];
    const together = [
      rm.write('rm_memberships', membership(USER_B, 1, true)).then(() => settled.push('b')),
      rm.write('rm_groups', rows.group({ groupId: GROUP, organizationId: ORG, version: 1, name: 'Eng' })).then(() => settled.push('group')),
      rm
        .write('rm_bindings', rows.binding({ applicationId: APP, groupId: GROUP, organizationId: ORG, version: 1, active: true }))
        .then(() => settled.push('binding')),
    ];
    await tick();
    // Other tables have statements of their own, at once.
    assert.equal(db.statements.length, 3);
    db.finish();
    await first;
    await tick();
    assert.equal(db.statements.length, 4, 'the membership that waited goes in the next statement');
    assert.equal(settled.includes('b'), false, 'not resolved before its own statement is done');
    assert.equal(rm.authorisation(ORG, USER_B, APP).groupNames.length, 0, 'not in memory before its row is written either');
    db.finish();
    db.finish();
    db.finish();
    await Promise.all(together);
    assert.deepEqual(rm.authorisation(ORG, USER_B, APP).groupNames, ['Eng']);
  });

  it('keeps the newest version of a key given twice in one statement, in the row and in memory, whichever came first', async () => {
    for (const order of [
      [2, 1],
      [1, 2],
    ]) {
      const db = heldDatabase();
      const rm = await readModel(db.dataSource);
      await rm.write('rm_groups', rows.group({ groupId: GROUP, organizationId: ORG, version: 1, name: 'Eng' }));
      await rm.write('rm_bindings', rows.binding({ applicationId: APP, groupId: GROUP, organizationId: ORG, version: 1, active: true }));
      db.hold();
      const opener = rm.write('rm_memberships', membership(USER_B, 1, false));
      const versions = order.map((version) => rm.write('rm_memberships', membership(USER_A, version, version === 1)));
      await tick();
      db.finish();
      await opener;
      await tick();
      const statement = db.statements.at(-1);
      assert.equal(db.tuples(db.statements.length - 1), 1, 'one row per key: ON CONFLICT cannot touch a row twice');
      assert.ok(statement?.parameters.includes(2), 'the newer version is the one written');
      assert.ok(statement?.parameters.includes(false), "and with the newer version's values");
      db.finish();
      await Promise.all(versions);
      // Version 2 removed the membership, version 1 added it: the removal stands.
      assert.deepEqual(rm.authorisation(ORG, USER_A, APP).groupNames, [], `arrival order ${order.join(', ')}`);
    }
  });

  it("writes rows of one table with different columns (a group's deletion names no name) in a statement each", async () => {
    const db = heldDatabase();
    const rm = await readModel(db.dataSource);
    db.hold();
    const opener = rm.write('rm_groups', rows.group({ groupId: 'other', organizationId: ORG, version: 1, name: 'Ops' }));
    const named = rm.write('rm_groups', rows.group({ groupId: GROUP, organizationId: ORG, version: 1, name: 'Eng' }));
    const deleted = rm.applyVersioned('rm_groups', { id: 'gone' }, { organization_id: ORG, version: 2, deleted: true });
    await tick();
    db.finish();
    await opener;
    await tick();
    assert.equal(db.statements.length, 2);
    assert.match(db.statements[1]?.sql ?? '', /"name"/);
    db.finish();
    await tick();
    assert.equal(db.statements.length, 3);
    assert.doesNotMatch(db.statements[2]?.sql ?? '', /"name"/);
    db.finish();
    await Promise.all([named, deleted]);
  });

  it('fails every call of a statement that fails, changing nothing in memory; the next statement is unaffected', async () => {
    const db = heldDatabase();
    const rm = await readModel(db.dataSource);
    await rm.write('rm_groups', rows.group({ groupId: GROUP, organizationId: ORG, version: 1, name: 'Eng' }));
    await rm.write('rm_bindings', rows.binding({ applicationId: APP, groupId: GROUP, organizationId: ORG, version: 1, active: true }));
    db.hold();
    const opener = rm.write('rm_memberships', membership(USER_B, 1, true));
    const batch = [rm.write('rm_memberships', membership(USER_A, 1, true)), rm.write('rm_memberships', membership(USER_B, 2, false))];
    await tick();
    db.finish();
    await opener;
    await tick();
    db.fail(new Error('connection terminated'));
    const outcomes = await Promise.allSettled(batch);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['rejected', 'rejected'],
    );
    assert.deepEqual(rm.authorisation(ORG, USER_A, APP).groupNames, [], 'a failed write is not in memory');
    assert.deepEqual(rm.authorisation(ORG, USER_B, APP).groupNames, ['Eng'], "nor is the failed removal: the opener's add stands");
    // Their events are nak'd and come again: the retry goes through.
    const retried = [rm.write('rm_memberships', membership(USER_A, 1, true)), rm.write('rm_memberships', membership(USER_B, 2, false))];
    await tick();
    db.finish();
    await tick();
    db.finish();
    await Promise.all(retried);
    assert.deepEqual(rm.authorisation(ORG, USER_A, APP).groupNames, ['Eng']);
    assert.deepEqual(rm.authorisation(ORG, USER_B, APP).groupNames, []);
  });

  it('gives the same read model whatever order the events of a batch are applied in', async () => {
    const users = Array.from({ length: 6 }, (_, i) => `eeeeeeee-eeee-4eee-8eee-00000000000${i}`);
    const profileOf = (i: number, state: UserProfile['state']) => ({ ...profile(state), username: `user${i}` });
    // A stream of events: creations, changes, a rename, deletions, adds and removes of the same pairs.
    const events: { table: ReadModelTable; row: VersionedRow }[] = [
      { table: 'rm_groups', row: rows.group({ groupId: GROUP, organizationId: ORG, version: 1, name: 'Eng' }) },
      { table: 'rm_groups', row: rows.group({ groupId: 'old', organizationId: ORG, version: 1, name: 'Old' }) },
      {
        table: 'rm_applications',
        row: rows.application({ applicationId: APP, organizationId: ORG, version: 1, application: snapshot() as never }),
      },
      { table: 'rm_bindings', row: rows.binding({ applicationId: APP, groupId: GROUP, organizationId: ORG, version: 1, active: true }) },
      { table: 'rm_bindings', row: rows.binding({ applicationId: APP, groupId: 'old', organizationId: ORG, version: 1, active: true }) },
      ...users.flatMap((userId, i) => [
        { table: 'rm_users' as const, row: rows.user({ userId, organizationId: ORG, version: 1, user: profileOf(i, 'ACTIVATED') }) },
        {
          table: 'rm_memberships' as const,
          row: rows.membership({ groupId: GROUP, userId, organizationId: ORG, version: 1, active: true }),
        },
        {
          table: 'rm_memberships' as const,
          row: rows.membership({ groupId: 'old', userId, organizationId: ORG, version: 1, active: true }),
        },
        {
          table: 'rm_memberships' as const,
          row: rows.membership({ groupId: GROUP, userId, organizationId: ORG, version: 2, active: i % 2 === 0 }),
        },
        {
          table: 'rm_users' as const,
          row: rows.user({ userId, organizationId: ORG, version: 2, user: profileOf(i, i === 3 ? 'SUSPENDED' : 'ACTIVATED') }),
        },
      ]),
      { table: 'rm_groups', row: rows.group({ groupId: GROUP, organizationId: ORG, version: 2, name: 'Engineering' }) },
      { table: 'rm_groups', row: { keys: { id: 'old' }, values: { organization_id: ORG, version: 2, deleted: true } } },
      {
        table: 'rm_users',
        row: { keys: { id: users[5] ?? '' }, values: { organization_id: ORG, version: 3, deleted: true, profile: null } },
      },
    ];
    const view = (rm: ReadModelService) =>
      users.map((userId) => ({
        facts: rm.authorisation(ORG, userId, APP),
        portal: rm.applicationsFor(ORG, userId).map((a) => a.id),
        profile: rm.profile(ORG, userId),
      }));

    const inOrder = await readModel(heldDatabase().dataSource);
    for (const { table, row } of events) await inOrder.write(table, row);
    const expected = view(inOrder);
    assert.deepEqual(
      expected.map((v) => v.facts.groupNames),
      [['Engineering'], [], ['Engineering'], [], ['Engineering'], []],
      'the stream in order: the fixture means something',
    );

    // Shuffled, all at once, over statements that take their time: the order of a batch in flight.
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let round = 0; round < 20; round++) {
      const shuffled = [...events].sort(() => random() - 0.5);
      const db = heldDatabase();
      const rm = await readModel(db.dataSource);
      db.slow();
      await Promise.all(shuffled.map(({ table, row }) => rm.write(table, row)));
      assert.ok(db.statements.length < events.length, 'written together, not one statement per event');
      assert.deepEqual(view(rm), expected, `round ${round}`);
    }
  });
});
