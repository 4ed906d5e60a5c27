import assert from 'node:assert/strict';
import { Pool } from 'pg';
import type { SAML } from '@node-saml/node-saml';
import { consoleApplicationId } from '@jit/idp-contracts';
import { Browser, parseForm } from '@jit/testing';
import { System } from './harness';
import { idpCertificate, nodeSaml } from './sp-libraries';

const CONSOLE_URL = 'https://console.example.com';
const UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';

type ConsoleSignIn = { kind: 'post'; acs: string; samlResponse: string; xml: string } | { kind: 'refused'; status: number; page: string };

/**
 * The admin console as the IdP knows it: a SAML SP of every organisation, built from CONSOLE_URL
 * (no catalog application), that only people holding an admin role may sign in to. node-saml (what
 * passport-saml runs, as the console does) plays the console and validates what the IdP sends.
 */
describe('The admin console as a SAML SP of every organisation', () => {
  const system = new System('console', undefined, {}, { idp: { CONSOLE_URL } });
  const password = 'correct horse battery staple';
  let organizationId = '';
  let consoleApp = '';
  let adaId = '';
  let certs: string[] = [];

  const person = async (username: string, firstname: string) =>
    system.admin<{ id: string; organizationId: string }>(
      'POST',
      `${system.directoryUrl}/v1/users`,
      { username, email: `${username}@example.com`, firstname, lastname: 'Example', password },
      201,
    );
  const setRole = (userId: string, role: string | null) =>
    system.admin('PUT', `${system.directoryUrl}/v1/users/${userId}/admin-role`, { role }, 200);

  beforeAll(async () => {
    await system.start();
    const ada = await person('ada', 'Ada');
    adaId = ada.id;
    organizationId = ada.organizationId;
    await person('bob', 'Bob');
    // Another administrator, so that Ada's role may be taken away (the last one's may not).
    await setRole((await person('carol', 'Carol')).id, 'administrator');
    await setRole(adaId, 'administrator');
    consoleApp = consoleApplicationId(organizationId);
    certs = await idpCertificate(system, consoleApp);
    assert.equal(certs.length, 1, "the console's IdP metadata names the organisation's signing certificate");
  });

  afterAll(() => system.stop());

  /** node-saml configured as the console is: its entity ID and ACS under CONSOLE_URL, NameID unspecified. */
  const consoleSp = (): SAML =>
    nodeSaml(system, consoleApp, certs, {
      issuer: `${CONSOLE_URL}/saml/metadata`,
      audience: `${CONSOLE_URL}/saml/metadata`,
      callbackUrl: `${CONSOLE_URL}/saml/acs`,
      identifierFormat: UNSPECIFIED,
    });

  /** The console's AuthnRequest over HTTP-Redirect; the login form when the browser has no IdP session. */
  const signInToConsole = async (browser: Browser, sp: SAML, username: string): Promise<ConsoleSignIn> => {
    let response = await browser.get(await sp.getAuthorizeUrlAsync('', undefined, {}));
    if (response.status === 302) {
      assert.equal(response.headers.get('location'), '/login');
      const form = parseForm(await (await browser.get(`${system.idpUrl}/login`)).text());
      response = await browser.postForm(`${system.idpUrl}/login`, { csrf: form.fields.csrf ?? '', username, password });
    }
    const page = await response.text();
    if (response.status !== 200 || !page.includes('name="SAMLResponse"')) return { kind: 'refused', status: response.status, page };
    const form = parseForm(page);
    const samlResponse = form.fields.SAMLResponse ?? '';
    return { kind: 'post', acs: form.action, samlResponse, xml: Buffer.from(samlResponse, 'base64').toString('utf8') };
  };

  it("publishes the console's IdP metadata with Single Logout, under the console's derived application id", async () => {
    const metadata = await (await fetch(`${system.idpUrl}/saml2/${consoleApp}/metadata`)).text();
    assert.match(metadata, new RegExp(`entityID="${system.idpUrl}/saml2/${consoleApp}"`));
    assert.match(metadata, new RegExp(`SingleLogoutService [^>]*Location="${system.idpUrl}/saml2/${consoleApp}/slo"`));
    assert.match(metadata, new RegExp(`<md:NameIDFormat>${UNSPECIFIED}</md:NameIDFormat>`));
  });

  it('signs an administrator in: node-saml validates the signed response and assertion, NameID the user id, the console attributes', async () => {
    const sp = consoleSp();
    const result = await signInToConsole(new Browser(), sp, 'ada');
    assert.equal(result.kind, 'post', result.kind === 'refused' ? result.page : '');
    if (result.kind !== 'post') return;
    assert.equal(result.acs, `${CONSOLE_URL}/saml/acs`);
    assert.equal(result.xml.match(/<ds:Signature[ >]/g)?.length, 2, 'the Response and the Assertion are each signed');

    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: result.samlResponse });
    assert.equal(profile?.nameID, adaId);
    assert.equal(profile?.nameIDFormat, UNSPECIFIED);
    assert.equal(profile?.userId, adaId);
    assert.equal(profile?.username, 'ada');
    assert.equal(profile?.email, 'ada@example.com');
    assert.equal(profile?.firstname, 'Ada');
    assert.equal(profile?.lastname, 'Example');
    assert.equal(profile?.organizationId, organizationId);
    assert.equal(profile?.adminRole, 'administrator');
  });

  it('refuses a person without an admin role (app_not_authorized), telling them so', async () => {
    const result = await signInToConsole(new Browser(), consoleSp(), 'bob');
    assert.equal(result.kind, 'refused');
    if (result.kind !== 'refused') return;
    assert.equal(result.status, 403);
    assert.match(result.page, /not authorised to use Admin console: you hold no admin role in this organisation/);
  });

  it('shows the Admin console tile on the portal to admins only, opening the console', async () => {
    const portal = async (username: string) => {
      const browser = new Browser();
      assert.equal((await browser.get(`${system.idpUrl}/?organization=${organizationId}`)).status, 302);
      const form = parseForm(await (await browser.get(`${system.idpUrl}/login`)).text());
      await browser.postForm(`${system.idpUrl}/login`, { csrf: form.fields.csrf ?? '', username, password });
      return (await browser.get(`${system.idpUrl}/`)).text();
    };
    assert.match(await portal('ada'), new RegExp(`<a href="${CONSOLE_URL}/">Admin console</a>`));
    assert.doesNotMatch(await portal('bob'), /Admin console/);
  });

  it('refuses the very next sign-in once the role is removed, and signs in again with a role given back', async () => {
    const browser = new Browser();
    assert.equal((await signInToConsole(browser, consoleSp(), 'ada')).kind, 'post');

    await setRole(adaId, null);
    // Same browser, same IdP session, no waiting: the freshness gate covers role changes too.
    const refused = await signInToConsole(browser, consoleSp(), 'ada');
    assert.equal(refused.kind, 'refused');
    assert.match(refused.kind === 'refused' ? refused.page : '', /you hold no admin role/);

    await setRole(adaId, 'read-only');
    const sp = consoleSp();
    const again = await signInToConsole(browser, sp, 'ada');
    assert.equal(again.kind, 'post');
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: again.kind === 'post' ? again.samlResponse : '' });
    assert.equal(profile?.adminRole, 'read-only');
  });

  it("reads the roles once from the directory's snapshot after an upgrade (its consumer acked the role events before it kept them)", async () => {
    await system.stopOne('idp');
    // As an IdP from before the console left its read model: no roles, no backfill done. The
    // durable consumer has acked every role event, so only the snapshot can tell.
    const pool = new Pool({ connectionString: system.env.databaseUrl, max: 1 });
    try {
      await pool.query('DELETE FROM "idp"."rm_admin_roles"');
      await pool.query('DELETE FROM "idp"."rm_backfills"');
    } finally {
      await pool.end();
    }
    await system.startOne('idp');
    const sp = consoleSp();
    // The backfill runs as the IdP starts; until it is done a console sign-in answers 503, not a refusal.
    let result = await signInToConsole(new Browser(), sp, 'ada');
    for (let tries = 0; result.kind === 'refused' && result.status === 503 && tries < 50; tries += 1) {
      await new Promise((retry) => setTimeout(retry, 100));
      result = await signInToConsole(new Browser(), sp, 'ada');
    }
    assert.equal(result.kind, 'post', result.kind === 'refused' ? `${result.status} ${result.page}` : '');
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: result.kind === 'post' ? result.samlResponse : '' });
    assert.equal(profile?.adminRole, 'read-only');
  });
});
