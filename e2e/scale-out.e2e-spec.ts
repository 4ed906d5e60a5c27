import assert from 'node:assert/strict';
import { Browser, eventually, parseForm, type ServiceProcess } from '@jit/testing';
import { BOOTSTRAP_KEY, System, signIn, type SignInResult } from './harness';

/**
 * Asks again while the answer is 503: a bounded freshness wait that ran out on a loaded machine
 * is a late answer, never a stale one. Any other answer is final, so a stale decision still fails.
 */
async function decided<T>(ask: () => Promise<T>, status: (answer: T) => number): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await ask();
    if (status(answer) !== 503 || Date.now() > deadline) return answer;
    await new Promise((again) => setTimeout(again, 100));
  }
}

/**
 * Two instances of the directory, the catalog and the IdP on one PostgreSQL and one NATS prefix,
 * each on its own port (a load balancer's view of them: any request may reach either). Every
 * process consumes through a consumer of its own (docs/decisions/0008), so each IdP applies every
 * event and decides from what it applied itself: the next sign-in after an admin call's 2xx
 * follows it on both, whichever directory instance took the call.
 */
describe('two instances of every service on one database and one NATS', () => {
  let system: System;
  const second: Record<'directory' | 'catalog' | 'idp', ServiceProcess | undefined> = {
    directory: undefined,
    catalog: undefined,
    idp: undefined,
  };
  let appId = '';
  let groupId = '';
  let userId = '';
  const password = 'correct horse battery staple';

  const idps = () => [
    { name: 'IdP A', url: system.idpUrl },
    { name: 'IdP B', url: second.idp?.url ?? '' },
  ];
  const directories = () => [system.directoryUrl, second.directory?.url ?? ''];
  const catalogs = () => [system.catalogUrl, second.catalog?.url ?? ''];
  const signInOn = (idpUrl: string, browser?: Browser): Promise<SignInResult> =>
    decided(
      () => signIn(system, browser ?? new Browser(), appId, 'ada', password, idpUrl),
      (r) => (r.outcome === 'refused' ? r.status : 200),
    );
  /** GET with the admin key, asked again while it answers 503; asserts 200. */
  const read = async <T>(url: string): Promise<T> => {
    const response = await decided(
      () => fetch(url, { headers: { 'x-api-key': BOOTSTRAP_KEY } }),
      (r) => r.status,
    );
    const text = await response.text();
    assert.equal(response.status, 200, `${url}: ${text}`);
    return JSON.parse(text) as T;
  };

  beforeAll(async () => {
    // Waits up to 2 s for the read model (50 ms by default): this machine may be slow, the test must not depend on it.
    system = new System('scale-out', undefined, { IDP_FRESHNESS_WAIT_MS: '2000' });
    await system.start();
    second.directory = await system.startAnotherInstance('directory');
    second.catalog = await system.startAnotherInstance('catalog');
    second.idp = await system.startAnotherInstance('idp');
    ({ userId, groupId, appId } = await system.personWithDemoSpAccess(
      { username: 'ada', email: 'ada@example.com', firstname: 'Ada', lastname: 'Byron', password },
      'Engineers',
    ));
  });

  afterAll(async () => {
    await system.stop();
  });

  it('answers /ready 200 on each instance, each with its own consumers caught up', async () => {
    for (const url of [...directories(), ...catalogs(), ...idps().map((i) => i.url)]) {
      await eventually(
        async () => {
          const ready = await fetch(`${url}/ready`);
          assert.equal(ready.status, 200, `${url}: ${await ready.text()}`);
        },
        { timeoutMs: 20_000, intervalMs: 250 },
      );
    }
    const body = (await (await fetch(`${second.idp?.url}/ready`)).json()) as { checks: { consumers: Record<string, { ready: boolean }> } };
    assert.equal(body.checks.consumers.DIRECTORY?.ready, true);
    assert.equal(body.checks.consumers.CATALOG?.ready, true);
  });

  it('signs the person in on either IdP instance', async () => {
    for (const idp of idps()) {
      const result = await signInOn(idp.url);
      assert.equal(result.outcome, 'signed-in', `${idp.name}: ${result.outcome === 'refused' ? `${result.status} ${result.page}` : ''}`);
    }
  });

  it('refuses the next sign-in on both IdPs after each removal, through either directory, and grants again after each re-grant', async () => {
    for (let round = 0; round < 4; round++) {
      // Alternate the directory instances: a removal through one, the re-grant through the other.
      const [removeAt, grantAt] = round % 2 === 0 ? directories() : [...directories()].reverse();
      await system.admin('DELETE', `${removeAt}/v1/user-groups/${groupId}/members/${userId}`, undefined, 204);
      // IdP B first: the one that did not answer the previous sign-in.
      for (const idp of [...idps()].reverse()) {
        const refused = await signInOn(idp.url);
        assert.equal(refused.outcome === 'refused' && refused.status, 403, `round ${round}, ${idp.name}: ${refused.outcome}`);
      }
      for (const catalog of catalogs()) {
        const readiness = await read<{ authorisedUsers: number }>(`${catalog}/v1/applications/${appId}/jit-readiness`);
        assert.equal(readiness.authorisedUsers, 0, `round ${round}, ${catalog}`);
      }
      await system.admin('POST', `${grantAt}/v1/user-groups/${groupId}/members`, { userId }, 201);
      for (const idp of idps()) {
        const result = await signInOn(idp.url);
        assert.equal(result.outcome, 'signed-in', `round ${round}, ${idp.name}`);
      }
      for (const catalog of catalogs()) {
        const readiness = await read<{ authorisedUsers: number }>(`${catalog}/v1/applications/${appId}/jit-readiness`);
        assert.equal(readiness.authorisedUsers, 1, `round ${round}, ${catalog}`);
      }
    }
  });

  it('sees an admin call through either directory instance on both IdPs (a suspension, then its reversal)', async () => {
    const [a, b] = directories();
    await system.admin('PATCH', `${b}/v1/users/${userId}`, { state: 'SUSPENDED' }, 200);
    for (const idp of idps()) {
      const preview = await read<{ wouldIssue: boolean }>(`${idp.url}/v1/applications/${appId}/preview?userId=${userId}`);
      assert.equal(preview.wouldIssue, false, idp.name);
    }
    await system.admin('PATCH', `${a}/v1/users/${userId}`, { state: 'ACTIVATED' }, 200);
    for (const idp of idps()) {
      const preview = await read<{ wouldIssue: boolean }>(`${idp.url}/v1/applications/${appId}/preview?userId=${userId}`);
      assert.equal(preview.wouldIssue, true, idp.name);
    }
  });

  it("keeps a person's IdP session made on one instance on the other, and a sign-out on either ends it on both", async () => {
    const [a, b] = idps().map((i) => i.url);
    const browser = new Browser();
    const portal = async (url: string) => (await (await browser.get(`${url}/`)).text()).includes('Signed in as');
    assert.equal((await signInOn(a, browser)).outcome, 'signed-in');
    // The same browser behind one address: B gets the cookie A set.
    browser.copyCookies(a, b);
    assert.equal(await portal(b), true, 'the session made on A is signed in on B');
    // An SSO through B needs no password: its answer is the SAML Response, not the login form.
    const start = await browser.get(`${system.demoSpUrl}/login?app=${appId}`);
    const redirect = start.headers.get('location') ?? '';
    const sso = await decided(
      () => browser.get(b + redirect.slice(system.idpUrl.length)),
      (r) => r.status,
    );
    assert.equal(sso.status, 200);
    assert.match(await sso.text(), /name="SAMLResponse"/);

    // Signed out on B: A no longer knows the session either, though it held a copy.
    const signOutPage = parseForm(await (await browser.get(`${b}/logout`)).text());
    const signedOut = await browser.postForm(`${b}/logout`, signOutPage.fields);
    assert.ok(signedOut.status < 400, `sign-out answered ${signedOut.status}`);
    browser.copyCookies(b, a);
    await eventually(async () => assert.equal(await portal(a), false, 'signed out on A too'), { timeoutMs: 5000, intervalMs: 100 });
  });
});
