import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import {
  buildLogoutResponse,
  decodeRedirectSamlRequest,
  generateSigningCredentials,
  redirectBindingUrl,
  verifyRedirectSignature,
  type SigningCredentials,
} from '@jit/saml';
import type { AuditService } from '../audit/audit.service';
import type { FreshReadModel } from '../common/fresh-read-model';
import { IdpUrls } from '../common/idp-urls';
import type { SsoOutcome } from '../common/outcome';
import type { RefusalResponder } from '../common/refusal-responder';
import type { IdpConfig } from '../config';
import type { SigningKeysService } from '../keys/signing-keys.service';
import type { ReadApplicationView } from '../read-model/read-model.service';
import { SessionStore, type IdpSession } from '../sessions/session-store';
import { SignOutWalks } from '../sessions/sign-out-walks';
import type { PageAction } from '../sso/html';
import { TEST_SP, testApplicationSnapshot } from '../test-fixtures';
import { LogoutService } from './logout.service';
import { SignOutService } from './sign-out.service';

const APP = '3f0c8f8e-9a43-4e52-8a77-0d6a3b0f9c11';
const CRM = '4a1d9f9f-0b54-4f63-9b88-1e7b4c1fad22';
const CHAT = '5b2eaf0a-1c65-4a74-8c99-2f8c5d20be33';
const ORG = '11111111-1111-4111-8111-111111111111';
const USER = '7b1d2c3e-4f50-4a61-8b72-9c83d4e5f601';
const SP = TEST_SP;
const CRM_SP = 'https://crm.example.com';
const EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const config = { IDP_BASE_URL: 'https://idp.example.com', IDP_RELAY_STATE_MAX_BYTES: 1024, IDP_CLOCK_SKEW_SECONDS: 120 } as IdpConfig;
const SLO = `${config.IDP_BASE_URL}/saml2/${APP}/slo`;

type Answer = SsoOutcome | { refused: string; action?: PageAction };
const isPage = (a: Answer): a is SsoOutcome & { kind: 'page' } => 'kind' in a && a.kind === 'page';
const isRedirect = (a: Answer): a is SsoOutcome & { kind: 'redirect' } => 'kind' in a && a.kind === 'redirect';
const location = (a: Answer): URL => {
  assert.ok(isRedirect(a), JSON.stringify(a));
  return new URL(a.location);
};

describe('Single Logout and signing out of the IdP: what ends, who is told, and what the person sees', () => {
  let spKey: SigningCredentials;
  let otherKey: SigningCredentials;
  let idpKey: SigningCredentials;
  let sessions: SessionStore;
  let loggedOut: string[];
  /** What each freshness check was asked to cover. */
  let checked: unknown[];

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

  /**
   * The IdP, with Ada signed in (SessionIndex _s1) to the wiki (APP, NameID ada@example.com) and,
   * when `others`, to a CRM with an SLO address and a chat without one.
   */
  const setUp = (wiki: { spSigningCertificates: string[]; singleLogoutUrl?: string | null }, others = false) => {
    sessions = new SessionStore(60_000, 3_600_000);
    loggedOut = [];
    checked = [];
    const apps = new Map<string, ReadApplicationView>([
      [
        APP,
        {
          id: APP,
          organizationId: ORG,
          snapshot: testApplicationSnapshot({ singleLogoutUrl: `${SP}/slo`, ...wiki }),
        },
      ],
      [
        CRM,
        {
          id: CRM,
          organizationId: ORG,
          snapshot: testApplicationSnapshot({
            name: 'CRM',
            spEntityId: CRM_SP,
            acsUrls: [`${CRM_SP}/acs`],
            singleLogoutUrl: `${CRM_SP}/slo`,
          }),
        },
      ],
      [CHAT, { id: CHAT, organizationId: ORG, snapshot: testApplicationSnapshot({ name: 'Chat', singleLogoutUrl: null }) }],
    ]);
    const fresh = {
      requireFresh: (about: unknown) => {
        checked.push(about);
        return Promise.resolve();
      },
      activeApplication: (id: string) => apps.get(id),
      readModel: {
        application: (id: string) => apps.get(id) ?? null,
        organization: (id: string) => (id === ORG ? { name: 'Acme Corp', logoUrl: null, brandColor: null } : null),
      },
    } as unknown as FreshReadModel;
    const refusals = {
      guard: (_: unknown, work: () => Promise<SsoOutcome>, action?: PageAction) =>
        work().catch((error: { reason?: string }) => ({ refused: error.reason ?? 'error', action })),
    } as unknown as RefusalResponder;
    const audit = {
      record: (_: unknown, event: { applicationId: string }) => {
        loggedOut.push(event.applicationId);
        return Promise.resolve();
      },
    } as unknown as AuditService;
    const signOut = new SignOutService(
      fresh,
      new IdpUrls(config),
      { forOrganization: () => Promise.resolve(idpKey) } as unknown as SigningKeysService,
      sessions,
      audit,
      new SignOutWalks(60_000, 100),
    );
    const logout = new LogoutService(config, fresh, new IdpUrls(config), signOut, refusals);
    const session = sessions.regenerate({
      ...sessions.create(),
      user: { id: USER, organizationId: ORG, authnInstant: new Date(), sessionIndex: '_s1' },
      applications: new Map([
        [APP, { nameId: 'ada@example.com', nameIdFormat: EMAIL }],
        ...(others
          ? ([
              [CRM, { nameId: 'p-ada', nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' }],
              [CHAT, { nameId: 'ada@example.com', nameIdFormat: EMAIL }],
            ] as const)
          : []),
      ]),
    });
    const send = (query: string, s: IdpSession | undefined = session) =>
      logout.singleLogout({
        applicationId: APP,
        samlRequest: new URLSearchParams(query).get('SAMLRequest') ?? undefined,
        rawQuery: query,
        relayState: new URLSearchParams(query).get('RelayState') ?? undefined,
        session: s,
        sourceIp: '203.0.113.7',
      }) as Promise<Answer>;
    /** An SP's LogoutResponse, back at the IdP's SLO endpoint for `appId`. */
    const answer = (appId: string, request: URL, over: { inResponseTo?: string; issuer?: string } = {}) => {
      const xml = decodeRedirectSamlRequest(request.searchParams.get('SAMLRequest') ?? '');
      const requestId = /ID="([^"]+)"/.exec(xml)?.[1] ?? '';
      const response = buildLogoutResponse({
        issuer: over.issuer ?? apps.get(appId)?.snapshot.spEntityId ?? '',
        destination: `${config.IDP_BASE_URL}/saml2/${appId}/slo`,
        inResponseTo: over.inResponseTo ?? requestId,
      });
      const url = new URL(
        `https://idp.example.com/saml2/${appId}/slo?SAMLResponse=${encodeURIComponent(deflateRawSync(Buffer.from(response)).toString('base64'))}` +
          `&RelayState=${encodeURIComponent(request.searchParams.get('RelayState') ?? '')}`,
      );
      return signOut.logoutResponse({
        applicationId: appId,
        samlResponse: url.searchParams.get('SAMLResponse') ?? '',
        relayState: url.searchParams.get('RelayState') ?? undefined,
        rawQuery: url.search.slice(1),
      }) as Promise<Answer>;
    };
    return { session, send, signOut, answer };
  };

  const logoutRequest = (nameId: string, sessionIndex = '_s1') =>
    `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
    `ID="_l${Math.random().toString(16).slice(2)}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${SLO}">` +
    `<saml:Issuer>${SP}</saml:Issuer><saml:NameID>${nameId}</saml:NameID><samlp:SessionIndex>${sessionIndex}</samlp:SessionIndex>` +
    `</samlp:LogoutRequest>`;
  const unsigned = (xml: string) => `SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}`;
  const signed = (xml: string, key: SigningCredentials, relayState: string | null = null) =>
    new URL(redirectBindingUrl(SLO, 'SAMLRequest', xml, relayState, key)).search.slice(1);

  describe('an SP-initiated LogoutRequest', () => {
    it('refuses (slo_not_authenticated) when the application has no signing certificate, offers the IdP sign-out, and the session lives on', async () => {
      const { session, send } = setUp({ spSigningCertificates: [] });
      const refused = await send(unsigned(logoutRequest('ada@example.com')));
      assert.equal('refused' in refused && refused.refused, 'slo_not_authenticated');
      assert.equal('refused' in refused && refused.action?.href, '/logout');
      assert.equal(sessions.get(session.id)?.id, session.id);
    });

    it('refuses an unsigned request, and one signed with another key, even when the application does not require signed sign-ins', async () => {
      const { session, send } = setUp({ spSigningCertificates: [spKey.certificatePem] });
      assert.equal(((await send(unsigned(logoutRequest('ada@example.com')))) as { refused: string }).refused, 'unsigned_request_rejected');
      assert.equal(
        ((await send(signed(logoutRequest('ada@example.com'), otherKey))) as { refused: string }).refused,
        'bad_request_signature',
      );
      assert.equal(sessions.get(session.id)?.id, session.id);
    });

    it('a signed request naming another principal answers the SP but ends nothing', async () => {
      const { session, send } = setUp({ spSigningCertificates: [spKey.certificatePem] });
      for (const xml of [logoutRequest('grace@example.com'), logoutRequest('ada@example.com', '_other')]) {
        const outcome = await send(signed(xml, spKey));
        assert.equal(isRedirect(outcome) && outcome.clearSession, undefined);
        assert.ok(location(outcome).href.startsWith(`${SP}/slo?SAMLResponse=`));
      }
      assert.equal(sessions.get(session.id)?.id, session.id);
    });

    it("a signed request naming this session's principal for the SP ends it and answers the SP, RelayState byte for byte", async () => {
      const { session, send } = setUp({ spSigningCertificates: [spKey.certificatePem] });
      const outcome = await send(signed(logoutRequest('ada@example.com'), spKey, 'back to /home'));
      assert.equal(isRedirect(outcome) && outcome.clearSession, true);
      const to = location(outcome);
      assert.equal(`${to.origin}${to.pathname}`, `${SP}/slo`);
      assert.equal(to.searchParams.get('RelayState'), 'back to /home');
      assert.deepEqual(verifyRedirectSignature(to.search, [idpKey.certificatePem], 'SAMLResponse'), { signed: true });
      assert.equal(sessions.get(session.id), undefined);
      assert.deepEqual(loggedOut, [APP]);
    });

    it('for an application without an SLO address: a valid signed request still ends the session, and the person sees the signed-out page', async () => {
      const { session, send } = setUp({ spSigningCertificates: [spKey.certificatePem], singleLogoutUrl: null });
      const outcome = await send(signed(logoutRequest('ada@example.com'), spKey));
      assert.ok(isPage(outcome), JSON.stringify(outcome));
      assert.equal(outcome.page.status, 200);
      assert.equal(outcome.clearSession, true);
      // The organisation signed out of, above the heading.
      assert.match(outcome.page.html, /<header class="org"><span class="org-name">Acme Corp<\/span><\/header><h1>You are signed out<\/h1>/);
      assert.match(outcome.page.html, /<a href="\/\?organization=11111111-1111-4111-8111-111111111111">Sign in again<\/a>/);
      assert.equal(sessions.get(session.id), undefined);
    });

    it('for an application without an SLO address, one that cannot be verified is a page that offers the IdP sign-out', async () => {
      const { session, send } = setUp({ spSigningCertificates: [], singleLogoutUrl: null });
      const refused = await send(unsigned(logoutRequest('ada@example.com')));
      assert.equal('refused' in refused && refused.refused, 'slo_not_authenticated');
      assert.equal('refused' in refused && refused.action?.href, '/logout');
      assert.equal(sessions.get(session.id)?.id, session.id);
    });

    it("signs out of the session's other applications first, then answers the SP that asked", async () => {
      const { send, answer } = setUp({ spSigningCertificates: [spKey.certificatePem] }, true);
      const toCrm = location(await send(signed(logoutRequest('ada@example.com'), spKey, 'rs')));
      assert.equal(`${toCrm.origin}${toCrm.pathname}`, `${CRM_SP}/slo`);
      const toWiki = location(await answer(CRM, toCrm));
      assert.equal(`${toWiki.origin}${toWiki.pathname}`, `${SP}/slo`);
      assert.ok(toWiki.searchParams.has('SAMLResponse'));
      assert.equal(toWiki.searchParams.get('RelayState'), 'rs');
    });

    it("waits for the application's events and those of the session's applications, whose SLO addresses the walk reads", async () => {
      const { send } = setUp({ spSigningCertificates: [spKey.certificatePem] }, true);
      await send(signed(logoutRequest('ada@example.com'), spKey));
      // A browser signed in nowhere: the application alone.
      await send(signed(logoutRequest('ada@example.com'), spKey), sessions.create());
      assert.deepEqual(checked, [
        { applicationId: APP, otherApplications: [APP, CRM, CHAT] },
        { applicationId: APP, otherApplications: [] },
      ]);
    });
  });

  describe('signing out at the IdP (POST /logout)', () => {
    it('refuses a form without the session’s CSRF token, and the session lives on', async () => {
      const { session, signOut } = setUp({ spSigningCertificates: [] }, true);
      for (const csrf of [undefined, 'forged']) {
        const outcome = await signOut.signOut(session, csrf);
        assert.ok(isPage(outcome));
        assert.equal(outcome.page.status, 403);
        assert.match(outcome.page.html, /href="\/logout"/);
      }
      assert.equal(sessions.get(session.id)?.id, session.id);
    });

    it('ends the session at once, then sends a signed LogoutRequest to each application with an SLO address, skipping the others', async () => {
      const { session, signOut, answer } = setUp({ spSigningCertificates: [] }, true);
      const first = await signOut.signOut(session, session.csrfToken);
      assert.equal(sessions.get(session.id), undefined);
      assert.equal(isRedirect(first) && first.clearSession, true);
      assert.deepEqual(loggedOut.sort(), [APP, CHAT, CRM].sort());

      const toWiki = location(first);
      assert.equal(`${toWiki.origin}${toWiki.pathname}`, `${SP}/slo`);
      assert.deepEqual(verifyRedirectSignature(toWiki.search, [idpKey.certificatePem], 'SAMLRequest'), { signed: true });
      const xml = decodeRedirectSamlRequest(toWiki.searchParams.get('SAMLRequest') ?? '');
      assert.match(xml, new RegExp(`<saml:Issuer>${config.IDP_BASE_URL}/saml2/${APP}</saml:Issuer>`));
      assert.match(
        xml,
        new RegExp(`<saml:NameID Format="${EMAIL}">ada@example.com</saml:NameID><samlp:SessionIndex>_s1</samlp:SessionIndex>`),
      );
      assert.match(xml, new RegExp(`Destination="${SP}/slo"`));
      assert.match(toWiki.searchParams.get('RelayState') ?? '', /^[A-Za-z0-9_-]{43}$/);

      const toCrm = location(await answer(APP, toWiki));
      assert.equal(`${toCrm.origin}${toCrm.pathname}`, `${CRM_SP}/slo`);
      assert.equal(toCrm.searchParams.get('RelayState'), toWiki.searchParams.get('RelayState'));
      assert.match(
        decodeRedirectSamlRequest(toCrm.searchParams.get('SAMLRequest') ?? ''),
        /Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">p-ada</,
      );

      const done = await answer(CRM, toCrm);
      assert.ok(isPage(done), JSON.stringify(done));
      assert.equal(done.page.status, 200);
      assert.match(done.page.html, /<h1>You are signed out<\/h1><p>Also signed out of:<\/p><ul><li>Wiki<\/li><li>CRM<\/li><\/ul>/);
      assert.match(done.page.html, /cannot be signed out from here, so you may still be signed in there[^<]*<\/p><ul><li>Chat<\/li><\/ul>/);
      assert.match(done.page.html, /Sign in again/);
      // The walk is over: its token leads nowhere any more.
      const again = await answer(CRM, toCrm);
      assert.ok(isPage(again));
      assert.equal(again.page.status, 400);
      assert.match(again.page.html, /No sign-out in progress/);
    });

    it('goes on when an application does not confirm, and says so', async () => {
      const { session, signOut, answer } = setUp({ spSigningCertificates: [] }, true);
      const toWiki = location(await signOut.signOut(session, session.csrfToken));
      const toCrm = location(await answer(APP, toWiki, { inResponseTo: '_not_ours' }));
      const done = await answer(CRM, toCrm, { issuer: 'https://attacker.example.net' });
      assert.ok(isPage(done));
      assert.match(
        done.page.html,
        /did not confirm the sign-out; you may still be signed in there:<\/p><ul><li>Wiki<\/li><li>CRM<\/li><\/ul>/,
      );
    });

    it('a LogoutResponse for another application than the one whose turn it is changes nothing', async () => {
      const { session, signOut, answer } = setUp({ spSigningCertificates: [] }, true);
      const toWiki = location(await signOut.signOut(session, session.csrfToken));
      const wrong = await answer(CRM, toWiki);
      assert.ok(isPage(wrong));
      assert.equal(wrong.page.status, 400);
      assert.equal(`${location(await answer(APP, toWiki)).origin}`, CRM_SP);
    });

    it('the sign-out page lists what will end; without a session it says the browser is signed out', () => {
      const { session, signOut } = setUp({ spSigningCertificates: [] }, true);
      const page = signOut.page(session);
      assert.ok(isPage(page));
      assert.match(page.page.html, /ends your session here and in:<\/p><ul><li>Wiki<\/li><li>CRM<\/li><\/ul>/);
      assert.match(page.page.html, /<form method="post" action="\/logout"><input type="hidden" name="csrf" value="[^"]+">/);
      assert.match(page.page.csp, /form-action 'self'/);
      const none = signOut.page(undefined);
      assert.ok(isPage(none));
      assert.match(none.page.html, /You are signed out/);
    });
  });

  describe('"Not you? Use another account"', () => {
    it('ends the IdP session but not the applications’, and keeps the sign-in waiting for the form', () => {
      const { session, signOut } = setUp({ spSigningCertificates: [] }, true);
      const pending = { applicationId: APP, organizationId: ORG, requestId: '_r1', acsUrl: `${SP}/acs`, relayState: null };
      session.pending = pending;
      const outcome = signOut.useAnotherAccount(session, session.csrfToken);
      assert.ok(isRedirect(outcome));
      assert.equal(outcome.location, '/login');
      assert.equal(sessions.get(session.id), undefined);
      const fresh = sessions.get(outcome.session?.id);
      assert.equal(fresh?.user, undefined);
      assert.deepEqual(fresh?.pending, pending);
      assert.notEqual(fresh?.csrfToken, session.csrfToken);
      assert.deepEqual(loggedOut, []);
    });

    it('from the portal (no sign-in waiting): the login form signs the next person in to the same organisation’s portal', () => {
      const { session, signOut } = setUp({ spSigningCertificates: [] }, true);
      session.pending = undefined;
      const outcome = signOut.useAnotherAccount(session, session.csrfToken);
      assert.ok(isRedirect(outcome));
      assert.equal(outcome.location, '/login');
      const fresh = sessions.get(outcome.session?.id);
      assert.equal(fresh?.user, undefined);
      assert.deepEqual(fresh?.pending, { applicationId: null, organizationId: ORG, requestId: null, acsUrl: '', relayState: null });
    });

    it('refuses without the CSRF token, and the session lives on', () => {
      const { session, signOut } = setUp({ spSigningCertificates: [] });
      const outcome = signOut.useAnotherAccount(session, 'forged');
      assert.ok(isPage(outcome));
      assert.equal(outcome.page.status, 403);
      assert.equal(sessions.get(session.id)?.id, session.id);
    });
  });
});
