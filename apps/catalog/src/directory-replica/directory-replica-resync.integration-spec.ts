import assert from 'node:assert/strict';
import { Client } from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { adminClient, eventually, startInEnv, testEnv, type ServiceProcess } from '@jit/testing';

const BOOTSTRAP = 'catalog-resync-bootstrap-key-0123456';

/**
 * SECURITY.md: a consumer that finds the stream trimmed past what it applied resyncs from a
 * snapshot, then tails. The catalog is stopped, the directory changes, the DIRECTORY stream loses
 * those events, and the restarted catalog's copy must still equal the directory.
 */
describe("the catalog's copy of the directory after the DIRECTORY stream was trimmed (real PostgreSQL and NATS)", () => {
  const env = testEnv('catresync');
  let directory: ServiceProcess;
  let catalog: ServiceProcess | undefined;
  let db: Client;
  const call = adminClient(() => '', BOOTSTRAP);
  const ok = async (method: string, url: string, body?: unknown) => {
    const res = await call(method, url, body);
    assert.ok(res.status >= 200 && res.status < 300, `${method} ${url} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const dir = (method: string, path: string, body?: unknown) => ok(method, `${directory.url}${path}`, body);
  const user = async (username: string) =>
    String((await dir('POST', '/v1/users', { username, email: `${username}@example.com`, firstname: username, lastname: 'Smith' })).id);
  const streamName = () => `${env.natsPrefix}_DIRECTORY`;
  const withStream = async (work: (jsm: Awaited<ReturnType<typeof jetstreamManager>>) => Promise<unknown>) => {
    const nc = await connect({ servers: env.natsUrl });
    try {
      await work(await jetstreamManager(nc));
    } finally {
      await nc.close();
    }
  };

  /** Both sides as comparable rows: live users (id, version, lastname, state), groups, active memberships. */
  const directoryState = async () => ({
    users: (await db.query(`SELECT id, version, lastname, state FROM directory.users ORDER BY id`)).rows,
    groups: (await db.query(`SELECT id, version FROM directory.user_groups ORDER BY id`)).rows,
    memberships: (await db.query(`SELECT group_id, user_id, version FROM directory.memberships WHERE active ORDER BY group_id, user_id`))
      .rows,
  });
  const replicaState = async () => ({
    users: (
      await db.query(
        `SELECT id, version, profile->>'lastname' AS lastname, profile->>'state' AS state
           FROM catalog.directory_users WHERE NOT deleted ORDER BY id`,
      )
    ).rows,
    groups: (await db.query(`SELECT id, version FROM catalog.directory_groups WHERE NOT deleted ORDER BY id`)).rows,
    memberships: (
      await db.query(`SELECT group_id, user_id, version FROM catalog.directory_memberships WHERE active ORDER BY group_id, user_id`)
    ).rows,
  });
  const replicaEqualsDirectory = () =>
    eventually(async () => assert.deepEqual(await replicaState(), await directoryState()), { timeoutMs: 5000 });

  beforeAll(async () => {
    directory = await startInEnv('directory', env, BOOTSTRAP);
    catalog = await startInEnv('catalog', env, BOOTSTRAP);
    db = new Client({ connectionString: env.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await catalog?.stop();
    await directory.stop();
    await db.end();
    await env.cleanup();
  });

  it('rebuilds the copy from the snapshot after a purge (deletions and a membership removal made while away included), then tails on', async () => {
    const [ada, bob, cy] = [await user('ada'), await user('bob'), await user('cy')];
    const eng = String((await dir('POST', '/v1/user-groups', { name: 'Eng' })).id);
    const ops = String((await dir('POST', '/v1/user-groups', { name: 'Ops' })).id);
    for (const [group, member] of [
      [eng, ada],
      [eng, bob],
      [ops, cy],
    ] as const)
      await dir('POST', `/v1/user-groups/${group}/members`, { userId: member });
    const app = String(
      (
        await ok('POST', `${catalog?.url}/v1/applications`, {
          connectorId: 'saml2',
          name: 'Ops tool',
          spEntityId: 'https://ops.example.com/saml/metadata',
          acsUrls: ['https://ops.example.com/saml/acs'],
        })
      ).id,
    );
    await ok('POST', `${catalog?.url}/v1/applications/${app}/user-groups`, { groupId: ops });
    await replicaEqualsDirectory();

    await catalog?.stop();
    await dir('DELETE', `/v1/user-groups/${eng}/members/${bob}`);
    await dir('DELETE', `/v1/users/${cy}`);
    await dir('PATCH', `/v1/users/${ada}`, { lastname: 'Lovelace' });
    await dir('DELETE', `/v1/user-groups/${ops}`);
    const dan = await user('dan');
    await dir('POST', `/v1/user-groups/${eng}/members`, { userId: dan });
    // Every event of those changes is gone before the catalog comes back.
    await withStream((jsm) => jsm.streams.purge(streamName()));

    catalog = await startInEnv('catalog', env, BOOTSTRAP);
    // Ready means resynced: no waiting needed for the copy.
    assert.deepEqual(await replicaState(), await directoryState());
    const [cyRow] = (await db.query<{ deleted: boolean }>(`SELECT deleted FROM catalog.directory_users WHERE id = $1`, [cy])).rows;
    assert.deepEqual(cyRow, { deleted: true });
    const [bobInEng] = (
      await db.query<{ active: boolean }>(`SELECT active FROM catalog.directory_memberships WHERE group_id = $1 AND user_id = $2`, [
        eng,
        bob,
      ])
    ).rows;
    assert.deepEqual(bobInEng, { active: false });
    // The group deleted while away went with its binding, as its deletion event would have taken it.
    assert.deepEqual((await ok('GET', `${catalog.url}/v1/applications/${app}/user-groups`)).items, []);
    assert.match(catalog.output(), /"stream":"DIRECTORY".*"ackFloor":\d+.*"firstSeq":\d+/);

    await dir('POST', `/v1/user-groups/${eng}/members`, { userId: bob });
    await dir('PATCH', `/v1/users/${dan}`, { state: 'SUSPENDED' });
    await replicaEqualsDirectory();
  });

  it('also after the stream dropped old messages under a max_msgs limit while the catalog was down', async () => {
    await catalog?.stop();
    await withStream((jsm) => jsm.streams.update(streamName(), { max_msgs: 2 }));
    const eve = await user('eve');
    const eng = String((await dir('POST', '/v1/user-groups', { name: 'Eng 2' })).id);
    await dir('POST', `/v1/user-groups/${eng}/members`, { userId: eve });
    await dir('PATCH', `/v1/users/${eve}`, { department: 'Research' });
    await dir('DELETE', `/v1/user-groups/${eng}/members/${eve}`);

    catalog = await startInEnv('catalog', env, BOOTSTRAP);
    assert.deepEqual(await replicaState(), await directoryState());
    const [eveInEng] = (
      await db.query<{ active: boolean }>(`SELECT active FROM catalog.directory_memberships WHERE group_id = $1 AND user_id = $2`, [
        eng,
        eve,
      ])
    ).rows;
    assert.deepEqual(eveInEng, { active: false });
  });
});
