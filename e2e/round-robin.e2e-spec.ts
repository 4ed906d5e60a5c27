import assert from 'node:assert/strict';
import { Secret, TOTP } from 'otpauth';
import { consoleApplicationId } from '@jit/idp-contracts';
import { Browser, parseForm, type ServiceProcess } from '@jit/testing';
import { System } from './harness';

/**
 * Two IdP instances and two console instances behind a load balancer that sends each request to
 * the next instance in turn (no stickiness, deploy/haproxy.cfg): a browser's sign-in started on
 * one instance goes on and ends on the other, through the login form, the second factor and its
 * enrolment; the throttles count across instances; an MFA policy set through one holds on the
 * other at once; the console's AuthnRequest sent by one console instance is answered at the other.
 */
describe('round-robin per request over two IdP and two console instances', () => {
  const adminPassword = 'round robin administrator password';
  const password = 'correct horse battery staple';
  const system = new System(
    'roundrobin',
    undefined,
    {
      IDP_FRESHNESS_WAIT_MS: '2000',
      IDP_LOGIN_FAILURES_PER_SESSION: '4',
      IDP_MFA_FAILURES_PER_USER: '3',
      IDP_MFA_FAILURES_PER_SESSION: '10',
    },
    { directory: { BOOTSTRAP_ADMIN_USERNAME: 'admin', BOOTSTRAP_ADMIN_PASSWORD: adminPassword } },
  );
  let idpB: ServiceProcess;
  let consoleB: ServiceProcess;
  let appId = '';
  let organizationId = '';
  let secret = '';

  beforeAll(async () => {
    await system.start();
    await system.startOne('console');
    idpB = await system.startAnotherInstance('idp');
    consoleB = await system.startAnotherInstance('console');
    let userId = '';
    ({ appId, userId } = await system.personWithDemoSpAccess(
      { username: 'ada', email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', password },
      'Engineers',
    ));
    organizationId = (await system.admin<{ organizationId: string }>('GET', `${system.directoryUrl}/v1/users/${userId}`, undefined, 200))
      .organizationId;
  });

  afterAll(() => system.stop());

  /**
   * The browser behind one address: each call names the instance it reaches (the test plays the
   * balancer and says which), and carries the cookies the browser holds for that address.
   */
  class Balanced {
    readonly browser = new Browser();
    private last?: string;
    constructor(private readonly instances: Record<'A' | 'B', string>) {}

    private at(instance: 'A' | 'B', path: string): string {
      const url = this.instances[instance];
      if (this.last) this.browser.copyCookies(this.last, url);
      this.last = url;
      return url + path;
    }

    get(instance: 'A' | 'B', path: string): Promise<Response> {
      return this.browser.get(this.at(instance, path));
    }

    postForm(instance: 'A' | 'B', path: string, fields: Record<string, string>): Promise<Response> {
      return this.browser.postForm(this.at(instance, path), fields);
    }
  }
  const idps = () => ({ A: system.idpUrl, B: idpB.url });

  /** demo-sp's AuthnRequest, sent to IdP `instance`: answers the balanced browser and the SSO's answer (a redirect to /login). */
  async function startSso(instance: 'A' | 'B'): Promise<{ browser: Balanced; sso: Response }> {
    const browser = new Balanced(idps());
    const start = await browser.browser.get(`${system.demoSpUrl}/login?app=${appId}`);
    assert.equal(start.status, 302);
    const path = (start.headers.get('location') ?? '').slice(system.idpUrl.length);
    assert.ok(path.startsWith(`/saml2/${appId}/sso?SAMLRequest=`), path);
    const sso = await browser.get(instance, path);
    return { browser, sso };
  }

  /** The auto-POST page's Response, taken to demo-sp's ACS: answers demo-sp's home page. */
  async function deliver(browser: Balanced, response: Response): Promise<string> {
    const page = await response.text();
    assert.equal(response.status, 200, page.slice(0, 500));
    assert.match(page, /name="SAMLResponse"/);
    const post = parseForm(page);
    const acs = await browser.browser.postForm(post.action, post.fields);
    assert.ok([302, 303].includes(acs.status), `demo-sp ACS answered ${acs.status}`);
    return (await browser.browser.follow(acs, post.action)).response.text();
  }

  const code = (steps = 0) =>
    new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
      timestamp: Date.now() + steps * 30_000,
    });

  it('finishes on instance B a sign-in started on instance A: the form shown by B is posted to A', async () => {
    const { browser, sso } = await startSso('A');
    assert.equal(sso.status, 302);
    assert.equal(sso.headers.get('location'), '/login');
    const form = await browser.get('B', '/login');
    assert.equal(form.status, 200);
    const { fields } = parseForm(await form.text());
    const posted = await browser.postForm('A', '/login', { csrf: fields.csrf ?? '', username: 'ada', password });
    assert.match(await deliver(browser, posted), /ada@example\.com/);
  });

  it('signs in to the console through one console instance and the other: the Response reaches B, the session works on A', async () => {
    const browser = new Browser();
    const start = await browser.get(`${system.consoleUrl}/auth/login`);
    assert.equal(start.status, 302);
    const location = start.headers.get('location') ?? '';
    assert.ok(location.startsWith(`${system.idpUrl}/saml2/${consoleApplicationId(organizationId)}/sso?SAMLRequest=`), location);
    const landed = await browser.follow(await browser.get(location), location);
    assert.ok(landed.url.endsWith('/login'), landed.url);
    const form = parseForm(await landed.response.text());
    const posted = await browser.postForm(`${system.idpUrl}/login`, {
      csrf: form.fields.csrf ?? '',
      username: 'admin',
      password: adminPassword,
    });
    const page = await posted.text();
    assert.match(page, /name="SAMLResponse"/, page.slice(0, 500));
    const post = parseForm(page);
    assert.equal(post.action, `${system.consoleUrl}/saml/acs`);
    // The balancer sends the IdP's POST to console B, which did not send the AuthnRequest.
    const acs = await browser.postForm(`${consoleB.url}/saml/acs`, post.fields);
    assert.equal(acs.status, 303, await acs.text());
    const cookie = acs.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const me = await fetch(`${system.consoleUrl}/api/me`, { headers: { cookie } });
    assert.equal(me.status, 200, 'the session made on B answers on A');
    assert.equal(((await me.json()) as { user: { username: string } }).user.username, 'admin');
  });

  it('counts failed sign-ins across instances: N-1 on A and one on B throttle the session on both', async () => {
    const { browser } = await startSso('B');
    const { fields } = parseForm(await (await browser.get('A', '/login')).text());
    const attempt = (instance: 'A' | 'B', username: string, pass: string) =>
      browser.postForm(instance, '/login', { csrf: fields.csrf ?? '', username, password: pass });
    // Each a name nobody has: the directory's lockout of an account plays no part.
    for (let i = 0; i < 3; i++) {
      const failed = await attempt('A', `nobody-${i}`, 'wrong');
      assert.notEqual(failed.status, 429, `attempt ${i + 1}: ${failed.status}`);
    }
    const fourth = await attempt('B', 'nobody-3', 'wrong');
    assert.notEqual(fourth.status, 429);
    for (const instance of ['A', 'B'] as const) {
      const throttled = await attempt(instance, 'ada', password);
      assert.equal(throttled.status, 429, `instance ${instance} throttles the right password too`);
      assert.match(await throttled.text(), /Too many sign-in attempts/);
    }
  });

  it('applies an MFA policy set through A on B at once, and walks enrolment and the second step across instances', async () => {
    // B reads the policy ("off") at a sign-in, and keeps it.
    {
      const { browser } = await startSso('A');
      const { fields } = parseForm(await (await browser.get('A', '/login')).text());
      const posted = await browser.postForm('B', '/login', { csrf: fields.csrf ?? '', username: 'ada', password });
      await deliver(browser, posted);
    }
    const setAt = Date.now();
    await system.admin('PUT', `${system.idpUrl}/v1/mfa-policy`, { policy: 'required' }, 200);
    const { browser } = await startSso('B');
    const { fields } = parseForm(await (await browser.get('A', '/login')).text());
    const posted = await browser.postForm('B', '/login', { csrf: fields.csrf ?? '', username: 'ada', password });
    const elapsed = Date.now() - setAt;
    assert.equal(posted.status, 302, `B asked for the second step ${elapsed} ms after the policy changed on A`);
    assert.equal(posted.headers.get('location'), '/login/mfa');

    const enrol = await browser.get('A', '/login/mfa');
    const enrolPage = await enrol.text();
    assert.equal(enrol.status, 200, enrolPage.slice(0, 300));
    secret = (/<p class="secret" id="secret">([A-Z2-7 ]+)<\/p>/.exec(enrolPage)?.[1] ?? '').replace(/ /g, '');
    assert.ok(secret.length >= 16, 'the enrolment page shows the key');
    const confirmed = await browser.postForm('B', '/login/mfa', { csrf: parseForm(enrolPage).fields.csrf ?? '', code: code() });
    const codesPage = await confirmed.text();
    assert.equal(confirmed.status, 200, codesPage.slice(0, 300));
    const next = parseForm(codesPage);
    assert.equal(next.action, '/login/continue');
    assert.match(await deliver(browser, await browser.postForm('A', '/login/continue', next.fields)), /ada@example\.com/);

    // The next sign-in asks for a code: the form on B, the code to A.
    const again = await startSso('A');
    const login = parseForm(await (await again.browser.get('B', '/login')).text());
    const second = await again.browser.postForm('A', '/login', { csrf: login.fields.csrf ?? '', username: 'ada', password });
    assert.equal(second.headers.get('location'), '/login/mfa');
    const step = parseForm(await (await again.browser.get('B', '/login/mfa')).text());
    // A code of the next step: the enrolment used this one.
    assert.match(
      await deliver(again.browser, await again.browser.postForm('A', '/login/mfa', { csrf: step.fields.csrf ?? '', code: code(1) })),
      /ada@example\.com/,
    );
  });

  it("locks a person's second step after wrong codes on both instances", async () => {
    const { browser } = await startSso('A');
    const login = parseForm(await (await browser.get('A', '/login')).text());
    await browser.postForm('B', '/login', { csrf: login.fields.csrf ?? '', username: 'ada', password });
    const step = parseForm(await (await browser.get('A', '/login/mfa')).text());
    const send = (instance: 'A' | 'B', value: string) =>
      browser.postForm(instance, '/login/mfa', { csrf: step.fields.csrf ?? '', code: value });
    assert.equal((await send('A', '000000')).status, 401);
    assert.equal((await send('A', '000001')).status, 401);
    assert.equal((await send('B', '000002')).status, 401);
    for (const instance of ['A', 'B'] as const) {
      const locked = await send(instance, code());
      assert.equal(locked.status, 429, `instance ${instance} refuses even the right code`);
      assert.match(await locked.text(), /Too many wrong codes/);
    }
  });
});
