import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import type { UserProfile } from '@jit/directory-contracts';
import { ReadModelService } from './read-model.service';

const ORG = '11111111-1111-4111-8111-111111111111';
const OTHER_ORG = '22222222-2222-4222-8222-222222222222';
const profile = (state: UserProfile['state'] = 'ACTIVATED') =>
  ({ username: 'ada', email: 'ada@example.com', state, customAttributes: {} }) as unknown as UserProfile;
const snapshot = (over: Record<string, unknown> = {}) => ({
  name: 'App', connectorId: 'saml2', spEntityId: 'sp', acsUrls: ['https://sp/acs'],
  nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', nameIdSource: 'email',
  signAssertion: true, signResponse: true, active: true, attributes: [], ...over,
});

/** The in-memory side only: the SQL is exercised by the e2e tests on a real database. */
describe('ReadModelService (memory copy that SSO decisions read)', () => {
  let rm: ReadModelService;
  beforeEach(async () => {
    const rows: Record<string, unknown[]> = {
      // A row written before signatureAlgorithm and the other options existed.
      rm_applications: [{ id: 'app-old', organization_id: ORG, version: 1, deleted: false, snapshot: snapshot() }],
    };
    const fake = { query: (sql: string) => Promise.resolve(rows[/"idp"\."(\w+)"/.exec(sql)?.[1] ?? ''] ?? []) } as unknown as DataSource;
    rm = new ReadModelService(fake);
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
    assert.deepEqual(rm.applicationsFor(ORG, 'u1').map((a) => a.id), ['a1']);
  });

  it('gives rows loaded from before a snapshot field existed that field\'s default', () => {
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

    await rm.applyVersioned('rm_applications', { id: 'a1' }, { organization_id: ORG, version: 2, deleted: false, snapshot: snapshot({ active: false }) });
    assert.deepEqual(rm.applicationsFor(ORG, 'u1'), []);
  });

  it('never mixes organisations: another organisation sees neither the user nor the application', () => {
    const facts = rm.authorisation(OTHER_ORG, 'u1', 'a1');
    assert.equal(facts.granted, false);
    assert.equal(facts.user, null);
    assert.equal(facts.application, null);
    assert.deepEqual(rm.applicationsOf(OTHER_ORG), []);
  });

  it('keeps a renamed group\'s new name, and the name through a delete tombstone', async () => {
    await rm.applyVersioned('rm_groups', { id: 'g1' }, { organization_id: ORG, version: 2, deleted: false, name: 'Engineering' });
    assert.deepEqual(rm.authorisation(ORG, 'u1', 'a1').groupNames, ['Engineering']);
    await rm.applyVersioned('rm_groups', { id: 'g1' }, { organization_id: ORG, version: 1, deleted: false, name: 'Eng' });
    assert.deepEqual(rm.authorisation(ORG, 'u1', 'a1').groupNames, ['Engineering'], 'older rename ignored');
  });

  it('lists no applications for a suspended user', async () => {
    await rm.applyVersioned('rm_users', { id: 'u1' }, { organization_id: ORG, version: 2, deleted: false, profile: profile('SUSPENDED') });
    assert.deepEqual(rm.applicationsFor(ORG, 'u1'), []);
  });
});
