import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { SamlStatusError, ValidateInResponseTo, type SAML, type SamlConfig } from '@node-saml/node-saml';
import { Secret, TOTP } from 'otpauth';
import { Browser, eventually, parseForm, readStream } from '@jit/testing';
import { System } from './harness';
import {
  CatalogPublisher,
  SP,
  answer,
  assertSchemaValid,
  idpCertificate,
  nodeSaml,
  samlifySp,
  xmlsecVerify,
  type IdpAnswer,
} from './sp-libraries';

const UNSPECIFIED = 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified';
const PASSWORD = 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password';
const PPT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const REFEDS_MFA = 'https://refeds.org/profile/mfa';
const MULTIPLE_AUTHN = 'http://schemas.microsoft.com/claims/multipleauthn';

/**
 * RequestedAuthnContext end to end: node-saml (what passport-saml runs) asks for each class with
 * each comparison; the IdP asks for a second factor when only that meets the request, answers
 * with a class the request accepts and that is true, and answers what it cannot meet with a
 * signed NoAuthnContext status at the registered ACS. node-saml and samlify accept every
 * assertion, xmlsec1 verifies every signature with the published certificate, and xmllint finds
 * every Response valid against the SAML 2.0 schemas.
 */
describe('RequestedAuthnContext: exact, minimum, maximum, better, and NoAuthnContext', () => {
  const system = new System('authnctx');
  const password = 'correct horse battery staple';
  let appId = '';
  let certs: string[] = [];
  let publisher: CatalogPublisher;
  let secret = '';
  /** Ada's session once she has given a password and a second factor. */
  let mfaBrowser: Browser;

  const code = (steps = 0) =>
    new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
      timestamp: Date.now() + steps * 30_000,
    });

  beforeAll(async () => {
    await system.start();
    const userId = (
      await system.admin<{ id: string }>(
        'POST',
        `${system.directoryUrl}/v1/users`,
        { username: 'ada', email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', password },
        201,
      )
    ).id;
    const group = await system.admin<{ id: string }>('POST', `${system.directoryUrl}/v1/user-groups`, { name: 'Engineers' }, 201);
    await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${group.id}/members`, { userId }, 201);
    appId = (
      await system.admin<{ id: string }>(
        'POST',
        `${system.catalogUrl}/v1/applications`,
        { connectorId: 'saml2', name: 'Context SP', spEntityId: SP.entityId, acsUrls: [SP.acsUrl] },
        201,
      )
    ).id;
    await system.admin('POST', `${system.catalogUrl}/v1/applications/${appId}/user-groups`, { groupId: group.id }, 201);
    const catalogEvents = await readStream(system.env.natsUrl, `${system.env.natsPrefix}_CATALOG`);
    publisher = await CatalogPublisher.connect(system, String(catalogEvents[0]?.payload.organizationId));
    await configure();
    certs = await idpCertificate(system, appId);
  });

  afterAll(async () => {
    await publisher?.close();
    await system.stop();
  });

  /** The application as the catalog publishes it, both the Response and the Assertion signed. */
  const configure = (over: { mfaAuthnContext?: 'refeds-mfa' | 'microsoft-multipleauthn' } = {}) =>
    publisher.configure(appId, {
      name: 'Context SP',
      connectorId: 'saml2',
      spEntityId: SP.entityId,
      acsUrls: [SP.acsUrl],
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      nameIdSource: 'email',
      signAssertion: true,
      signResponse: true,
      active: true,
      attributes: [{ spName: 'email', source: 'email', constant: null, enabled: true, required: true }],
      ...over,
    });

  /** node-saml asking for `authnContext` with `racComparison` (node-saml's default: exact PasswordProtectedTransport). */
  const sp = (request: Pick<Partial<SamlConfig>, 'authnContext' | 'racComparison' | 'passive'> = {}) =>
    nodeSaml(system, appId, certs, request);
  const start = async (browser: Browser, saml: SAML) => answer(await browser.get(await saml.getAuthorizeUrlAsync('', undefined, {})));
  const signIn = async (browser: Browser, saml: SAML) => {
    const first = await start(browser, saml);
    assert.deepEqual(first, { kind: 'login', location: '/login' });
    const form = parseForm(await (await browser.get(`${system.idpUrl}/login`)).text());
    return browser.postForm(`${system.idpUrl}/login`, { csrf: form.fields.csrf ?? '', username: 'ada', password });
  };
  const secondStep = async (browser: Browser) => {
    const html = await (await browser.get(`${system.idpUrl}/login/mfa`)).text();
    return { html, csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '' };
  };

  /**
   * The posted Response, accepted by node-saml (the SP that asked) and by samlify, its signatures
   * verified by xmlsec1, schema-valid: answers its AuthnContextClassRef.
   */
  const accepted = async (saml: SAML, result: IdpAnswer): Promise<string | undefined> => {
    assert.equal(result.kind, 'post', JSON.stringify(result).slice(0, 600));
    if (result.kind !== 'post') throw new Error('no SAMLResponse');
    assert.equal(result.acs, SP.acsUrl);
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: result.samlResponse });
    assert.equal(profile?.nameID, 'ada@example.com');
    const s = await samlifySp(system, appId, { wantAssertionsSigned: true, wantMessageSigned: true });
    const { extract } = await s.sp.parseLoginResponse(s.idp, 'post', { body: { SAMLResponse: result.samlResponse } });
    assert.equal(extract.nameID, 'ada@example.com');
    for (const signed of ['Response', 'Assertion'] as const) {
      const v = xmlsecVerify(result.xml, certs[0], signed);
      assert.equal(v.ok, true, v.output);
    }
    assertSchemaValid(result.xml);
    const refs = [...result.xml.matchAll(/<saml:AuthnContextClassRef>([^<]+)</g)].map((m) => m[1]);
    assert.equal(refs.length, 1);
    return refs[0];
  };

  /** A signed NoAuthnContext (or another Requester status) at the ACS, in response to the request, that both SPs refuse. */
  const refusedWithStatus = async (saml: SAML, result: IdpAnswer, subStatus: string | null) => {
    assert.equal(result.kind, 'post', JSON.stringify(result).slice(0, 600));
    if (result.kind !== 'post') throw new Error('no SAMLResponse');
    assert.equal(result.acs, SP.acsUrl);
    assert.match(result.xml, /<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester"/);
    const codes = [...result.xml.matchAll(/<samlp:StatusCode Value="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(codes, ['urn:oasis:names:tc:SAML:2.0:status:Requester', ...(subStatus ? [subStatus] : [])]);
    assert.match(result.xml, /InResponseTo="[^"]+"/);
    assert.equal(result.xml.includes('Assertion'), false);
    const v = xmlsecVerify(result.xml, certs[0], 'Response');
    assert.equal(v.ok, true, v.output);
    assertSchemaValid(result.xml);
    await assert.rejects(saml.validatePostResponseAsync({ SAMLResponse: result.samlResponse }), (e: Error) => e instanceof SamlStatusError);
    const s = await samlifySp(system, appId, { wantAssertionsSigned: true, wantMessageSigned: true });
    await assert.rejects(
      s.sp.parseLoginResponse(s.idp, 'post', { body: { SAMLResponse: result.samlResponse } }),
      new RegExp(
        `ERR_FAILED_STATUS with top tier code: urn:oasis:names:tc:SAML:2.0:status:Requester, second tier code: ${subStatus ?? 'undefined'}$`,
      ),
    );
    return /<samlp:StatusMessage>([^<]*)</.exec(result.xml)?.[1];
  };

  it('a password alone meets each class it can truthfully be said with: exact PasswordProtectedTransport (node-saml’s default), Password, unspecified, minimum and maximum; IsPassive cannot step up', async () => {
    const browser = new Browser();
    const byDefault = sp();
    assert.equal(await accepted(byDefault, await answer(await signIn(browser, byDefault))), PPT);
    const cases: [Partial<SamlConfig>, string][] = [
      [{ authnContext: [PASSWORD] }, PASSWORD],
      [{ authnContext: [UNSPECIFIED] }, UNSPECIFIED],
      [{ authnContext: ['urn:oasis:names:tc:SAML:2.0:ac:classes:Kerberos', PPT] }, PPT],
      [{ authnContext: [PASSWORD], racComparison: 'minimum' }, PPT],
      [{ authnContext: [REFEDS_MFA], racComparison: 'maximum' }, PPT],
      [{ authnContext: [PASSWORD], racComparison: 'maximum' }, PASSWORD],
      [{ authnContext: [PASSWORD], racComparison: 'better' }, PPT],
    ];
    for (const [request, expected] of cases) {
      const saml = sp(request);
      assert.equal(await accepted(saml, await start(browser, saml)), expected, JSON.stringify(request));
    }
    // IsPassive: the second factor that would be needed cannot be asked.
    const passive = sp({ authnContext: [REFEDS_MFA], racComparison: 'minimum', passive: true });
    const result = await start(browser, passive);
    assert.equal(result.kind, 'post');
    if (result.kind !== 'post') return;
    assert.match(result.xml, /<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:NoPassive"/);
    assert.equal(xmlsecVerify(result.xml, certs[0], 'Response').ok, true);
    assertSchemaValid(result.xml);
    assert.equal((await passive.validatePostResponseAsync({ SAMLResponse: result.samlResponse })).profile, null);
  });

  it('a multi-factor class asks for a second factor at sign-in and steps a password-only session up (enrolling the person, who had no factor), then every multi-factor request is met at once', async () => {
    // At the sign-in form: the password alone does not meet the request, so a second step follows (enrolment: no factor yet).
    const atLogin = new Browser();
    const asked = await signIn(atLogin, sp({ authnContext: [MULTIPLE_AUTHN] }));
    assert.equal(asked.headers.get('location'), '/login/mfa');
    assert.match((await secondStep(atLogin)).html, /Set up an authenticator app/);

    // Over a session signed in with a password alone: a step up.
    const browser = (mfaBrowser = new Browser());
    const first = sp();
    assert.equal(await accepted(first, await answer(await signIn(browser, first))), PPT, 'no policy asks for MFA');

    const minimumMfa = sp({ authnContext: [REFEDS_MFA], racComparison: 'minimum' });
    assert.deepEqual(await start(browser, minimumMfa), { kind: 'login', location: '/login/mfa' });
    const enrol = await secondStep(browser);
    assert.match(enrol.html, /Set up an authenticator app/);
    secret = (/<p class="secret" id="secret">([A-Z2-7 ]+)<\/p>/.exec(enrol.html)?.[1] ?? '').replace(/ /g, '');
    const confirmed = await browser.postForm(`${system.idpUrl}/login/mfa`, { csrf: enrol.csrf, code: code() });
    assert.equal(confirmed.status, 200);
    const issued = await browser.postForm(`${system.idpUrl}/login/continue`, parseForm(await confirmed.text()).fields);
    assert.equal(await accepted(minimumMfa, await answer(issued)), REFEDS_MFA);

    const cases: [Partial<SamlConfig>, string][] = [
      [{ authnContext: [MULTIPLE_AUTHN] }, MULTIPLE_AUTHN],
      [{ authnContext: [REFEDS_MFA] }, REFEDS_MFA],
      [{ authnContext: [PPT], racComparison: 'better' }, REFEDS_MFA],
      [{ authnContext: [PPT], racComparison: 'minimum' }, REFEDS_MFA],
      [{ authnContext: [MULTIPLE_AUTHN], racComparison: 'minimum' }, MULTIPLE_AUTHN],
      [{ authnContext: [REFEDS_MFA], racComparison: 'maximum' }, REFEDS_MFA],
      [{ authnContext: [PPT], racComparison: 'maximum' }, PPT],
      // node-saml's default after a second factor: met, and said as asked.
      [{}, PPT],
    ];
    for (const [request, expected] of cases) {
      const saml = sp(request);
      assert.equal(await accepted(saml, await start(browser, saml)), expected, JSON.stringify(request));
    }
    // The application's multi-factor class where the request leaves the choice to the IdP.
    await configure({ mfaAuthnContext: 'microsoft-multipleauthn' });
    const either = sp({ authnContext: [PPT], racComparison: 'minimum' });
    assert.equal(await accepted(either, await start(browser, either)), MULTIPLE_AUTHN);
    await configure();

    await eventually(async () => {
      const events = await readStream(system.env.natsUrl, `${system.env.natsPrefix}_IDP`);
      const classes = events.filter((e) => e.subject.endsWith('idp.sso.issued.v1')).map((e) => e.payload.authnContextClassRef);
      assert.ok(
        classes.includes(REFEDS_MFA) && classes.includes(MULTIPLE_AUTHN) && classes.includes(UNSPECIFIED),
        'the audit event names the class',
      );
    });
  });

  it('with the organisation requiring MFA, node-saml’s default request still signs in (code asked, PasswordProtectedTransport said), and samlify’s request without one gets the MFA class', async () => {
    await system.admin('PUT', `${system.idpUrl}/v1/mfa-policy`, { policy: 'required' }, 200);
    try {
      const browser = new Browser();
      const byDefault = sp();
      const posted = await signIn(browser, byDefault);
      assert.equal(posted.headers.get('location'), '/login/mfa');
      const step = await secondStep(browser);
      assert.match(step.html, /Enter your code/);
      const issued = await browser.postForm(`${system.idpUrl}/login/mfa`, { csrf: step.csrf, code: code(1) });
      assert.equal(await accepted(byDefault, await answer(issued)), PPT);

      const s = await samlifySp(system, appId, { wantAssertionsSigned: true, wantMessageSigned: true });
      const { context } = s.sp.createLoginRequest(s.idp, 'redirect') as { context: string };
      const result = await answer(await browser.get(context));
      assert.equal(result.kind, 'post');
      if (result.kind !== 'post') return;
      assert.equal(/<saml:AuthnContextClassRef>([^<]+)</.exec(result.xml)?.[1], REFEDS_MFA);
      const { extract } = await s.sp.parseLoginResponse(s.idp, 'post', { body: { SAMLResponse: result.samlResponse } });
      assert.equal(extract.nameID, 'ada@example.com');
      assert.equal(xmlsecVerify(result.xml, certs[0], 'Response').ok, true);
      assertSchemaValid(result.xml);
    } finally {
      await system.admin('PUT', `${system.idpUrl}/v1/mfa-policy`, { policy: 'off' }, 200);
    }
  });

  it('what nothing here meets is answered NoAuthnContext, signed, to the verified ACS, before any sign-in, and audited', async () => {
    const unmet: Partial<SamlConfig>[] = [
      { authnContext: [REFEDS_MFA], racComparison: 'better' },
      { authnContext: [MULTIPLE_AUTHN, REFEDS_MFA], racComparison: 'better' },
      { authnContext: ['urn:oasis:names:tc:SAML:2.0:ac:classes:Kerberos'] },
      { authnContext: ['urn:oasis:names:tc:SAML:2.0:ac:classes:InternetProtocol'], racComparison: 'maximum' },
      { authnContext: ['urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard'], racComparison: 'minimum' },
    ];
    for (const request of unmet) {
      for (const browser of [new Browser(), mfaBrowser]) {
        const saml = sp(request);
        const message = await refusedWithStatus(saml, await start(browser, saml), 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext');
        assert.match(message ?? '', /^Context SP asked for a way of signing in this identity provider does not offer: /);
      }
    }
    await eventually(async () => {
      const events = await readStream(system.env.natsUrl, `${system.env.natsPrefix}_IDP`);
      const refused = events.filter((e) => e.subject.endsWith('idp.sso.refused.v1') && e.payload.reason === 'no_authn_context');
      assert.equal(refused.length, unmet.length * 2);
      assert.match(
        String(refused[0].payload.detail),
        /no class this identity provider supports is stronger than https:\/\/refeds\.org\/profile\/mfa/,
      );
    });
  });

  it('a RequestedAuthnContext that cannot be read is answered Requester at the verified ACS, and with a 400 page where the ACS is not registered', async () => {
    // node-saml only sends the four comparisons: this request is written by hand.
    const request = (acs: string) => {
      const id = `_${randomBytes(20).toString('hex')}`;
      const xml =
        `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
        `ID="${id}" Version="2.0" IssueInstant="${new Date().toISOString()}" AssertionConsumerServiceURL="${acs}">` +
        `<saml:Issuer>${SP.entityId}</saml:Issuer>` +
        `<samlp:RequestedAuthnContext Comparison="atLeast"><saml:AuthnContextClassRef>${PPT}</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>` +
        `</samlp:AuthnRequest>`;
      const encoded = encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'));
      return { id, url: `${system.idpUrl}/saml2/${appId}/sso?SAMLRequest=${encoded}` };
    };
    const atAcs = request(SP.acsUrl);
    const result = await answer(await new Browser().get(atAcs.url));
    const message = await refusedWithStatus(
      nodeSaml(system, appId, certs, { validateInResponseTo: ValidateInResponseTo.never }),
      result,
      null,
    );
    assert.match(result.kind === 'post' ? result.xml : '', new RegExp(`InResponseTo="${atAcs.id}"`));
    assert.equal(
      message,
      'The application sent a SAML request we cannot accept: RequestedAuthnContext: Comparison must be one of exact, minimum, maximum, better',
    );
    const page = await answer(await new Browser().get(request('https://attacker.example.net/acs').url));
    assert.equal(page.kind, 'page');
    assert.equal(page.kind === 'page' && page.status, 400);
    assert.match(page.kind === 'page' ? page.html : '', /not registered for Context SP/);
  });
});
