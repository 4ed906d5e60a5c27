import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { Browser, parseForm } from '@jit/testing';
import { System, signIn } from './harness';

/**
 * Signing out, as a person does it: at the IdP (its portal's Sign out button), which ends the IdP
 * session and, through demo-sp's SLO address, demo-sp's session too (node-saml, under
 * passport-saml, verifies the IdP's LogoutRequest); and at demo-sp, for an application without an
 * SLO address, which must not end on an IdP error page.
 */
describe('Signing out', () => {
  const system = new System('signout');
  const password = 'correct horse battery staple';
  let withSlo = '';
  let withoutSlo = '';
  let everyone = '';

  beforeAll(async () => {
    await system.start();
    const { groupId, appId } = await system.personWithDemoSpAccess(
      { username: 'ada', email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', password },
      'Everyone',
    );
    withoutSlo = appId;
    everyone = groupId;
    withSlo = (
      await system.admin<{ id: string }>(
        'POST',
        `${system.catalogUrl}/v1/applications`,
        {
          connectorId: 'demo-sp',
          name: 'Demo SP with SLO',
          spEntityId: `${system.demoSpUrl}/saml/metadata`,
          acsUrls: [`${system.demoSpUrl}/saml/acs`],
          singleLogoutUrl: `${system.demoSpUrl}/saml/slo`,
        },
        201,
      )
    ).id;
    await system.admin('POST', `${system.catalogUrl}/v1/applications/${withSlo}/user-groups`, { groupId }, 201);
  });

  afterAll(() => system.stop());

  /** Whether the IdP's portal shows this browser signed in (its Sign out button). */
  const idpSignedIn = async (browser: Browser) => {
    const portal = await browser.get(`${system.idpUrl}/`);
    assert.equal(portal.status, 200);
    return (await portal.text()).includes('action="/logout"');
  };
  const demoSpHome = async (browser: Browser) => (await browser.get(`${system.demoSpUrl}/`)).text();

  it('metadata has a SingleLogoutService only for the application with a singleLogoutUrl', async () => {
    const metadata = async (appId: string) => (await fetch(`${system.idpUrl}/saml2/${appId}/metadata`)).text();
    assert.match(
      await metadata(withSlo),
      new RegExp(`<md:SingleLogoutService Binding="[^"]+HTTP-Redirect" Location="${system.idpUrl}/saml2/${withSlo}/slo"/>`),
    );
    assert.doesNotMatch(await metadata(withoutSlo), /SingleLogoutService/);
  });

  it('signing out at the IdP ends the IdP session and demo-sp’s, then shows the signed-out page', async () => {
    const browser = new Browser();
    assert.equal((await signIn(system, browser, withSlo, 'ada', password)).outcome, 'signed-in');
    assert.match(await demoSpHome(browser), /Signed in as <strong>ada@example.com/);

    const portal = await (await browser.get(`${system.idpUrl}/`)).text();
    assert.match(portal, /<form method="post" action="\/logout">/);
    const form = parseForm(portal);
    const posted = await browser.postForm(`${system.idpUrl}/logout`, { csrf: form.fields.csrf ?? '' });
    assert.equal(posted.status, 302);
    const toSp = new URL(posted.headers.get('location') ?? '');
    assert.equal(`${toSp.origin}${toSp.pathname}`, `${system.demoSpUrl}/saml/slo`);
    assert.ok(toSp.searchParams.get('SAMLRequest') && toSp.searchParams.get('Signature'));

    // demo-sp verifies it (node-saml, the IdP's certificate from its metadata) and answers the IdP.
    const atSp = await browser.get(toSp.href);
    assert.equal(atSp.status, 302, await atSp.clone().text());
    const back = new URL(atSp.headers.get('location') ?? '');
    assert.equal(`${back.origin}${back.pathname}`, `${system.idpUrl}/saml2/${withSlo}/slo`);
    assert.equal(back.searchParams.get('RelayState'), toSp.searchParams.get('RelayState'));

    const done = await browser.get(back.href);
    assert.equal(done.status, 200);
    const page = await done.text();
    assert.match(page, /<h1>You are signed out<\/h1><p>Also signed out of:<\/p><ul><li>Demo SP with SLO<\/li><\/ul>/);
    assert.match(page, /<a href="\/\?organization=[0-9a-f-]{36}">Sign in again<\/a>/);

    assert.match(await demoSpHome(browser), /You are not signed in/);
    assert.equal(await idpSignedIn(browser), false);
    // The next sign-in asks for the password again.
    const start = await browser.get(`${system.demoSpUrl}/login?app=${withSlo}`);
    const atIdp = await browser.get(start.headers.get('location') ?? '');
    assert.equal(atIdp.headers.get('location'), '/login');
  });

  it('demo-sp refuses an unsigned IdP LogoutRequest, and its session lives on', async () => {
    const browser = new Browser();
    assert.equal((await signIn(system, browser, withSlo, 'ada', password)).outcome, 'signed-in');
    const xml =
      `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_forged" Version="2.0" IssueInstant="${new Date().toISOString()}">` +
      `<saml:Issuer>${system.idpUrl}/saml2/${withSlo}</saml:Issuer><saml:NameID>ada@example.com</saml:NameID></samlp:LogoutRequest>`;
    const forged = await browser.get(
      `${system.demoSpUrl}/saml/slo?SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}`,
    );
    assert.equal(forged.status, 401);
    assert.match(await forged.text(), /must be a signed HTTP-Redirect message/);
    assert.match(await demoSpHome(browser), /Signed in as <strong>ada@example.com/);
  });

  it('“Not you? Use another account” ends the IdP session, not demo-sp’s, and the same sign-in goes on as someone else', async () => {
    const grace = await system.admin<{ id: string }>(
      'POST',
      `${system.directoryUrl}/v1/users`,
      { username: 'grace', email: 'grace@example.com', firstname: 'Grace', lastname: 'Hopper', password },
      201,
    );
    await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${everyone}/members`, { userId: grace.id }, 201);
    const browser = new Browser();
    assert.equal((await signIn(system, browser, withoutSlo, 'ada', password)).outcome, 'signed-in');

    // An AuthnRequest with ForceAuthn: the IdP asks for the password although ada is signed in.
    const requestId = `_force${Date.now()}`;
    const sso = `${system.idpUrl}/saml2/${withoutSlo}/sso`;
    const authnRequest =
      `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${requestId}" Version="2.0" ` +
      `IssueInstant="${new Date().toISOString()}" Destination="${sso}" ForceAuthn="true" AssertionConsumerServiceURL="${system.demoSpUrl}/saml/acs">` +
      `<saml:Issuer>${system.demoSpUrl}/saml/metadata</saml:Issuer></samlp:AuthnRequest>`;
    const toLogin = await browser.get(
      `${sso}?SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(authnRequest)).toString('base64'))}`,
    );
    assert.equal(toLogin.headers.get('location'), '/login');
    const signedInForm = await (await browser.get(`${system.idpUrl}/login`)).text();
    assert.match(signedInForm, /<form method="post" action="\/login\/another-account">/);

    const another = await browser.postForm(`${system.idpUrl}/login/another-account`, { csrf: parseForm(signedInForm).fields.csrf ?? '' });
    assert.equal(another.status, 302);
    assert.equal(another.headers.get('location'), '/login');
    assert.equal(await idpSignedIn(browser), false);
    const form = await (await browser.get(`${system.idpUrl}/login`)).text();
    assert.doesNotMatch(form, /another-account/);

    const issued = await browser.postForm(`${system.idpUrl}/login`, {
      csrf: parseForm(form).fields.csrf ?? '',
      username: 'grace',
      password,
    });
    assert.equal(issued.status, 200);
    const response = Buffer.from(parseForm(await issued.text()).fields.SAMLResponse ?? '', 'base64').toString('utf8');
    assert.match(response, new RegExp(`InResponseTo="${requestId}"`));
    assert.match(response, /grace@example.com/);
    // demo-sp was not told: ada is still signed in there.
    assert.match(await demoSpHome(browser), /Signed in as <strong>ada@example.com/);
  });

  it('demo-sp’s Sign out for an application without an SLO address ends at demo-sp, and the IdP sign-out says demo-sp was not told', async () => {
    const browser = new Browser();
    assert.equal((await signIn(system, browser, withoutSlo, 'ada', password)).outcome, 'signed-in');
    const out = await browser.get(`${system.demoSpUrl}/logout`);
    assert.equal(out.status, 302);
    assert.equal(out.headers.get('location'), '/');
    assert.match(await demoSpHome(browser), /You are not signed in/);

    // The IdP session is still there (passport-saml had no SLO to ask for); signing out there
    // names the application it could not tell.
    assert.equal(await idpSignedIn(browser), true);
    const confirm = await browser.get(`${system.idpUrl}/logout`);
    const form = parseForm(await confirm.text());
    const done = await browser.postForm(`${system.idpUrl}/logout`, { csrf: form.fields.csrf ?? '' });
    assert.equal(done.status, 200);
    assert.match(await done.text(), /you may still be signed in there; sign out in each of them:<\/p><ul><li>Demo SP<\/li><\/ul>/);
    assert.equal(await idpSignedIn(browser), false);
  });
});
