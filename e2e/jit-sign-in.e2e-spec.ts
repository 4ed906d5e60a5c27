import assert from 'node:assert/strict';
import { Browser, metricValue } from '@jit/testing';
import { System, signIn } from './harness';

interface Account {
  nameId: string;
  email: string | null;
  firstname: string | null;
  lastname: string | null;
  attributes: Record<string, unknown>;
}

describe('JIT sign-in through the IdP into demo-sp', () => {
  const system = new System('e2e');
  let appId = '';
  let groupId = '';
  let userId = '';
  const password = 'correct horse battery staple';

  beforeAll(async () => {
    await system.start();
    const user = await system.admin<{ id: string }>(
      'POST',
      `${system.directoryUrl}/v1/users`,
      {
        username: 'ada',
        email: 'ada@example.com',
        firstname: 'Ada',
        lastname: 'Lovelace',
        department: 'Analytical Engines',
        password,
      },
      201,
    );
    userId = user.id;
    groupId = (await system.admin<{ id: string }>('POST', `${system.directoryUrl}/v1/user-groups`, { name: 'Engineering' }, 201)).id;
    await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${groupId}/members`, { userId }, 201);
    const app = await system.admin<{ id: string; supportedFunctionality: string[] }>(
      'POST',
      `${system.catalogUrl}/v1/applications`,
      {
        connectorId: 'demo-sp',
        name: 'Demo SP',
        spEntityId: `${system.demoSpUrl}/saml/metadata`,
        acsUrls: [`${system.demoSpUrl}/saml/acs`],
        attributes: [{ spName: 'department', enabled: true }],
      },
      201,
    );
    assert.deepEqual(app.supportedFunctionality, ['SSO', 'JIT Provisioning']);
    appId = app.id;
    await system.admin('POST', `${system.catalogUrl}/v1/applications/${appId}/user-groups`, { groupId }, 201);
  });

  afterAll(async () => {
    await system.stop();
  });

  const accounts = async () => (await (await fetch(`${system.demoSpUrl}/accounts`)).json()) as { items: Account[]; total: number };

  it('creates the account in demo-sp at first sign-in from the assertion attributes', async () => {
    assert.equal((await accounts()).total, 0);
    const result = await signIn(system, new Browser(), appId, 'ada', password);
    assert.equal(result.outcome, 'signed-in', result.outcome === 'refused' ? result.page : '');
    const { items, total } = await accounts();
    assert.equal(total, 1);
    const account = items[0];
    assert.equal(account.nameId, 'ada@example.com');
    assert.equal(account.email, 'ada@example.com');
    assert.equal(account.firstname, 'Ada');
    assert.equal(account.lastname, 'Lovelace');
    assert.equal(account.attributes.department, 'Analytical Engines');
    assert.match(result.outcome === 'signed-in' ? result.page : '', /Lovelace/);
  });

  it('refuses the very next sign-in after the user leaves the group, and allows it again after re-adding', async () => {
    const browser = new Browser();
    assert.equal((await signIn(system, browser, appId, 'ada', password)).outcome, 'signed-in');

    await system.admin('DELETE', `${system.directoryUrl}/v1/user-groups/${groupId}/members/${userId}`, undefined, 204);
    // Same browser, same IdP session: the IdP must re-check authorisation, with no waiting.
    const refused = await signIn(system, browser, appId, 'ada', password);
    assert.equal(refused.outcome, 'refused');
    assert.equal(refused.outcome === 'refused' && refused.status, 403);
    assert.match(refused.outcome === 'refused' ? refused.page : '', /not authorised to use Demo SP/);

    await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${groupId}/members`, { userId }, 201);
    assert.equal((await signIn(system, browser, appId, 'ada', password)).outcome, 'signed-in');
    assert.equal((await accounts()).total, 1, 'later sign-ins find the account JIT created');
  });

  it('catches up from its durable consumer after a restart before it answers SSO', async () => {
    await system.stopOne('idp');
    await system.admin('DELETE', `${system.directoryUrl}/v1/user-groups/${groupId}/members/${userId}`, undefined, 204);
    await system.startOne('idp');
    const refused = await signIn(system, new Browser(), appId, 'ada', password);
    assert.equal(refused.outcome, 'refused');
    assert.match(refused.outcome === 'refused' ? refused.page : '', /not authorised/);

    await system.stopOne('idp');
    await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${groupId}/members`, { userId }, 201);
    await system.startOne('idp');
    assert.equal((await signIn(system, new Browser(), appId, 'ada', password)).outcome, 'signed-in');
  });

  it('refuses a wrong password with the same page as an unknown user', async () => {
    const wrong = await signIn(system, new Browser(), appId, 'ada', 'not the password');
    const unknown = await signIn(system, new Browser(), appId, 'nobody', 'not the password');
    assert.equal(wrong.outcome, 'refused');
    assert.equal(unknown.outcome, 'refused');
    // Per-page values: the nonce, the CSRF token and the passkey challenge (data-options).
    const strip = (page: string) =>
      page
        .replace(/nonce[-=]"?[A-Za-z0-9+/=]+/g, '')
        .replace(/value="[^"]*"/g, '')
        .replace(/data-options="[^"]*"/g, '');
    assert.equal(wrong.outcome === 'refused' && wrong.status, 401);
    assert.equal(
      strip(wrong.outcome === 'refused' ? wrong.page : '').replace('ada', ''),
      strip(unknown.outcome === 'refused' ? unknown.page : '').replace('nobody', ''),
    );
  });

  it('every service serves /metrics; the IdP counts the assertions it issues and its refusals by reason', async () => {
    const scrape = async (url: string) => {
      const res = await fetch(`${url}/metrics`);
      assert.equal(res.status, 200, url);
      return res.text();
    };
    // Each was polled on /ready until it answered 200 when the test started it.
    for (const url of [system.directoryUrl, system.catalogUrl, system.demoSpUrl]) {
      assert.ok(
        (metricValue(await scrape(url), 'jit_http_requests_total', { method: 'GET', route: '/ready', status: '200' }) ?? 0) >= 1,
        url,
      );
    }
    const catalog = await scrape(system.catalogUrl);
    assert.equal(metricValue(catalog, 'jit_consumer_lag_messages', { stream: 'DIRECTORY' }), 0);
    const counts = (text: string) => ({
      issued: metricValue(text, 'jit_idp_assertions_issued_total', { initiated_by: 'sp' }),
      refused: metricValue(text, 'jit_idp_sso_refusals_total', { reason: 'app_not_authorized' }),
    });
    const before = counts(await scrape(system.idpUrl));

    const browser = new Browser();
    assert.equal((await signIn(system, browser, appId, 'ada', password)).outcome, 'signed-in');
    await system.admin('DELETE', `${system.directoryUrl}/v1/user-groups/${groupId}/members/${userId}`, undefined, 204);
    assert.equal((await signIn(system, browser, appId, 'ada', password)).outcome, 'refused');
    await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${groupId}/members`, { userId }, 201);

    const idp = await scrape(system.idpUrl);
    const now = counts(idp);
    assert.equal(now.issued, (before.issued ?? 0) + 1);
    assert.equal(now.refused, (before.refused ?? 0) + 1);
    assert.ok(
      (metricValue(idp, 'jit_http_requests_total', { method: 'GET', route: '/saml2/:appId/sso' }) ?? 0) >= 2,
      'the SSO route counts by its pattern',
    );
    for (const stream of ['DIRECTORY', 'CATALOG']) {
      assert.equal(typeof metricValue(idp, 'jit_stream_last_sequence', { stream }), 'number', stream);
    }
    assert.equal(metricValue(idp, 'jit_outbox_unpublished_messages'), 0);
  });
});
