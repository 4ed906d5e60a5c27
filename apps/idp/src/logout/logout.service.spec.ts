import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { generateSigningCredentials, redirectBindingUrl, type SigningCredentials } from '@jit/saml';
import type { AuditService } from '../audit/audit.service';
import type { FreshReadModel } from '../common/fresh-read-model';
import { IdpUrls } from '../common/idp-urls';
import type { SsoOutcome } from '../common/outcome';
import type { RefusalResponder } from '../common/refusal-responder';
import type { IdpConfig } from '../config';
import type { SigningKeysService } from '../keys/signing-keys.service';
import { SessionStore, type IdpSession } from '../sessions/session-store';
import { LogoutService } from './logout.service';
import { TEST_SP, testApplicationSnapshot } from '../test-fixtures';

const APP = '3f0c8f8e-9a43-4e52-8a77-0d6a3b0f9c11';
const ORG = '11111111-1111-4111-8111-111111111111';
const SP = TEST_SP;
const config = { IDP_BASE_URL: 'https://idp.example.com', IDP_RELAY_STATE_MAX_BYTES: 1024, IDP_CLOCK_SKEW_SECONDS: 120 } as IdpConfig;
const SLO = `${config.IDP_BASE_URL}/saml2/${APP}/slo`;

describe('LogoutService: a LogoutRequest ends only the session it names, and only when the SP signed it', () => {
  let spKey: SigningCredentials;
  let otherKey: SigningCredentials;
  let idpKey: SigningCredentials;
  let sessions: SessionStore;

  beforeAll(async () => {
    const [sp, other, idp] = await Promise.all([
      generateSigningCredentials('wiki.example.com'),
      generateSigningCredentials('attacker.example.net'),
      generateSigningCredentials('idp.example.com'),
    ]);
    spKey = { privateKey: sp.privateKeyPem, certificatePem: sp.certificatePem };
    otherKey = { privateKey: other.privateKeyPem, certificatePem: other.certificatePem };
    idpKey = { privateKey: idp.privateKeyPem, certificatePem: idp.certificatePem };
  });
  afterEach(() => sessions.onApplicationShutdown());

  /** The IdP, with Ada signed in to the wiki (NameID ada@example.com, SessionIndex _s1). */
  const setUp = (spSigningCertificates: string[]) => {
    sessions = new SessionStore(60_000, 3_600_000);
    const snapshot = testApplicationSnapshot({ singleLogoutUrl: `${SP}/slo`, spSigningCertificates });
    const app = { id: APP, organizationId: ORG, snapshot };
    const fresh = { requireFresh: () => Promise.resolve(), activeApplication: () => app } as unknown as FreshReadModel;
    const refusals = {
      guard: (_: unknown, work: () => Promise<SsoOutcome>) => work().catch((error: { reason?: string }) => error.reason ?? 'error'),
    } as unknown as RefusalResponder;
    const logout = new LogoutService(
      config,
      fresh,
      new IdpUrls(config),
      { forOrganization: () => Promise.resolve(idpKey) } as unknown as SigningKeysService,
      sessions,
      { record: () => Promise.resolve() } as unknown as AuditService,
      refusals,
    );
    const session = sessions.regenerate({
      ...sessions.create(),
      user: { id: '7b1d2c3e-4f50-4a61-8b72-9c83d4e5f601', organizationId: ORG, authnInstant: new Date(), sessionIndex: '_s1' },
      applications: new Map([[APP, { nameId: 'ada@example.com' }]]),
    });
    const send = (query: string, s: IdpSession | undefined = session) =>
      logout.singleLogout({
        applicationId: APP,
        samlRequest: new URLSearchParams(query).get('SAMLRequest') ?? undefined,
        rawQuery: query,
        relayState: undefined,
        session: s,
        sourceIp: '203.0.113.7',
      }) as Promise<SsoOutcome | string>;
    return { session, send };
  };

  const logoutRequest = (nameId: string, sessionIndex = '_s1') =>
    `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
    `ID="_l${Math.random().toString(16).slice(2)}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${SLO}">` +
    `<saml:Issuer>${SP}</saml:Issuer><saml:NameID>${nameId}</saml:NameID><samlp:SessionIndex>${sessionIndex}</samlp:SessionIndex>` +
    `</samlp:LogoutRequest>`;
  const unsigned = (xml: string) => `SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}`;
  const signed = (xml: string, key: SigningCredentials) => new URL(redirectBindingUrl(SLO, 'SAMLRequest', xml, null, key)).search.slice(1);

  it('refuses (slo_not_authenticated) when the application has no signing certificate, and the session lives on', async () => {
    const { session, send } = setUp([]);
    assert.equal(await send(unsigned(logoutRequest('ada@example.com'))), 'slo_not_authenticated');
    assert.equal(sessions.get(session.id)?.id, session.id);
  });

  it('refuses an unsigned request, and one signed with another key, even when the application does not require signed sign-ins', async () => {
    const { session, send } = setUp([spKey.certificatePem]);
    assert.equal(await send(unsigned(logoutRequest('ada@example.com'))), 'unsigned_request_rejected');
    assert.equal(await send(signed(logoutRequest('ada@example.com'), otherKey)), 'bad_request_signature');
    assert.equal(sessions.get(session.id)?.id, session.id);
  });

  it('a signed request naming another principal answers the SP but ends nothing', async () => {
    const { session, send } = setUp([spKey.certificatePem]);
    for (const xml of [logoutRequest('grace@example.com'), logoutRequest('ada@example.com', '_other')]) {
      const outcome = await send(signed(xml, spKey));
      assert.ok(typeof outcome === 'object' && outcome.kind === 'redirect');
      assert.equal(outcome.kind === 'redirect' && outcome.clearSession, false);
      assert.ok(outcome.kind === 'redirect' && outcome.location.startsWith(`${SP}/slo?SAMLResponse=`));
    }
    assert.equal(sessions.get(session.id)?.id, session.id);
  });

  it("a signed request naming this session's principal for the SP ends it", async () => {
    const { session, send } = setUp([spKey.certificatePem]);
    const outcome = await send(signed(logoutRequest('ada@example.com'), spKey));
    assert.equal(typeof outcome === 'object' && outcome.kind === 'redirect' && outcome.clearSession, true);
    assert.equal(sessions.get(session.id), undefined);
  });
});
