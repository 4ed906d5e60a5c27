import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DOCUMENTED_NATS_PASSWORDS as PASSWORDS, NatsCluster, natsServerVersion } from '@jit/testing';
import { NatsBus } from './bus';
import { defineStream } from './contract';

const ROOT = resolve(__dirname, '../../../..');
const NODE_FILES = [1, 2, 3].map((n) => resolve(ROOT, `deploy/nats-cluster/nats-${n}.conf`));
/** The directory's stream as docs/nats-permissions.md names it (no prefix): its user may create it. */
const DIRECTORY = defineStream('DIRECTORY', ['directory.>'], []);

const [major, minor] = natsServerVersion();
// The node files set sync_interval, which nats-server accepts from 2.11 on (docker-compose ships 2.12).
const describeOnCurrentNats = major > 2 || minor >= 11 ? describe : describe.skip;

/**
 * docker-compose.nats-cluster.yml's three node files, run with the same nats-server version as
 * the image: unchanged but for what differs on loopback (addresses, ports, store, routes, given
 * on the command line). No Docker runs here; this is how they are known to form a cluster with
 * the documented users, fsync on every write, and streams at replicas 3.
 */
describeOnCurrentNats('deploy/nats-cluster (the docker-compose cluster profile) with the image version', () => {
  const cluster = new NatsCluster({
    configFiles: NODE_FILES,
    names: ['nats-1', 'nats-2', 'nats-3'],
    env: {
      DIRECTORY_NATS_PASSWORD: PASSWORDS.DIRECTORY_NATS_PASSWORD,
      CATALOG_NATS_PASSWORD: PASSWORDS.CATALOG_NATS_PASSWORD,
      IDP_NATS_PASSWORD: PASSWORDS.IDP_NATS_PASSWORD,
      CONSOLE_NATS_PASSWORD: PASSWORDS.CONSOLE_NATS_PASSWORD,
      HR_FEED_PASSWORD: PASSWORDS.HR_FEED_PASSWORD,
    },
    admin: { user: 'directory', password: PASSWORDS.DIRECTORY_NATS_PASSWORD, inboxPrefix: '_INBOX_directory' },
  });
  let directory: NatsBus | undefined;

  beforeAll(() => cluster.start(), 60_000);
  afterAll(async () => {
    await directory?.close();
    await cluster.destroy();
  });

  it('differ only in server_name, and include deploy/nats.conf unchanged', () => {
    const settings = (text: string) => text.split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
    const files = NODE_FILES.map((file) => settings(readFileSync(file, 'utf8')));
    for (const [i, lines] of files.entries()) {
      assert.deepEqual(
        lines,
        files[0].map((line) => line.replace('server_name: nats-1', `server_name: nats-${i + 1}`)),
        `node ${i + 1}`,
      );
      assert.equal(lines[0], 'include ../nats.conf');
    }
  });

  it('are what docker-compose.nats-cluster.yml runs: the image of docker-compose.yml, a file per node, the services on all three at replicas 3', () => {
    const image = (text: string) => [...text.matchAll(/^\s*image:\s*(nats:\S+)\s*$/gm)].map((match) => match[1]);
    const override = readFileSync(resolve(ROOT, 'docker-compose.nats-cluster.yml'), 'utf8');
    assert.deepEqual(image(override), image(readFileSync(resolve(ROOT, 'docker-compose.yml'), 'utf8')));
    for (const n of [1, 2, 3]) {
      assert.ok(override.includes(`- ./deploy/nats-cluster/nats-${n}.conf:/etc/nats/nats-cluster/nats-${n}.conf:ro`), `node ${n}'s file`);
      assert.ok(override.includes(`command: ['-c', '/etc/nats/nats-cluster/nats-${n}.conf']`), `node ${n}'s command`);
    }
    // The routes name the compose services, and so does NATS_URL.
    const routes = /routes: \[(.*)\]/.exec(readFileSync(NODE_FILES[0], 'utf8'))?.[1];
    assert.equal(routes, 'nats-route://nats:6222, nats-route://nats-2:6222, nats-route://nats-3:6222');
    assert.match(override, /^\s*NATS_URL: nats:\/\/nats:4222,nats:\/\/nats-2:4222,nats:\/\/nats-3:4222$/m);
    assert.match(override, /^\s*NATS_STREAM_REPLICAS: '3'$/m);
    for (const service of ['nats', 'nats-2', 'nats-3', 'directory', 'catalog', 'idp', 'console']) {
      assert.match(override, new RegExp(`^  ${service}:$`, 'm'), service);
    }
  });

  it('form one cluster, each node fsyncing every write and knowing the documented users', async () => {
    for (const node of cluster.nodes) {
      const varz = (await (await fetch(`http://127.0.0.1:${node.monitorPort}/varz`)).json()) as {
        server_name: string;
        cluster: { name: string };
        jetstream: { config: { sync_always?: boolean } };
        auth_required?: boolean;
      };
      assert.equal(varz.server_name, node.name);
      assert.equal(varz.cluster.name, 'jit');
      assert.equal(varz.jetstream.config.sync_always, true);
      assert.equal(varz.auth_required, true);
    }
  });

  it("take the directory's stream at replicas 3 from the directory's own user, with a leader and two current replicas", async () => {
    directory = await NatsBus.connect({
      servers: cluster.url,
      prefix: '',
      service: 'directory',
      user: 'directory',
      password: PASSWORDS.DIRECTORY_NATS_PASSWORD,
      inboxPrefix: '_INBOX_directory',
      replicas: 3,
    });
    await directory.ensureStream(DIRECTORY);
    const info = await cluster.streamInfo('DIRECTORY');
    assert.equal(info?.config.num_replicas, 3);
    assert.ok(info?.cluster?.leader && ['nats-1', 'nats-2', 'nats-3'].includes(info.cluster.leader));
    assert.equal(info?.cluster?.replicas?.length, 2);
    await assert.rejects(
      NatsBus.connect({ servers: cluster.url, prefix: '', service: 'anonymous', publishTimeoutMs: 1000 }),
      /Authorization Violation/i,
    );
  });
});
