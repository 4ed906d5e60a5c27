import assert from 'node:assert/strict';
import { CatalogEvents } from '@jit/catalog-contracts';
import { DirectoryEvents } from '@jit/directory-contracts';
import { consoleApplicationId, IdpEvents } from '@jit/idp-contracts';
import { liveEventOf } from '../live/live-events';
import { activityId, CONSOLE_CONSUMES, toActivity } from './activity-events';

const org = '6f1c2a4e-8f51-4c1e-9a52-0d1e2f3a4b5c';
const user = '1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b';
const at = '2026-12-01T10:00:00.000Z';

describe('toActivity', () => {
  it("names who changed the organisation's sign-in page, and what", () => {
    const changed = toActivity(DirectoryEvents.organizationUpdated.subject, {
      organizationId: org,
      occurredAt: at,
      version: 2,
      name: 'Acme Corp',
      logoUrl: null,
      brandColor: '#0b7285',
      changedFields: ['name', 'brandColor'],
      actor: { kind: 'person', userId: user, username: 'ada' },
    });
    assert.equal(changed?.kind, 'admin-change');
    assert.equal(changed?.summary, "ada changed the organisation's sign-in page: name, brandColor");
  });

  it('makes a sign-in, a refusal with reason and detail, and skips a sign-out', () => {
    const issued = toActivity(IdpEvents.assertionIssued.subject, {
      organizationId: org,
      occurredAt: at,
      userId: user,
      applicationId: 'app',
    });
    assert.equal(issued?.kind, 'sign-in');
    const refused = toActivity(IdpEvents.ssoRefused.subject, {
      organizationId: org,
      occurredAt: at,
      userId: null,
      applicationId: 'app',
      reason: 'app_inactive',
      detail: 'switched off',
    });
    assert.deepEqual([refused?.kind, refused?.reason, refused?.detail, refused?.userId], ['refusal', 'app_inactive', 'switched off', null]);
    assert.equal(toActivity(IdpEvents.loggedOut.subject, { organizationId: org, occurredAt: at, userId: user }), null);
  });

  it('calls a sign-in to this console by its name, not by the id the IdP derives for it', () => {
    const applicationId = consoleApplicationId(org);
    const issued = toActivity(IdpEvents.assertionIssued.subject, { organizationId: org, occurredAt: at, userId: user, applicationId });
    assert.deepEqual([issued?.summary, issued?.applicationId], [`${user} signed in to the admin console`, applicationId]);
    const refused = toActivity(IdpEvents.ssoRefused.subject, {
      organizationId: org,
      occurredAt: at,
      userId: user,
      applicationId,
      reason: 'mfa_required',
      detail: '',
    });
    assert.equal(refused?.summary, `Sign-in of ${user} to the admin console refused: mfa_required`);
    // Another organisation's console is an application id like any other here.
    const other = toActivity(IdpEvents.assertionIssued.subject, {
      organizationId: org,
      occurredAt: at,
      userId: user,
      applicationId: consoleApplicationId('00000000-0000-4000-8000-000000000000'),
    });
    assert.match(other?.summary ?? '', /signed in to application /);
  });

  it('summarises an admin change by who made it', () => {
    const byKey = toActivity(CatalogEvents.groupBound.subject, {
      organizationId: org,
      occurredAt: at,
      applicationId: 'a1',
      groupId: 'g1',
      actor: { kind: 'api-key', fingerprint: '0123456789ab' },
    });
    assert.equal(byKey?.kind, 'admin-change');
    assert.equal(byKey?.summary, 'API key 0123456789ab gave group g1 access to application a1');
    const named = toActivity(
      CatalogEvents.groupBound.subject,
      { organizationId: org, occurredAt: at, applicationId: 'a1', groupId: 'g1', actor: { kind: 'api-key', fingerprint: '0123456789ab' } },
      { group: 'Finance' },
    );
    assert.equal(named?.summary, 'API key 0123456789ab gave group Finance access to application a1');
    const bySystem = toActivity(DirectoryEvents.userAdminRoleChanged.subject, {
      organizationId: org,
      occurredAt: at,
      userId: user,
      role: 'help-desk',
      previousRole: null,
    });
    assert.equal(bySystem?.summary, `The system changed the admin role of user ${user} from none to help-desk`);
    assert.equal(bySystem?.actor, null);
  });

  it('shows second-factor changes and refusals, not each accepted code', () => {
    const mfa = { organizationId: org, occurredAt: at, userId: user };
    assert.equal(toActivity(IdpEvents.mfaVerified.subject, { ...mfa, method: 'totp' }), null);
    const rejected = toActivity(IdpEvents.mfaRejected.subject, { ...mfa, reason: 'locked_out' });
    assert.deepEqual([rejected?.kind, rejected?.reason], ['refusal', 'locked_out']);
    assert.equal(
      toActivity(IdpEvents.mfaEnrolled.subject, { ...mfa, factorId: user, kind: 'totp' })?.summary,
      `user ${user} added an authenticator app`,
    );
    assert.equal(
      toActivity(IdpEvents.mfaEnrolled.subject, { ...mfa, factorId: user, kind: 'webauthn' })?.summary,
      `user ${user} added a passkey`,
    );
    assert.equal(
      toActivity(IdpEvents.mfaRemoved.subject, { ...mfa, factorId: user, kind: 'webauthn' })?.summary,
      `user ${user} removed a passkey`,
    );
    const renamed = toActivity(IdpEvents.mfaRenamed.subject, { ...mfa, factorId: user, kind: 'webauthn' });
    assert.deepEqual([renamed?.kind, renamed?.summary], ['admin-change', `user ${user} renamed a passkey`]);
    const reset = toActivity(IdpEvents.mfaReset.subject, {
      ...mfa,
      factorsRemoved: 1,
      actor: { kind: 'person', userId: user, username: 'grace' },
    });
    assert.deepEqual([reset?.kind, reset?.summary], ['admin-change', `grace reset the second factors of user ${user} (1 removed)`]);
    const unlocked = toActivity(IdpEvents.mfaUnlocked.subject, { ...mfa, actor: { kind: 'person', userId: user, username: 'grace' } });
    assert.deepEqual([unlocked?.kind, unlocked?.summary], ['admin-change', `grace unlocked the second step of user ${user}`]);
    const policy = toActivity(IdpEvents.mfaPolicySet.subject, { organizationId: org, occurredAt: at, policy: 'required' });
    assert.equal(policy?.summary, 'The system set the MFA policy to required');
  });
});

describe('the consumed contracts', () => {
  const schemaOf = (subject: string) => CONSOLE_CONSUMES.flatMap((s) => s.events).find((e) => e.subject === subject)!.schema;
  const created = { organizationId: org, version: 1, occurredAt: at, groupId: user, name: 'Ops' };

  it('keep the actor the producer wrote beside the contract’s fields', () => {
    const actor = { kind: 'person', userId: user, username: 'ada' };
    assert.deepEqual(schemaOf(DirectoryEvents.groupCreated.subject).parse({ ...created, actor }), { ...created, actor });
  });

  it('drop an actor of another shape rather than the event, and still hold the contract', () => {
    assert.deepEqual(schemaOf(DirectoryEvents.groupCreated.subject).parse({ ...created, actor: { kind: 'robot' } }), {
      ...created,
      actor: undefined,
    });
    assert.equal(schemaOf(DirectoryEvents.groupCreated.subject).safeParse({ ...created, name: 3 }).success, false);
  });
});

describe('activityId', () => {
  it('is the same for a redelivery and differs per sequence', () => {
    assert.equal(activityId('idp', 5, 's', at), activityId('idp', 5, 's', at));
    assert.notEqual(activityId('idp', 5, 's', at), activityId('idp', 6, 's', at));
    assert.match(activityId('idp', 5, 's', at), /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('liveEventOf', () => {
  it('keeps the subject and ids only', () => {
    assert.deepEqual(
      liveEventOf('directory.user.updated.v1', { organizationId: org, userId: user, user: { username: 'ada' }, version: 2 }),
      { subject: 'directory.user.updated.v1', organizationId: org, ids: { userId: user } },
    );
    assert.equal(liveEventOf('x', { userId: user }), undefined);
  });
});
