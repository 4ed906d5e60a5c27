import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { CatalogSnapshot } from '@jit/catalog-contracts';
import { DirectorySnapshot, type UserProfile } from '@jit/directory-contracts';
import type { NatsBus } from '@jit/messaging';
import { TOMBSTONE_VERSION } from '@jit/persistence';
import { ReadModelService } from './read-model.service';

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
    rm = new ReadModelService(fake, bus);
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
});
