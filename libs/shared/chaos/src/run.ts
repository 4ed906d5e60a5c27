import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually } from '@jit/testing';
import { checkHistory, type CheckReport } from './checker';
import { accessIn, accessKey, activeRegister, boundRegister, memberRegister, type FinalRead, type History, type Model } from './history';
import { Nemesis, planFaults } from './nemesis';
import { Prng } from './prng';
import { Router } from './router';
import { EMAIL_NAMEID, SpClient, type Person } from './sp-client';
import { summarise } from './summary';
import { BOOTSTRAP_KEY, ChaosSystem, type ServiceName } from './system';
import { Recorder, sleep, Workload, type WorkloadOrganization } from './workload';

export interface ChaosOptions {
  seconds: number;
  seed: number;
  nats?: 'single' | 'cluster';
  instances?: Partial<Record<ServiceName, number>>;
  /**
   * Organisations (2): the directory's default one and others created through its API. The
   * people, groups and applications below are dealt out among them in turn (totals, not each).
   */
  organizations?: number;
  people?: number;
  groups?: number;
  apps?: number;
  /** Extra environment for every service (a setting to try under faults). */
  env?: Record<string, string>;
  /** Where the run's directory is made (test-output/chaos under the repository by default). */
  outputDir?: string;
  log?: (line: string) => void;
}

export interface ChaosResult {
  history: History;
  report: CheckReport;
  summary: string;
  /** The run's directory: history.json, report.json, summary.txt, logs/. */
  dir: string;
}

const ROOT = resolve(__dirname, '../../../..');
const PASSWORD = 'chaos run password, long enough';
const REQUEST_TIMEOUT_MS = 5000;

/**
 * Asks until the answer is 200 (a service catching up answers 503 for a while), up to `timeoutMs`;
 * with `notFound`, a 404 is an answer too, and that is what it reads.
 */
async function read<T>(
  ask: () => Promise<{ response?: Response; error?: unknown }>,
  what: string,
  timeoutMs = 30_000,
  notFound?: T,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const { response, error } = await ask();
    if (response?.status === 200) return (await response.json()) as T;
    if (response?.status === 404 && notFound !== undefined) {
      await response.body?.cancel();
      return notFound;
    }
    last = response ? `${response.status} ${(await response.text()).slice(0, 200)}` : String(error);
    if (Date.now() > deadline) throw new Error(`${what}: ${last}`);
    await sleep(200);
  }
}

/**
 * A whole chaos run: starts the system, sets up people, groups and applications, runs the
 * workload and the nemesis for `seconds`, heals everything, reads the final state back, checks
 * the history and writes it with the report under test-output/chaos/.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = join(options.outputDir ?? join(ROOT, 'test-output', 'chaos'), `${stamp}-seed${options.seed}`);
  mkdirSync(dir, { recursive: true });
  const instances = { directory: 2, catalog: 2, idp: 2, ...options.instances };
  const system = new ChaosSystem({ instances, nats: options.nats ?? 'single', logDir: join(dir, 'logs'), env: options.env });
  const rng = new Prng(options.seed);
  const router = new Router(system.instances);
  const recorder = new Recorder();
  const nemesis = new Nemesis(system, recorder, log);
  const machine = { cpus: cpus().length, loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))) };
  try {
    const booting = Date.now();
    await system.start();
    log(
      `chaos: PostgreSQL :${system.postgres.port}, NATS ${system.nats.kind} (${system.nats.nodes.join(', ')}), ${system.instances.map((i) => i.name).join(', ')} ready in ${((Date.now() - booting) / 1000).toFixed(1)} s`,
    );
    router.start();

    // Organisations, and their people, groups and applications, each created once (not part of the
    // checked state). Each organisation's objects are created with its own key.
    const counts = { people: options.people ?? 6, groups: options.groups ?? 3, apps: options.apps ?? 2 };
    const organizationCount = options.organizations ?? 2;
    if (Object.values(counts).some((n) => n < organizationCount))
      throw new Error(`${organizationCount} organisations need at least as many people, groups and applications`);
    const admin = async <T>(service: ServiceName, method: string, path: string, body: unknown, apiKey = BOOTSTRAP_KEY): Promise<T> => {
      const { response, error } = await router.request(service, path, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        timeoutMs: 30_000,
      });
      if (!response || response.status >= 300)
        throw new Error(`set-up ${method} ${path}: ${response ? `${response.status} ${await response.text()}` : String(error)}`);
      return (await response.json()) as T;
    };
    const organizations: WorkloadOrganization[] = [];
    const home = await admin<{ id: string; name: string }>('directory', 'GET', '/v1/organization', undefined);
    organizations.push({ id: home.id, name: home.name, apiKey: BOOTSTRAP_KEY, users: [], groups: [], apps: [] });
    for (let k = 1; k < organizationCount; k++) {
      const name = `Chaos Neighbour ${k}`;
      const created = await admin<{ id: string; apiKey: string }>('directory', 'POST', '/v1/organizations', { name });
      organizations.push({ id: created.id, name, apiKey: created.apiKey, users: [], groups: [], apps: [] });
    }
    // The i-th object goes to organisation i mod n. Usernames repeat across organisations (each
    // has its person0): a sign-in resolved in the wrong organisation names another email.
    const people = new Map<string, Person>();
    for (let i = 0; i < counts.people; i++) {
      const organization = organizations[i % organizationCount];
      const username = `person${Math.floor(i / organizationCount)}`;
      const email = `${username}@${i % organizationCount === 0 ? '' : `org${i % organizationCount}.`}chaos.example`;
      const { id } = await admin<{ id: string }>(
        'directory',
        'POST',
        '/v1/users',
        { username, email, firstname: 'Person', lastname: String(i), password: PASSWORD },
        organization.apiKey,
      );
      people.set(id, { userId: id, username, email, password: PASSWORD, cookies: new Map() });
      organization.users.push(id);
    }
    for (let i = 0; i < counts.groups; i++) {
      const organization = organizations[i % organizationCount];
      organization.groups.push(
        (await admin<{ id: string }>('directory', 'POST', '/v1/user-groups', { name: `Group ${i}` }, organization.apiKey)).id,
      );
    }
    const spOf = new Map<string, { entityId: string; acsUrl: string }>();
    for (let i = 0; i < counts.apps; i++) {
      const organization = organizations[i % organizationCount];
      const sp = { entityId: `https://sp${i}.chaos.example/metadata`, acsUrl: `https://sp${i}.chaos.example/saml/acs` };
      const { id } = await admin<{ id: string }>(
        'catalog',
        'POST',
        '/v1/applications',
        {
          connectorId: 'saml2',
          name: `Chaos SP ${i}`,
          spEntityId: sp.entityId,
          acsUrls: [sp.acsUrl],
          nameIdFormat: EMAIL_NAMEID,
          nameIdSource: 'email',
        },
        organization.apiKey,
      );
      organization.apps.push(id);
      spOf.set(id, sp);
    }
    const model: Model = {
      users: organizations.flatMap((o) => o.users),
      groups: organizations.flatMap((o) => o.groups),
      apps: organizations.flatMap((o) => o.apps),
      organizations: organizations.map(({ id, name, users, groups, apps }) => ({ id, name, users, groups, apps })),
    };
    const sps = new Map<string, SpClient>();
    for (const appId of model.apps) {
      // The IdP answers metadata once it has the application's event.
      const certs = await eventually(() => SpClient.idpCertificates(system.idpBaseUrl, appId), { timeoutMs: 30_000, intervalMs: 200 });
      sps.set(
        appId,
        new SpClient(appId, system.idpBaseUrl, spOf.get(appId) as { entityId: string; acsUrl: string }, certs, router, REQUEST_TIMEOUT_MS),
      );
    }
    const workload = new Workload(organizations, people, sps, router, recorder, {
      adminWorkers: 2,
      signInWorkers: 3,
      followUpChance: 0.6,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });

    // The starting state, recorded like any change: each person in one group of their organisation,
    // each application bound to one.
    const setup = rng.fork();
    for (const organization of organizations) {
      for (const userId of organization.users)
        await workload.admin(organization, 'add-member', { userId, groupId: setup.pick(organization.groups) }, true);
      for (const appId of organization.apps)
        await workload.admin(organization, 'bind', { groupId: setup.pick(organization.groups), appId }, true);
    }
    // Each person signs in once (an IdP session for the run), recorded and checked like the rest.
    for (const organization of organizations) for (const userId of organization.users) await workload.signIn(userId, organization.apps[0]);

    const startMs = recorder.now();
    const untilMs = startMs + options.seconds * 1000;
    log(`chaos: workload and nemesis for ${options.seconds} s (seed ${options.seed})`);
    const plan = planFaults(rng.fork());
    await Promise.all([workload.run(rng.fork(), untilMs), nemesis.run(plan, untilMs)]);

    // Quiet: every instance ready again before the state is read back.
    const quiet = Date.now();
    await waitFor(() => system.instances.every((i) => i.ready), 90_000).catch(() => undefined);
    const notReady = system.instances.filter((i) => !i.ready).map((i) => i.name);
    log(
      `chaos: workload over; ${notReady.length ? `not ready after 90 s: ${notReady.join(', ')}` : `every instance ready after ${Date.now() - quiet} ms`}`,
    );

    const final = await readFinal(system, router, model, organizations, recorder);
    if (notReady.length) final.errors.push(`not ready at the end: ${notReady.join(', ')}`);
    const history: History = {
      seed: options.seed,
      seconds: options.seconds,
      startedAt: new Date(Date.now() - recorder.now()).toISOString(),
      model,
      ops: recorder.ops,
      faults: recorder.faults,
      final,
      setup: {
        instances: system.instances.map((i) => i.name),
        env: options.env ?? {},
        nats: system.nats.kind,
        natsNodes: system.nats.nodes,
        postgresPort: system.postgres.port,
        workloadStartMs: startMs,
        workloadEndMs: untilMs,
        machine: { ...machine, loadAverageAtEnd: loadavg().map((l) => Number(l.toFixed(2))) },
      },
    };
    const report = checkHistory(history);
    const summary = summarise(history, report);
    writeFileSync(join(dir, 'history.json'), JSON.stringify(history, null, 1));
    writeFileSync(join(dir, 'report.json'), JSON.stringify(report, null, 1));
    writeFileSync(join(dir, 'summary.txt'), summary);
    return { history, report, summary, dir };
  } finally {
    nemesis.stop();
    router.stop();
    await system.stop();
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(100);
  }
}

/**
 * The state at the end: each register from the directory and the catalog, and each IdP instance's
 * decision for every person and application. Each organisation's objects are read with its key; a
 * person of another organisation than the application's must be unknown to it (404, no access).
 * An IdP is given up to 30 s to agree (a change NATS did not confirm during a fault reaches it when
 * the outbox relay publishes it); what still differs then is reported.
 */
async function readFinal(
  system: ChaosSystem,
  router: Router,
  model: Model,
  organizations: readonly WorkloadOrganization[],
  recorder: Recorder,
): Promise<FinalRead> {
  const atMs = recorder.now();
  const errors: string[] = [];
  const registers: Record<string, boolean> = {};
  const keyOf = (organization: WorkloadOrganization) => ({ headers: { 'x-api-key': organization.apiKey }, timeoutMs: REQUEST_TIMEOUT_MS });
  try {
    for (const organization of organizations) await readRegisters(router, model, organization, registers);
  } catch (error) {
    errors.push((error as Error).message);
  }
  const idpViews: FinalRead['idpViews'] = [];
  for (const instance of system.of('idp')) {
    const deadline = Date.now() + 30_000;
    let access: Record<string, boolean> = {};
    try {
      for (;;) {
        access = {};
        for (const organization of organizations)
          for (const appId of organization.apps)
            for (const userId of model.users) {
              const stranger = !organization.users.includes(userId);
              const preview = await read<{ wouldIssue: boolean; unknown?: true }>(
                async () => {
                  try {
                    return {
                      response: await fetch(`${instance.url}/v1/applications/${appId}/preview?userId=${userId}`, {
                        headers: keyOf(organization).headers,
                        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
                      }),
                    };
                  } catch (error) {
                    return { error };
                  }
                },
                `${instance.name} preview`,
                30_000,
                stranger ? { wouldIssue: false, unknown: true } : undefined,
              );
              if (stranger && preview.unknown !== true)
                errors.push(
                  `${instance.name} answered for ${userId}, a person of another organisation than application ${appId}'s, instead of 404`,
                );
              access[accessKey(userId, appId)] = preview.wouldIssue;
            }
        const agrees = model.users.every((u) =>
          model.apps.every((a) => access[accessKey(u, a)] === accessIn(model, (r) => registers[r] ?? false, u, a)),
        );
        if (agrees || Date.now() > deadline) break;
        await sleep(500);
      }
    } catch (error) {
      errors.push((error as Error).message);
    }
    idpViews.push({ instance: instance.name, access });
  }
  return { atMs, registers, idpViews, errors };
}

/** One organisation's groups' members, people's states and applications' groups, with its key, into `registers`. */
async function readRegisters(
  router: Router,
  model: Model,
  organization: WorkloadOrganization,
  registers: Record<string, boolean>,
): Promise<void> {
  const key = { headers: { 'x-api-key': organization.apiKey }, timeoutMs: REQUEST_TIMEOUT_MS };
  for (const groupId of organization.groups) {
    const page = await read<{ items: { userId: string }[] }>(
      () => router.request('directory', `/v1/user-groups/${groupId}/members?limit=500`, key),
      `members of ${groupId}`,
    );
    const members = new Set(page.items.map((m) => m.userId));
    for (const userId of model.users) registers[memberRegister(userId, groupId)] = members.has(userId);
  }
  for (const userId of organization.users) {
    const user = await read<{ state: string }>(() => router.request('directory', `/v1/users/${userId}`, key), `user ${userId}`);
    registers[activeRegister(userId)] = user.state === 'ACTIVATED';
  }
  for (const appId of organization.apps) {
    const page = await read<{ items: { groupId: string }[] }>(
      () => router.request('catalog', `/v1/applications/${appId}/user-groups?limit=500`, key),
      `groups of ${appId}`,
    );
    const bound = new Set(page.items.map((b) => b.groupId));
    for (const groupId of model.groups) registers[boundRegister(groupId, appId)] = bound.has(groupId);
  }
}
