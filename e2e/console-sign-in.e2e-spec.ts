import assert from 'node:assert/strict';
import { consoleApplicationId } from '@jit/idp-contracts';
import { Browser, parseForm } from '@jit/testing';
import { System } from './harness';

/**
 * The admin console, as an administrator reaches it: /auth/login sends the browser to the IdP
 * (the console's application of the default organisation), the IdP's login form, the SAML
 * Response posted to the console's ACS, then the console's API with the directory's admin
 * session behind it. A person without an admin role is told so, and signing out ends the token.
 */
describe('Signing in to the admin console', () => {
  const adminPassword = 'console e2e administrator password';
  const system = new System(
    'consolesignin',
    undefined,
    {},
    {
      directory: { BOOTSTRAP_ADMIN_USERNAME: 'admin', BOOTSTRAP_ADMIN_PASSWORD: adminPassword },
    },
  );
  let organizationId = '';

  beforeAll(async () => {
    await system.start();
    await system.startOne('console');
    organizationId = (
      await system.admin<{ organizationId: string }>(
        'POST',
        `${system.directoryUrl}/v1/users`,
        { username: 'grace', email: 'grace@example.com', firstname: 'Grace', lastname: 'Hopper', password: adminPassword },
        201,
      )
    ).organizationId;
  });

  afterAll(() => system.stop());

  /** Through the IdP's login form to the console's ACS; answers the ACS's response, or the IdP's refusal page. */
  async function signInToConsole(browser: Browser, username: string, password: string): Promise<Response | { refused: string }> {
    const start = await browser.get(`${system.consoleUrl}/auth/login`);
    assert.equal(start.status, 302, `console /auth/login answered ${start.status}: ${await start.text()}`);
    const location = start.headers.get('location') ?? '';
    assert.ok(location.startsWith(`${system.idpUrl}/saml2/${consoleApplicationId(organizationId)}/sso?SAMLRequest=`), location);
    const landed = await browser.follow(await browser.get(location), location);
    let response = landed.response;
    if (landed.url.endsWith('/login')) {
      const form = parseForm(await response.text());
      response = await browser.postForm(`${system.idpUrl}/login`, { csrf: form.fields.csrf ?? '', username, password });
    }
    const page = await response.text();
    if (!page.includes('name="SAMLResponse"')) return { refused: page };
    const post = parseForm(page);
    assert.equal(post.action, `${system.consoleUrl}/saml/acs`);
    return browser.postForm(post.action, post.fields);
  }

  it('signs an administrator in, forwards their calls with the admin session, and signs them out', async () => {
    const browser = new Browser();
    const acs = await signInToConsole(browser, 'admin', adminPassword);
    assert.ok(acs instanceof Response, `the IdP refused: ${'refused' in acs ? acs.refused.slice(0, 500) : ''}`);
    assert.equal(acs.status, 303, await acs.text());
    assert.equal(acs.headers.get('location'), '/');
    const cookie = acs.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    assert.match(cookie, /^console_session=/);

    const me = await fetch(`${system.consoleUrl}/api/me`, { headers: { cookie } });
    assert.equal(me.status, 200);
    const who = (await me.json()) as { user: { username: string }; organization: { id: string }; role: string; csrfToken: string };
    assert.equal(who.user.username, 'admin');
    assert.equal(who.organization.id, organizationId);
    assert.equal(who.role, 'administrator');

    const users = await fetch(`${system.consoleUrl}/api/directory/v1/users?limit=10`, { headers: { cookie } });
    assert.equal(users.status, 200, await users.clone().text());

    const out = await fetch(`${system.consoleUrl}/auth/logout`, { method: 'POST', headers: { cookie, 'x-csrf-token': who.csrfToken } });
    assert.equal(out.status, 200);
    // The console has no SAML signing key here, so it sends the person to the IdP's own sign-out
    // page (at the IdP's public address, from its metadata), which ends the IdP session too.
    assert.equal(((await out.json()) as { redirect: string }).redirect, `${system.idpUrl}/logout`);
    assert.equal((await fetch(`${system.consoleUrl}/api/me`, { headers: { cookie } })).status, 401);
  });

  it('does not let a person without an admin role in', async () => {
    const browser = new Browser();
    const outcome = await signInToConsole(browser, 'grace', adminPassword);
    // The IdP authorises only administrators; should a role be taken away between its decision and
    // the ACS, the directory refuses the session and the console says why.
    if (outcome instanceof Response) {
      assert.equal(outcome.status, 403);
      assert.match(await outcome.text(), /You are signed in as grace but hold no admin role/);
    }
    assert.equal((await browser.get(`${system.consoleUrl}/api/me`)).status, 401);
  });
});
