import assert from 'node:assert/strict';
import { Browser, parseForm } from '@jit/testing';
import { System } from './harness';

/**
 * The portal, as a person uses it: signed in at the IdP (the organisation's sign-in link), they
 * see a tile for each application they may open, and each link works. demo-sp answers only its
 * own requests, so its tile is its launch URL (SP-initiated sign-in, from demo-sp's /login); an
 * application that takes IdP-initiated sign-in gets an /init link.
 */
describe('The portal', () => {
  const system = new System('portal');
  const password = 'correct horse battery staple';
  let organizationId = '';
  let demoApp = '';
  let initApp = '';

  beforeAll(async () => {
    await system.start();
    const user = await system.admin<{ id: string; organizationId: string }>(
      'POST',
      `${system.directoryUrl}/v1/users`,
      { username: 'ada', email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', password },
      201,
    );
    organizationId = user.organizationId;
    const group = await system.admin<{ id: string }>('POST', `${system.directoryUrl}/v1/user-groups`, { name: 'Everyone' }, 201);
    await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${group.id}/members`, { userId: user.id }, 201);
    const application = async (body: Record<string, unknown>) => {
      const { id } = await system.admin<{ id: string }>('POST', `${system.catalogUrl}/v1/applications`, body, 201);
      await system.admin('POST', `${system.catalogUrl}/v1/applications/${id}/user-groups`, { groupId: group.id }, 201);
      return id;
    };
    // As the README's walk-through creates it: the demo-sp connector gives it its launch URL.
    demoApp = await application({
      connectorId: 'demo-sp',
      name: 'Demo SP',
      spEntityId: `${system.demoSpUrl}/saml/metadata`,
      acsUrls: [`${system.demoSpUrl}/saml/acs`],
      portalLabel: 'Demo <SP>',
      portalColor: '#0b7285',
    });
    const generic = (name: string, host: string, options: Record<string, unknown> = {}) =>
      application({
        connectorId: 'saml2',
        name,
        spEntityId: `https://${host}/saml/metadata`,
        acsUrls: [`https://${host}/saml/acs`],
        ...options,
      });
    initApp = await generic('Wiki', 'wiki.example.com', { portalLabel: 'Team wiki' });
    await generic('Payroll', 'payroll.example.com', { idpInitiatedAllowed: false });
    await generic('Secret', 'secret.example.com', { portalVisible: false });
    await generic('Timesheets', 'timesheets.example.com', {
      idpInitiatedAllowed: false,
      launchUrl: 'https://timesheets.example.com/login',
    });
  });

  afterAll(() => system.stop());

  /** Signs in at the IdP from the organisation's sign-in link and answers the portal's HTML. */
  const signedInPortal = async (browser: Browser): Promise<string> => {
    const link = await browser.get(`${system.idpUrl}/?organization=${organizationId}`);
    assert.equal(link.status, 302);
    const form = parseForm(await (await browser.get(`${system.idpUrl}/login`)).text());
    const posted = await browser.postForm(`${system.idpUrl}/login`, { csrf: form.fields.csrf ?? '', username: 'ada', password });
    assert.equal(posted.status, 302);
    assert.equal(posted.headers.get('location'), '/');
    const portal = await browser.get(`${system.idpUrl}/`);
    assert.equal(portal.status, 200);
    return portal.text();
  };

  it('lists a tile per application the person may open, each opening it the way it takes, and says who is signed in', async () => {
    const page = await signedInPortal(new Browser());
    assert.match(page, /Signed in as Ada Lovelace/);
    const tiles = [...page.matchAll(/<li class="tile t\d+">(.*?)<\/li>/g)].map((m) => m[1]);
    assert.deepEqual(tiles, [
      `<a href="${system.demoSpUrl}/login?app=${demoApp}">Demo &#60;SP&#62;</a>`,
      'Payroll <span class="muted">(open it from the application itself)</span>',
      `<a href="/saml2/${initApp}/init">Team wiki</a>`,
      '<a href="https://timesheets.example.com/login">Timesheets</a>',
    ]);
    assert.match(page, /\.t0\{border-left-color:#0b7285\}/);
    assert.match(page, /<form method="post" action="\/logout">/);
  });

  it('the demo-sp tile, followed, lands signed in at demo-sp through SP-initiated sign-in, without the password again', async () => {
    const browser = new Browser();
    const page = await signedInPortal(browser);
    const href = /<li class="tile t0"><a href="([^"]+)">/.exec(page)?.[1] ?? '';
    assert.equal(href, `${system.demoSpUrl}/login?app=${demoApp}`);

    const atSp = await browser.get(href);
    assert.equal(atSp.status, 302);
    const toIdp = atSp.headers.get('location') ?? '';
    assert.ok(toIdp.startsWith(`${system.idpUrl}/saml2/${demoApp}/sso?SAMLRequest=`), toIdp);
    // The IdP session answers at once: the auto-POST page, no login form.
    const answer = await browser.get(toIdp);
    assert.equal(answer.status, 200);
    const post = parseForm(await answer.text());
    assert.equal(post.action, `${system.demoSpUrl}/saml/acs`);
    assert.ok(post.fields.SAMLResponse);
    const acs = await browser.postForm(post.action, post.fields);
    assert.ok([302, 303].includes(acs.status), `demo-sp ACS answered ${acs.status}: ${await acs.clone().text()}`);
    const home = await browser.follow(acs, post.action);
    assert.match(await home.response.text(), /Signed in as <strong>ada@example.com/);
  });

  it('the IdP-initiated tile, under the label the admin set, followed, posts an assertion to that application', async () => {
    const browser = new Browser();
    const page = await signedInPortal(browser);
    const href = /<a href="([^"]+)">Team wiki<\/a>/.exec(page)?.[1] ?? '';
    assert.equal(href, `/saml2/${initApp}/init`);
    const init = await browser.get(`${system.idpUrl}${href}`);
    assert.equal(init.status, 200);
    const post = parseForm(await init.text());
    assert.equal(post.action, 'https://wiki.example.com/saml/acs');
    assert.ok(post.fields.SAMLResponse);
  });
});
