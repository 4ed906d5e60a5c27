import assert from 'node:assert/strict';
import type { z } from 'zod';
import { ApplicationSnapshot, NAMEID } from '@jit/catalog-contracts';
import type { UserProfile } from '@jit/directory-contracts';
import type { AuthorisationFacts } from '../read-model/read-model.service';
import { consoleApplicationId } from '@jit/idp-contracts';
import { Refusal } from '../common/refusals';
import { ConsoleApplication } from '../read-model/console-application';
import { decideAssertion, persistentNameId, type DecisionInput } from './decide-assertion';
import { testProfile } from '../test-fixtures';

const APP = '3f0c8f8e-9a43-4e52-8a77-0d6a3b0f9c11';
const USER = '7b1d2c3e-4f50-4a61-8b72-9c83d4e5f601';
const ORG = '11111111-1111-4111-8111-111111111111';
const SECRET = 'a-name-id-secret-of-at-least-32-characters';

const profile = (over: Partial<UserProfile> = {}): UserProfile => testProfile({ customAttributes: { badge: 'B-7' }, ...over });

type Mapping = Partial<z.input<typeof ApplicationSnapshot>['attributes'][number]> & { spName: string; enabled: boolean; required: boolean };
type SnapshotInput = Omit<Partial<z.input<typeof ApplicationSnapshot>>, 'attributes'> & { attributes?: Mapping[] };

const snapshot = ({ attributes, ...over }: SnapshotInput = {}): ApplicationSnapshot =>
  ApplicationSnapshot.parse({
    name: 'Wiki',
    connectorId: 'saml2',
    spEntityId: 'https://wiki.example.com',
    acsUrls: ['https://wiki.example.com/acs'],
    nameIdFormat: NAMEID.email,
    nameIdSource: 'email',
    signAssertion: true,
    signResponse: true,
    active: true,
    attributes: (
      attributes ?? [
        { spName: 'mail', source: 'email', enabled: true, required: true },
        { spName: 'dept', source: 'department', enabled: true, required: false },
        { spName: 'badge', source: 'custom:badge', enabled: true, required: false },
        { spName: 'tenant', constant: 'acme', enabled: true, required: false },
        { spName: 'title', source: 'jobTitle', enabled: true, required: false },
        { spName: 'off', source: 'email', enabled: false, required: true },
      ]
    ).map((a) => ({ source: null, constant: null, ...a })),
    ...over,
  });

const facts = (over: Partial<AuthorisationFacts> = {}, app: ApplicationSnapshot = snapshot()): AuthorisationFacts => ({
  user: { id: USER, profile: profile() },
  application: { id: APP, organizationId: ORG, snapshot: app },
  granted: true,
  groupNames: ['Engineering', 'Wiki editors'],
  adminRole: null,
  adminRolesKnown: true,
  ...over,
});

const decide = (f: AuthorisationFacts, over: Partial<DecisionInput> = {}) =>
  decideAssertion({ applicationId: APP, userId: USER, facts: f, nameIdSecret: SECRET, transientNameId: '_t1', ...over });

describe('decideAssertion: whether an assertion goes out, and with what', () => {
  it('issues to an active, authorised user with every required value: NameID and mapped attributes', () => {
    const decision = decide(facts());
    assert.deepEqual(decision.blockers, []);
    assert.deepEqual(decision.missing, []);
    assert.deepEqual(decision.nameId, { format: NAMEID.email, value: 'ada@example.com' });
    assert.deepEqual(decision.attributes, [
      { name: 'mail', values: ['ada@example.com'] },
      { name: 'dept', values: ['R&D'] },
      { name: 'badge', values: ['B-7'] },
      { name: 'tenant', values: ['acme'] },
    ]);
  });

  it('blocks an inactive application (app_inactive), and one the read model does not give (deleted, other organisation)', () => {
    assert.deepEqual(
      decide(facts({}, snapshot({ active: false }))).blockers.map((b) => b.reason),
      ['app_inactive'],
    );
    assert.deepEqual(
      decide(facts({ application: null, granted: false })).blockers.map((b) => b.reason),
      ['app_inactive', 'app_not_authorized'],
    );
  });

  it('blocks a user the read model does not have (user_not_found), with no NameID or attributes', () => {
    const decision = decide(facts({ user: null }));
    assert.deepEqual(decision.blockers, [{ reason: 'user_not_found', message: 'The user does not exist.' }]);
    assert.equal(decision.nameId.value, null);
    assert.deepEqual(decision.attributes, []);
  });

  for (const state of ['STAGED', 'SUSPENDED'] as const) {
    it(`blocks a ${state} user (user_not_active)`, () => {
      assert.deepEqual(decide(facts({ user: { id: USER, profile: profile({ state }) } })).blockers, [
        { reason: 'user_not_active', message: `The user is ${state}.` },
      ]);
    });
  }

  it('blocks a user in no group bound to the application (app_not_authorized)', () => {
    assert.deepEqual(decide(facts({ granted: false })).blockers, [
      { reason: 'app_not_authorized', message: 'The user is in no group bound to the application.' },
    ]);
  });

  it('blocks a missing required attribute and a missing NameID source, each by name, in that order', () => {
    const f = facts({ user: { id: USER, profile: profile({ email: null as unknown as string }) } });
    const decision = decide(f);
    assert.deepEqual(decision.blockers, [
      { reason: 'missing_required_attribute:mail', message: 'No value for the required attribute mail.' },
      { reason: 'missing_required_attribute:NameID', message: 'No value for the NameID source email.' },
    ]);
    assert.deepEqual(decision.missing, ['mail', 'NameID']);
    assert.equal(decision.nameId.value, null);
  });

  it('lists every blocker at once, in the order a sign-in checks them (the first is its refusal)', () => {
    const f = facts({ granted: false, user: { id: USER, profile: profile({ state: 'SUSPENDED', email: null as unknown as string }) } });
    assert.deepEqual(
      decide(f, {}).blockers.map((b) => b.reason),
      ['user_not_active', 'app_not_authorized', 'missing_required_attribute:mail', 'missing_required_attribute:NameID'],
    );
  });

  it("blocks an AuthnRequest whose Subject names another person than this user's NameID (subject_mismatch)", () => {
    assert.deepEqual(decide(facts(), { requestedSubject: 'grace@example.com' }).blockers, [
      { reason: 'subject_mismatch', message: "The request's Subject names another person than this user." },
    ]);
    assert.deepEqual(decide(facts(), { requestedSubject: 'ada@example.com' }).blockers, [], 'the same person: issue');
  });

  describe('NameID formats', () => {
    it('emailAddress and unspecified: the configured directory attribute (custom ones too)', () => {
      assert.deepEqual(decide(facts({}, snapshot({ nameIdFormat: NAMEID.unspecified, nameIdSource: 'username' }))).nameId, {
        format: NAMEID.unspecified,
        value: 'ada',
      });
      assert.equal(decide(facts({}, snapshot({ nameIdSource: 'custom:badge' }))).nameId.value, 'B-7');
      assert.equal(decide(facts({}, snapshot({ nameIdSource: 'id' }))).nameId.value, USER);
    });

    it('persistent: HMAC-SHA256 of application and user under the NameID secret, stable and per application', () => {
      const app = snapshot({ nameIdFormat: NAMEID.persistent });
      const first = decide(facts({}, app)).nameId;
      assert.deepEqual(first, { format: NAMEID.persistent, value: persistentNameId(SECRET, APP, USER) });
      assert.equal(decide(facts({}, app)).nameId.value, first.value, 'the same at every sign-in');
      assert.match(first.value ?? '', /^[A-Za-z0-9_-]{43}$/);
      const otherApp = '4a0c8f8e-9a43-4e52-8a77-0d6a3b0f9c12';
      assert.notEqual(decide(facts({}, app), { applicationId: otherApp }).nameId.value, first.value, 'two SPs cannot correlate');
      assert.notEqual(decide(facts({}, app), { nameIdSecret: `${SECRET}-other` }).nameId.value, first.value);
    });

    it('transient: the value the caller made for this assertion', () => {
      assert.deepEqual(decide(facts({}, snapshot({ nameIdFormat: NAMEID.transient })), { transientNameId: '_fresh' }).nameId, {
        format: NAMEID.transient,
        value: '_fresh',
      });
    });
  });

  describe('attribute mapping', () => {
    it('sends a multi-valued mapping as several values, and leaves out optional ones without a value', () => {
      const app = snapshot({
        attributes: [
          { spName: 'roles', source: 'custom:roles', enabled: true, required: false, multiValued: true },
          { spName: 'title', source: 'jobTitle', enabled: true, required: false },
        ],
      });
      const user = { id: USER, profile: profile({ customAttributes: { roles: 'admin\neditor' } }) };
      assert.deepEqual(decide(facts({ user }, app)).attributes, [{ name: 'roles', values: ['admin', 'editor'] }]);
    });

    it("adds the groups attribute with the user's groups, filtered when the application says so", () => {
      const app = snapshot({ attributes: [], groupsAttribute: { spName: 'groups', filter: 'wiki' } });
      assert.deepEqual(decide(facts({}, app)).attributes, [{ name: 'groups', values: ['Wiki editors'] }]);
    });
  });

  describe('the admin console (a built-in SP: admin roles, not group bindings, decide)', () => {
    const CONSOLE = consoleApplicationId(ORG);
    const consoleApp = {
      id: CONSOLE,
      organizationId: ORG,
      snapshot: new ConsoleApplication('https://console.example.com').snapshot(ORG),
      builtIn: 'console' as const,
    };
    // As the read model answers for the console: granted exactly when the user holds a role.
    const consoleFacts = (over: Partial<AuthorisationFacts> = {}): AuthorisationFacts =>
      facts({ application: consoleApp, groupNames: [], granted: true, adminRole: 'help-desk', ...over });
    const decideConsole = (f: AuthorisationFacts) => decide(f, { applicationId: CONSOLE });

    it("issues to an active admin: NameID unspecified holding the user's id, the identity attributes and the role", () => {
      const decision = decideConsole(consoleFacts());
      assert.deepEqual(decision.blockers, []);
      assert.deepEqual(decision.nameId, { format: NAMEID.unspecified, value: USER });
      assert.deepEqual(decision.attributes, [
        { name: 'userId', values: [USER] },
        { name: 'username', values: ['ada'] },
        { name: 'email', values: ['ada@example.com'] },
        { name: 'firstname', values: ['Ada'] },
        { name: 'lastname', values: ['Lovelace'] },
        { name: 'organizationId', values: [ORG] },
        { name: 'adminRole', values: ['help-desk'] },
      ]);
      assert.equal(consoleApp.snapshot.signAssertion && consoleApp.snapshot.signResponse, true, 'response and assertion signed');
      assert.equal(consoleApp.snapshot.singleLogoutUrl, 'https://console.example.com/saml/logout');
    });

    it('signs in an admin whose profile lacks a first or last name (only the id and username are required)', () => {
      const user = { id: USER, profile: profile({ firstname: null, lastname: null }) };
      const decision = decideConsole(consoleFacts({ user, adminRole: 'read-only' }));
      assert.deepEqual(decision.blockers, []);
      assert.deepEqual(
        decision.attributes.map((a) => a.name),
        ['userId', 'username', 'email', 'organizationId', 'adminRole'],
      );
    });

    it('refuses a person without an admin role with app_not_authorized, saying so, whatever their groups', () => {
      const decision = decideConsole(consoleFacts({ granted: false, adminRole: null, groupNames: ['Admins'] }));
      assert.deepEqual(decision.blockers, [
        {
          reason: 'app_not_authorized',
          message: 'The user holds no admin role in the organisation.',
          detail: 'you hold no admin role in this organisation',
        },
      ]);
      assert.equal(
        decision.attributes.some((a) => a.name === 'adminRole'),
        false,
      );
      const [blocker] = decision.blockers;
      assert.equal(
        new Refusal(blocker.reason, { appName: 'Admin console', detail: blocker.detail }).message,
        'You are not authorised to use Admin console: you hold no admin role in this organisation. Ask your administrator for access.',
      );
    });

    it('refuses a suspended administrator (user_not_active)', () => {
      const user = { id: USER, profile: profile({ state: 'SUSPENDED' }) };
      assert.deepEqual(
        decideConsole(consoleFacts({ user, adminRole: 'administrator' })).blockers.map((b) => b.reason),
        ['user_not_active'],
      );
    });

    it('answers stale_read_model while the roles are not all read yet, rather than refuse an admin for a role not read', () => {
      assert.deepEqual(
        decideConsole(consoleFacts({ granted: false, adminRole: null, adminRolesKnown: false })).blockers.map((b) => b.reason),
        ['stale_read_model', 'app_not_authorized'],
      );
      // A catalog application does not wait for roles.
      assert.deepEqual(decide(facts({ adminRolesKnown: false })).blockers, []);
    });
  });
});
