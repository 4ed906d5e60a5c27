import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  type Browser,
  freePort,
  parseForm,
  startService,
  testEnv,
  type ServiceProcess,
  type StartOptions,
  type TestEnv,
} from '@jit/testing';

export const BOOTSTRAP_KEY = 'e2e-bootstrap-admin-key-0123456789';

export type ServiceName = 'directory' | 'catalog' | 'idp' | 'demo-sp' | 'console';

/** All four services on real PostgreSQL and NATS, with this run's own database and prefix. */
export class System {
  readonly env: TestEnv;
  /** BUS_KEYS of every service of this system: a key of its own, as in production. */
  readonly busKey = randomBytes(32).toString('hex');
  /** The console's port is chosen with the others; the console starts only when a test asks (startOne('console')). */
  ports!: { idp: number; directory: number; catalog: number; demoSp: number; console: number };
  readonly running = new Map<string, ServiceProcess>();
  /** Run the production build from dist/ (see e2e/compiled-build.e2e-spec.ts) instead of the source. */
  compiled = false;

  constructor(
    label: string,
    /** Another NATS server than the machine's (fault tests run their own). */
    private readonly natsUrl?: string,
    /** Extra environment for every service of this system. */
    private readonly extraEnv: Record<string, string> = {},
    /** Extra environment for one service (its NATS user, say), after extraEnv. */
    private readonly serviceEnv: Partial<Record<ServiceName, Record<string, string>>> = {},
  ) {
    this.env = testEnv(label);
  }

  get idpUrl() {
    return `http://127.0.0.1:${this.ports.idp}`;
  }
  get directoryUrl() {
    return `http://127.0.0.1:${this.ports.directory}`;
  }
  get catalogUrl() {
    return `http://127.0.0.1:${this.ports.catalog}`;
  }
  get demoSpUrl() {
    return `http://127.0.0.1:${this.ports.demoSp}`;
  }
  get consoleUrl() {
    return `http://127.0.0.1:${this.ports.console}`;
  }

  async start(): Promise<void> {
    this.ports = {
      idp: await freePort(),
      directory: await freePort(),
      catalog: await freePort(),
      demoSp: await freePort(),
      console: await freePort(),
    };
    // The directory first: it creates the default organisation; the others ask it for API keys.
    await this.startOne('directory');
    // allSettled: when one fails, the others are still registered by the time stop() runs, so none
    // is left running (a stray child keeps the test process alive).
    const started = await Promise.allSettled([this.startOne('catalog'), this.startOne('idp'), this.startOne('demo-sp')]);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** `until: 'live'` for a restart that is not expected to be ready at once (a crash test measures when it is). */
  async startOne(name: ServiceName, options: Pick<StartOptions, 'until'> = {}): Promise<ServiceProcess> {
    const port = {
      directory: this.ports.directory,
      catalog: this.ports.catalog,
      idp: this.ports.idp,
      'demo-sp': this.ports.demoSp,
      console: this.ports.console,
    }[name];
    const service = await startService(name, port, this.envFor(name), { compiled: this.compiled, ...options });
    this.running.set(name, service);
    return service;
  }

  /**
   * Another instance of a service on the same database and NATS prefix, on a port of its own
   * (IDP_BASE_URL and CONSOLE_URL stay the first's: both behind one address). Started once it answers /health:
   * it is not expected to become ready.
   */
  async startAnotherInstance(name: 'catalog' | 'idp' | 'directory' | 'console'): Promise<ServiceProcess> {
    const port = await freePort();
    const portVariable = { catalog: 'CATALOG_PORT', idp: 'IDP_PORT', directory: 'DIRECTORY_PORT', console: 'CONSOLE_PORT' }[name];
    const service = await startService(name, port, { ...this.envFor(name), [portVariable]: String(port) }, { until: 'live' });
    this.running.set(`${name}@${port}`, service);
    return service;
  }

  private envFor(name: ServiceName): Record<string, string> {
    return {
      DATABASE_URL: this.env.databaseUrl,
      NATS_URL: this.natsUrl ?? this.env.natsUrl,
      NATS_PREFIX: this.env.natsPrefix,
      BOOTSTRAP_ADMIN_API_KEY: BOOTSTRAP_KEY,
      BUS_KEYS: this.busKey,
      HOST: '127.0.0.1',
      IDP_PORT: String(this.ports.idp),
      IDP_BASE_URL: this.idpUrl,
      DIRECTORY_PORT: String(this.ports.directory),
      CATALOG_PORT: String(this.ports.catalog),
      DEMO_SP_PORT: String(this.ports.demoSp),
      DEMO_SP_BASE_URL: this.demoSpUrl,
      DEMO_SP_IDP_URL: this.idpUrl,
      // The IdP serves the console's application of each organisation for this URL.
      CONSOLE_PORT: String(this.ports.console),
      CONSOLE_URL: this.consoleUrl,
      IDP_URL: this.idpUrl,
      DIRECTORY_URL: this.directoryUrl,
      CATALOG_URL: this.catalogUrl,
      ...this.extraEnv,
      ...this.serviceEnv[name],
    };
  }

  async stopOne(name: string): Promise<void> {
    await this.running.get(name)?.stop();
    this.running.delete(name);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.running.values()].map((s) => s.stop()));
    this.running.clear();
    await this.env.cleanup();
  }

  /**
   * The set-up most sign-in tests start from: a person (with a password for the IdP's login page)
   * in a group of their own, and a demo-sp application the group is bound to.
   */
  async personWithDemoSpAccess(
    person: { username: string; email: string; firstname: string; lastname: string; password: string },
    groupName: string,
  ): Promise<{ userId: string; groupId: string; appId: string }> {
    const userId = (await this.admin<{ id: string }>('POST', `${this.directoryUrl}/v1/users`, person, 201)).id;
    const groupId = (await this.admin<{ id: string }>('POST', `${this.directoryUrl}/v1/user-groups`, { name: groupName }, 201)).id;
    await this.admin('POST', `${this.directoryUrl}/v1/user-groups/${groupId}/members`, { userId }, 201);
    const appId = (
      await this.admin<{ id: string }>(
        'POST',
        `${this.catalogUrl}/v1/applications`,
        {
          connectorId: 'demo-sp',
          name: 'Demo SP',
          spEntityId: `${this.demoSpUrl}/saml/metadata`,
          acsUrls: [`${this.demoSpUrl}/saml/acs`],
        },
        201,
      )
    ).id;
    await this.admin('POST', `${this.catalogUrl}/v1/applications/${appId}/user-groups`, { groupId }, 201);
    return { userId, groupId, appId };
  }

  /** An admin API call with the bootstrap key; asserts the expected status. */
  async admin<T = Record<string, unknown>>(method: string, url: string, body?: unknown, expected?: number): Promise<T> {
    const response = await fetch(url, {
      method,
      headers: { 'x-api-key': BOOTSTRAP_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (expected !== undefined) assert.equal(response.status, expected, `${method} ${url} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  }
}

export type SignInResult = { outcome: 'signed-in'; page: string } | { outcome: 'refused'; status: number; page: string };

/**
 * A person signing in to demo-sp through the IdP: SP-initiated over HTTP-Redirect, the IdP's
 * login form when there is no IdP session, then the auto-POST of the SAML Response to the ACS.
 */
export async function signIn(
  system: System,
  browser: Browser,
  applicationId: string,
  username: string,
  password: string,
  /** Another instance of the IdP to send the browser to (as a load balancer would), not the system's own. */
  idpUrl = system.idpUrl,
): Promise<SignInResult> {
  const start = await browser.get(`${system.demoSpUrl}/login?app=${applicationId}`);
  assert.equal(start.status, 302, `demo-sp /login answered ${start.status}: ${await start.text()}`);
  const redirect = start.headers.get('location') ?? '';
  assert.ok(redirect.startsWith(`${system.idpUrl}/saml2/${applicationId}/sso?SAMLRequest=`), `demo-sp redirected to ${redirect}`);
  const location = idpUrl + redirect.slice(system.idpUrl.length);
  const landed = await browser.follow(await browser.get(location), location);
  let response = landed.response;
  if (landed.url.endsWith('/login')) {
    const form = parseForm(await response.text());
    response = await browser.postForm(`${idpUrl}/login`, { csrf: form.fields.csrf ?? '', username, password });
  }
  const page = await response.text();
  if (response.status !== 200 || !page.includes('name="SAMLResponse"')) {
    return { outcome: 'refused', status: response.status, page };
  }
  const post = parseForm(page);
  const acs = await browser.postForm(post.action, post.fields);
  assert.ok([302, 303].includes(acs.status), `demo-sp ACS answered ${acs.status}: ${await acs.text()}`);
  const home = await browser.follow(acs, post.action);
  return { outcome: 'signed-in', page: await home.response.text() };
}
