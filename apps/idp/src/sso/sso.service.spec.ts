import assert from 'node:assert/strict';
import type { AuditService } from '../audit/audit.service';
import type { FreshReadModel } from '../common/fresh-read-model';
import { IdpUrls } from '../common/idp-urls';
import type { SsoOutcome } from '../common/outcome';
import type { RefusalResponder } from '../common/refusal-responder';
import type { IdpConfig } from '../config';
import type { SigningKeysService } from '../keys/signing-keys.service';
import type { ReadApplicationView } from '../read-model/read-model.service';
import { SessionStore } from '../sessions/session-store';
import type { ReplayCache } from './replay-cache';
import type { MfaPolicy, MfaService } from '../mfa/mfa.service';
import type { PasskeysService } from '../mfa/passkeys.service';
import { SsoService } from './sso.service';
import { testApplicationSnapshot } from '../test-fixtures';

const APP = '3f0c8f8e-9a43-4e52-8a77-0d6a3b0f9c11';
const ORG = '11111111-1111-4111-8111-111111111111';
const config = { IDP_BASE_URL: 'https://idp.example.com', IDP_RELAY_STATE_MAX_BYTES: 1024, IDP_CLOCK_SKEW_SECONDS: 120 } as IdpConfig;

describe('SsoService.idpInitiated: the RelayState it forwards', () => {
  let sessions: SessionStore;
  afterEach(() => sessions.onApplicationShutdown());

  /** The RelayState kept for the sign-in that an IdP-initiated link starts (no one signed in yet). */
  const relayStateFor = async (snapshot: Parameters<typeof testApplicationSnapshot>[0], fromUrl: string | undefined) => {
    sessions = new SessionStore(60_000, 3_600_000);
    const app: ReadApplicationView = {
      id: APP,
      organizationId: ORG,
      snapshot: testApplicationSnapshot(snapshot),
    };
    const fresh = { requireFresh: () => Promise.resolve(), activeApplication: () => app } as unknown as FreshReadModel;
    const refusals = { guard: (_: unknown, work: () => Promise<SsoOutcome>) => work() } as unknown as RefusalResponder;
    const sso = new SsoService(
      config,
      'a-name-id-secret-of-at-least-32-characters',
      fresh,
      new IdpUrls(config),
      {} as SigningKeysService,
      sessions,
      {} as ReplayCache,
      {} as AuditService,
      refusals,
      {} as MfaService,
      {} as PasskeysService,
    );
    const outcome = await sso.idpInitiated(APP, fromUrl, undefined, '203.0.113.7');
    assert.equal(outcome.kind, 'redirect');
    return outcome.session?.pending?.relayState;
  };

  it("sends the application's default RelayState, never one taken from the URL", async () => {
    assert.equal(await relayStateFor({ defaultRelayState: '/home' }, 'https://evil.example.net/phish'), '/home');
    assert.equal(await relayStateFor({ defaultRelayState: null }, 'https://evil.example.net/phish'), null);
  });

  it("forwards the caller's RelayState only for an application that opts in", async () => {
    const optedIn = { defaultRelayState: '/home', idpInitiatedRelayStateFromCaller: true };
    assert.equal(await relayStateFor(optedIn, '/reports/42'), '/reports/42');
    assert.equal(await relayStateFor(optedIn, undefined), '/home');
  });
});

describe('SsoService: what a sign-in waits for (docs/decisions/0009)', () => {
  it("waits for the application's events, and for the signed-in person's when there is one", async () => {
    const sessions = new SessionStore(60_000, 3_600_000);
    const app: ReadApplicationView = { id: APP, organizationId: ORG, snapshot: testApplicationSnapshot({}) };
    const checks: unknown[] = [];
    const fresh = {
      requireFresh: (about: unknown) => {
        checks.push(about);
        return Promise.resolve();
      },
      activeApplication: () => app,
    } as unknown as FreshReadModel;
    const refusals = { guard: (_: unknown, work: () => Promise<SsoOutcome>) => work() } as unknown as RefusalResponder;
    const sso = new SsoService(
      config,
      'a-name-id-secret-of-at-least-32-characters',
      fresh,
      new IdpUrls(config),
      {} as SigningKeysService,
      sessions,
      {} as ReplayCache,
      {} as AuditService,
      refusals,
      {} as MfaService,
      {} as PasskeysService,
    );
    await sso.idpInitiated(APP, undefined, undefined, '203.0.113.7');
    // Signed in to another organisation: the person is still who the decision is about.
    const OTHER = '22222222-2222-4222-8222-222222222222';
    const USER = '7b1d2c3e-4f50-4a61-8b72-9c83d4e5f601';
    const session = sessions.create();
    session.user = { id: USER, organizationId: OTHER, authnInstant: new Date(), sessionIndex: '_s' };
    await sso.idpInitiated(APP, undefined, session, '203.0.113.7');
    assert.deepEqual(checks, [
      { person: undefined, applicationId: APP },
      { person: { userId: USER, organizationId: OTHER }, applicationId: APP },
    ]);
    void sessions.onApplicationShutdown();
  });
});

describe('SsoService.spInitiated: an AuthnRequest with a Subject', () => {
  let sessions: SessionStore;
  afterEach(() => sessions.onApplicationShutdown());

  /** The reason SSO refuses with (or 'reached signing') for a signed-in Ada and a request naming `subject`. */
  const outcomeFor = async (
    subject: string,
    mfa: {
      policy?: MfaPolicy;
      hasFactor?: boolean;
      signedInWithMfa?: boolean;
      appRequires?: boolean;
      appRequiresPasskey?: boolean;
      hasPasskey?: boolean;
      signedInWithPasskey?: boolean;
    } = {},
    requestedAuthnContext = '',
  ): Promise<string> => {
    sessions = new SessionStore(60_000, 3_600_000);
    const snapshot = testApplicationSnapshot({
      mfaRequired: mfa.appRequires ?? false,
      mfaPhishingResistant: mfa.appRequiresPasskey ?? false,
    });
    const app: ReadApplicationView = { id: APP, organizationId: ORG, snapshot };
    const USER = '7b1d2c3e-4f50-4a61-8b72-9c83d4e5f601';
    const facts = {
      user: { id: USER, profile: { state: 'ACTIVATED', email: 'ada@example.com', customAttributes: {} } },
      application: app,
      granted: true,
      groupNames: [],
    };
    const fresh = {
      requireFresh: () => Promise.resolve(),
      activeApplication: () => app,
      readModel: { authorisation: () => facts },
    } as unknown as FreshReadModel;
    const refusals = {
      guard: (_: unknown, work: () => Promise<SsoOutcome>) =>
        work().then(
          (o) => (o.kind === 'redirect' ? `${o.location} ${o.session?.secondStep?.stage}` : 'issued'),
          // A refusal with a SAML status rule and the verified ACS is answered there, not with a page.
          (error: { reason?: string; pending?: unknown; rule?: { saml?: unknown } }) =>
            `${error.reason ?? 'error'}${error.pending && error.rule?.saml ? ' to the ACS' : ''}`,
        ),
    } as unknown as RefusalResponder;
    // Signing is the step after the decision: reaching it means the request was accepted.
    const reachedSigning = Object.assign(new Error('no signing in this test'), { reason: 'reached signing' });
    const sso = new SsoService(
      config,
      'a-name-id-secret-of-at-least-32-characters',
      fresh,
      new IdpUrls(config),
      { forOrganization: () => Promise.reject(reachedSigning) } as unknown as SigningKeysService,
      sessions,
      { firstSeen: () => Promise.resolve(true) } as unknown as ReplayCache,
      {} as AuditService,
      refusals,
      {
        policy: () => Promise.resolve(mfa.policy ?? 'off'),
        hasConfirmedFactor: () => Promise.resolve(mfa.hasFactor ?? false),
      } as unknown as MfaService,
      { hasPasskey: () => Promise.resolve(mfa.hasPasskey ?? false) } as unknown as PasskeysService,
    );
    const session = sessions.regenerate({
      ...sessions.create(),
      user: {
        id: USER,
        organizationId: ORG,
        authnInstant: new Date(),
        sessionIndex: '_s1',
        mfa: mfa.signedInWithMfa,
        phishingResistant: mfa.signedInWithPasskey,
      },
    });
    const xml =
      `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
      `ID="_r${Date.now()}" Version="2.0" IssueInstant="${new Date().toISOString()}">` +
      `<saml:Issuer>https://wiki.example.com</saml:Issuer>` +
      `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${subject}</saml:NameID></saml:Subject>` +
      requestedAuthnContext +
      `</samlp:AuthnRequest>`;
    return (await sso.spInitiated({
      applicationId: APP,
      binding: 'post',
      samlRequest: Buffer.from(xml).toString('base64'),
      relayState: undefined,
      session,
      sourceIp: '203.0.113.7',
    })) as unknown as string;
  };

  it('refuses a request naming another person than the one signed in (subject_mismatch)', async () => {
    assert.equal(await outcomeFor('grace@example.com'), 'subject_mismatch');
  });

  it('goes on to sign when the Subject is the signed-in person', async () => {
    assert.equal(await outcomeFor('ada@example.com'), 'reached signing');
  });

  it('steps a password-only session up to a second factor when the organisation requires one (enrolling one who has none)', async () => {
    assert.equal(await outcomeFor('ada@example.com', { policy: 'required', hasFactor: true }), '/login/mfa verify');
    assert.equal(await outcomeFor('ada@example.com', { policy: 'required', hasFactor: false }), '/login/mfa enrol');
    assert.equal(await outcomeFor('ada@example.com', { policy: 'required', signedInWithMfa: true }), 'reached signing');
    assert.equal(await outcomeFor('ada@example.com', { policy: 'optional', hasFactor: true }), 'reached signing');
  });

  it('steps up for an application that requires MFA, whatever the organisation’s policy', async () => {
    assert.equal(await outcomeFor('ada@example.com', { policy: 'off', appRequires: true, hasFactor: true }), '/login/mfa verify');
    assert.equal(await outcomeFor('ada@example.com', { policy: 'off', appRequires: true, signedInWithMfa: true }), 'reached signing');
  });

  it('steps a TOTP session up to a passkey for an application that requires a phishing-resistant factor, enrolling one who has none', async () => {
    const app = { policy: 'off' as const, appRequiresPasskey: true, hasFactor: true, signedInWithMfa: true };
    assert.equal(await outcomeFor('ada@example.com', { ...app, hasPasskey: true }), '/login/mfa verify');
    assert.equal(await outcomeFor('ada@example.com', { ...app, hasPasskey: false }), '/login/mfa enrol');
    assert.equal(await outcomeFor('ada@example.com', { ...app, signedInWithMfa: false, hasPasskey: true }), '/login/mfa verify');
    assert.equal(await outcomeFor('ada@example.com', { ...app, hasPasskey: true, signedInWithPasskey: true }), 'reached signing');
  });

  describe('and a RequestedAuthnContext', () => {
    const requested = (comparison: string, ...refs: string[]) =>
      `<samlp:RequestedAuthnContext Comparison="${comparison}">${refs.map((r) => `<saml:AuthnContextClassRef>${r}</saml:AuthnContextClassRef>`).join('')}</samlp:RequestedAuthnContext>`;
    const PPT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
    const MFA = 'https://refeds.org/profile/mfa';
    const ada = 'ada@example.com';

    it('steps a password-only session up when only a multi-factor class meets it (enrolling one who has no factor)', async () => {
      assert.equal(await outcomeFor(ada, { hasFactor: true }, requested('minimum', MFA)), '/login/mfa verify');
      assert.equal(await outcomeFor(ada, { hasFactor: false }, requested('exact', MFA)), '/login/mfa enrol');
      assert.equal(await outcomeFor(ada, { hasFactor: true }, requested('better', PPT)), '/login/mfa verify');
      assert.equal(await outcomeFor(ada, { signedInWithMfa: true }, requested('minimum', MFA)), 'reached signing');
    });

    it('goes on with what the session has when the request accepts it: a password alone, or exact PasswordProtectedTransport after MFA', async () => {
      assert.equal(await outcomeFor(ada, { hasFactor: true }, requested('exact', PPT)), 'reached signing');
      assert.equal(await outcomeFor(ada, { hasFactor: true }, requested('maximum', MFA)), 'reached signing');
      assert.equal(await outcomeFor(ada, { signedInWithMfa: true, policy: 'required' }, requested('exact', PPT)), 'reached signing');
      // The organisation's policy still steps up first: a request does not lower it.
      assert.equal(await outcomeFor(ada, { hasFactor: true, policy: 'required' }, requested('exact', PPT)), '/login/mfa verify');
    });

    it('answers the ACS with a status, before any step-up, what nothing meets (no_authn_context) or what cannot be read', async () => {
      assert.equal(await outcomeFor(ada, { hasFactor: true }, requested('better', MFA)), 'no_authn_context to the ACS');
      assert.equal(
        await outcomeFor(ada, { hasFactor: true }, requested('exact', 'urn:oasis:names:tc:SAML:2.0:ac:classes:Kerberos')),
        'no_authn_context to the ACS',
      );
      const declRef =
        '<samlp:RequestedAuthnContext><saml:AuthnContextDeclRef>https://sp.example.com/decl</saml:AuthnContextDeclRef></samlp:RequestedAuthnContext>';
      assert.equal(await outcomeFor(ada, { hasFactor: true }, declRef), 'no_authn_context to the ACS');
      assert.equal(await outcomeFor(ada, { hasFactor: true }, requested('atLeast', MFA)), 'malformed_request to the ACS');
      assert.equal(await outcomeFor(ada, { hasFactor: true }, requested('minimum')), 'malformed_request to the ACS');
    });
  });
});
