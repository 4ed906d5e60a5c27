/**
 * Noisy neighbours: while one organisation (A) imports 5,000 people by CSV, how many sign-ins
 * of another organisation (B), and of A's people whose access the import does not touch, are
 * answered (docs/decisions/0009-scoped-freshness.md). Each of them is signed in once, then
 * SP-initiated SSO with their session runs in a loop from before the import starts until the
 * IdP has applied everything it brought; every answer is a 200 (an assertion) or a 503 (the
 * IdP could not prove its view current). A person the import does touch (added to a group by a
 * membership call made during it) is measured too: their sign-ins must follow the change.
 *
 * Also reported: how long the IdP's consumer takes to apply the import's events (the head-of-line
 * a change made behind the import waits for), from the IdP's /ready.
 *
 * It runs on a private nats-server of docker-compose's version (scoped lookups, 2.11+), then on the
 * machine's (the whole stream where that is 2.9), in the same run: BENCH_MACHINE_NATS=0 skips the
 * second.
 *
 *   npm run bench:noisy-neighbour   (PostgreSQL, and NATS JetStream on its usual local port)
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { deflateRawSync } from 'node:zlib';
import { PrivateNatsServer, TEST_NATS_URL, freePort, startService, testEnv, type ServiceProcess } from '@jit/testing';
import { KeepAliveConnection } from './keep-alive-client';

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 5_000);
/** Sign-ins in flight per person measured. */
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 2);
const BOOTSTRAP = 'bench-bootstrap-key-0123456789';
const PASSWORD = 'correct horse battery staple';
const SP = (org: string) => ({ entityId: `https://sp-${org}.bench.example/metadata`, acs: `https://sp-${org}.bench.example/acs` });

interface Person {
  label: string;
  org: string;
  appId: string;
  cookie: string;
  ok: number;
  refused: number;
  other: Map<number, number>;
  /** Assertions with a Success status (a refusal sent back to the SP is a 200 too). */
  granted: number;
  /** Sign-ins sent after the change that let the person in had its 2xx, answered with a refusal: stale. */
  stale: number;
}

function succeeded(page: string): boolean {
  const value = /name="SAMLResponse" value="([^"]+)"/.exec(page)?.[1];
  if (!value) return false;
  const xml = Buffer.from(
    value.replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d))),
    'base64',
  ).toString('utf8');
  return xml.includes('urn:oasis:names:tc:SAML:2.0:status:Success');
}

function authnRequest(destination: string, org: string): string {
  const sp = SP(org);
  const xml =
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${randomBytes(20).toString('hex')}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${destination}" AssertionConsumerServiceURL="${sp.acs}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">` +
    `<saml:Issuer>${sp.entityId}</saml:Issuer></samlp:AuthnRequest>`;
  return encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'));
}

/** One run against the NATS server at `natsUrl`; prints its table. */
async function run(natsLabel: string, natsUrl: string): Promise<void> {
  const env = testEnv('benchnoisy');
  const services: ServiceProcess[] = [];
  try {
    const ports = { directory: await freePort(), catalog: await freePort(), idp: await freePort() };
    const common = {
      DATABASE_URL: env.databaseUrl,
      NATS_URL: natsUrl,
      NATS_PREFIX: env.natsPrefix,
      BOOTSTRAP_ADMIN_API_KEY: BOOTSTRAP,
      LOG_LEVEL: 'error',
      DIRECTORY_PORT: String(ports.directory),
      CATALOG_PORT: String(ports.catalog),
      IDP_PORT: String(ports.idp),
      IDP_BASE_URL: `http://127.0.0.1:${ports.idp}`,
    };
    services.push(await startService('directory', ports.directory, common));
    services.push(await startService('catalog', ports.catalog, common), await startService('idp', ports.idp, common));
    const [directory, catalog, idp] = services.map((s) => s.url);
    const call = async (url: string, key: string, body: unknown, method = 'POST'): Promise<Record<string, unknown>> => {
      const res = await fetch(url, {
        method,
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
      if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
      return res.status === 204 ? {} : ((await res.json()) as Record<string, unknown>);
    };

    const orgB = await call(`${directory}/v1/organizations`, BOOTSTRAP, { name: 'Neighbour Corp' });
    const keys: Record<string, string> = { A: BOOTSTRAP, B: String(orgB.apiKey) };
    const setUp = async (org: string, usernames: string[]) => {
      const key = keys[org];
      const group = await call(`${directory}/v1/user-groups`, key, { name: 'staff' });
      const app = await call(`${catalog}/v1/applications`, key, {
        connectorId: 'saml2',
        name: `SP of ${org}`,
        spEntityId: SP(org).entityId,
        acsUrls: [SP(org).acs],
        signAssertion: false,
        signResponse: true,
        attributes: [{ spName: 'email', source: 'email', enabled: true }],
      });
      await call(`${catalog}/v1/applications/${String(app.id)}/user-groups`, key, { groupId: group.id });
      const ids: Record<string, string> = {};
      for (const username of usernames) {
        const user = await call(`${directory}/v1/users`, key, { username, email: `${username}@${org}.bench.example`, password: PASSWORD });
        ids[username] = String(user.id);
        if (username !== 'carl') await call(`${directory}/v1/user-groups/${String(group.id)}/members`, key, { userId: user.id });
      }
      return { appId: String(app.id), groupId: String(group.id), ids };
    };
    const a = await setUp('A', ['ann', 'carl']);
    const b = await setUp('B', ['bea']);

    /** Signs `username` in through the login form once: the session cookie every SSO below carries. */
    const signIn = async (label: string, org: string, appId: string, username: string): Promise<Person> => {
      const ssoUrl = `${idp}/saml2/${appId}/sso`;
      const first = await fetch(`${ssoUrl}?SAMLRequest=${authnRequest(ssoUrl, org)}`, { redirect: 'manual' });
      const preCookie = String(first.headers.getSetCookie()[0]).split(';')[0];
      const form = await (await fetch(`${idp}/login`, { headers: { cookie: preCookie } })).text();
      const csrf = /name="csrf" value="([^"]+)"/.exec(form)?.[1] ?? '';
      const login = await fetch(`${idp}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: preCookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf, username, password: PASSWORD }).toString(),
      });
      const cookie = String(login.headers.getSetCookie()[0]).split(';')[0];
      return { label, org, appId, cookie, ok: 0, refused: 0, other: new Map(), granted: 0, stale: 0 };
    };
    const people = [
      await signIn('organisation B, during the import', 'B', b.appId, 'bea'),
      await signIn('organisation A, untouched by the import', 'A', a.appId, 'ann'),
    ];
    // Carl is in A but not in its application's group: a membership call during the import lets him in.
    const carl = await signIn('organisation A, added to the group during the import', 'A', a.appId, 'carl');

    const readiness = async () => {
      const res = await fetch(`${idp}/ready`);
      const body = (await res.json()) as {
        checks?: { consumers?: Record<string, { applied: number; last: number | null; lag: number | null }> };
      };
      return body.checks?.consumers?.DIRECTORY ?? { applied: 0, last: 0, lag: 0 };
    };

    let running = true;
    /** When the membership call that lets Carl in answered 2xx (performance.now()). */
    let carlAddedAt = Infinity;
    const loop = async (person: Person) => {
      const { hostname, port } = new URL(idp);
      const connection = new KeepAliveConnection(hostname, Number(port));
      const path = `/saml2/${person.appId}/sso`;
      while (running) {
        const sent = performance.now();
        const res = await connection.get(`${path}?SAMLRequest=${authnRequest(`${idp}${path}`, person.org)}`, { cookie: person.cookie });
        if (res.status === 200) {
          person.ok += 1;
          if (succeeded(res.body.toString('utf8'))) person.granted += 1;
          else if (person === carl && sent > carlAddedAt) person.stale += 1;
        } else if (res.status === 503) person.refused += 1;
        else person.other.set(res.status, (person.other.get(res.status) ?? 0) + 1);
      }
      connection.close();
    };
    const loops = [...people, carl].flatMap((p) => Array.from({ length: IN_FLIGHT }, () => loop(p)));

    // The import: one CSV of ROWS people into organisation A.
    const before = await readiness();
    const csv = ['username,email', ...Array.from({ length: ROWS }, (_, i) => `imported${i},imported${i}@a.bench.example`)].join('\n');
    const started = performance.now();
    let maxLag = 0;
    let importDone = false;
    /** Readings of the IdP's DIRECTORY lag every 100 ms, and how many found it behind. */
    const lagReadings = { all: 0, behind: 0 };
    const sampler = (async () => {
      for (;;) {
        const lag = (await readiness()).lag ?? 0;
        lagReadings.all += 1;
        if (lag > 0) lagReadings.behind += 1;
        maxLag = Math.max(maxLag, lag);
        if (importDone && lag === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    // Carl joins the group a second into the import: from then on his sign-ins must be granted.
    const carlAdded = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const grantedBefore = carl.granted;
      await call(`${directory}/v1/user-groups/${a.groupId}/members`, keys.A, { userId: a.ids.carl });
      carlAddedAt = performance.now();
      return { at: carlAddedAt - started, grantedBefore };
    })();
    const res = await fetch(`${directory}/v1/users/import`, {
      method: 'POST',
      headers: { 'x-api-key': keys.A, 'content-type': 'text/csv' },
      body: csv,
      signal: AbortSignal.timeout(300_000),
    });
    const answer = (await res.json()) as { created: number };
    const importSeconds = (performance.now() - started) / 1000;
    importDone = true;
    if (answer.created !== ROWS) throw new Error(`import created ${answer.created} of ${ROWS}`);
    await sampler;
    const appliedSeconds = (performance.now() - started) / 1000;
    const after = await readiness();
    const added = await carlAdded;
    running = false;
    await Promise.all(loops);

    const events = (after.last ?? 0) - (before.last ?? 0);
    console.log(
      `\nNoisy neighbours on ${natsLabel}, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)}, Node ${process.version}: a ${ROWS}-row CSV import into organisation A, ${IN_FLIGHT} sign-ins in flight per person`,
    );
    console.log(
      `import answered in ${importSeconds.toFixed(1)} s (${events} DIRECTORY events); the IdP had applied them ${appliedSeconds.toFixed(1)} s after the start (${(events / appliedSeconds).toFixed(0)} events/s); its largest lag ${maxLag} events`,
    );
    console.log(
      `the IdP was behind the DIRECTORY stream at ${lagReadings.behind} of ${lagReadings.all} readings (${((100 * lagReadings.behind) / Math.max(1, lagReadings.all)).toFixed(0)}%): a check of the whole stream would have made each sign-in then wait for that lag (IDP_FRESHNESS_WAIT_MS at most, 50 ms by default, then 503)`,
    );
    console.log('| who | sign-ins | answered | 503 | other | answered % |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const p of [...people, carl]) {
      const total = p.ok + p.refused + [...p.other.values()].reduce((x, y) => x + y, 0);
      const other = [...p.other].map(([status, n]) => `${n}×${status}`).join(', ') || '0';
      console.log(`| ${p.label} | ${total} | ${p.ok} | ${p.refused} | ${other} | ${((100 * p.ok) / Math.max(1, total)).toFixed(2)} |`);
    }
    console.log(
      `Carl was added ${(added.at / 1000).toFixed(1)} s into the import: ${added.grantedBefore} assertions before the call, ${carl.granted} in all; sign-ins sent after its 2xx and refused as not authorised (stale): ${carl.stale}.`,
    );
  } finally {
    for (const s of services.reverse()) await s.stop();
    await env.cleanup();
  }
}

/**
 * On a private nats-server of the version docker-compose ships (2.11+: scoped lookups), then on the
 * machine's (2.9 here: the whole stream, as before scopes), in the same run.
 */
async function main(): Promise<void> {
  const built = spawnSync(process.execPath, ['scripts/nats-server.mjs'], { encoding: 'utf8' }).stdout.trim();
  if (built) {
    process.env.NATS_SERVER_BIN = built;
    const nats = new PrivateNatsServer();
    await nats.start();
    try {
      await run(`a private nats-server (${built.replace(/^.*nats-server-/, '')})`, nats.url);
    } finally {
      await nats.destroy();
    }
  } else console.log("No nats-server built for docker-compose's version (node scripts/nats-server.mjs --build): only the machine's.");
  if (process.env.BENCH_MACHINE_NATS !== '0') await run("the machine's nats-server", TEST_NATS_URL);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
