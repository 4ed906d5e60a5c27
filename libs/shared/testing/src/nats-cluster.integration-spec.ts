import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { eventually } from './eventually';
import { NatsCluster } from './nats-cluster';
import { DOCUMENTED_NATS_PASSWORDS, documentedNatsConfig, natsServerVersion } from './nats-server';

// The helper the cluster tests stand on: three nodes with the documented users, a stream at
// replicas 3, its leader killed with -9 and restarted, and nothing acknowledged lost.
describe('NatsCluster (3 nodes on loopback)', () => {
  const admin = { user: 'test-admin', password: DOCUMENTED_NATS_PASSWORDS.TEST_ADMIN_PASSWORD };
  const cluster = new NatsCluster({ config: documentedNatsConfig(), admin });

  beforeAll(() => cluster.start(), 60_000);
  afterAll(() => cluster.destroy());

  it('runs each node with fsync on every write when the binary has it (2.11+)', async () => {
    const [major, minor] = natsServerVersion();
    assert.equal(new Set(cluster.urls).size, 3);
    for (const node of cluster.nodes) {
      const varz = (await (await fetch(`http://127.0.0.1:${node.monitorPort}/varz`)).json()) as {
        server_name: string;
        jetstream: { config: { sync_always?: boolean } };
      };
      assert.equal(varz.server_name, node.name);
      assert.equal(varz.jetstream.config.sync_always ?? false, major > 2 || minor >= 11);
    }
  });

  it('keeps every acknowledged message through kill -9 of the stream leader and its restart', async () => {
    const nc = await connect({
      servers: cluster.urls,
      user: admin.user,
      pass: admin.password,
      reconnectTimeWait: 100,
      maxReconnectAttempts: -1,
    });
    try {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc, { timeout: 2000 });
      await jsm.streams.add({ name: 'CLUSTERTEST', subjects: ['clustertest.>'], storage: StorageType.File, num_replicas: 3 });
      for (let i = 1; i <= 20; i++) await js.publish('clustertest.a', String(i));

      const leader = await cluster.leaderNode('CLUSTERTEST');
      await leader.kill();
      assert.equal(leader.running, false);
      const next = await cluster.leaderNode('CLUSTERTEST');
      assert.notEqual(next.name, leader.name);

      // Acknowledged by the two that are left: a quorum of three.
      const acked: number[] = [];
      for (let i = 21; i <= 40; i++) {
        acked.push((await eventually(() => js.publish('clustertest.a', String(i)), { timeoutMs: 10_000, intervalMs: 100 })).seq);
      }
      assert.equal(acked.at(-1), 40);

      await cluster.restart(leader);
      const info = await eventually(
        async () => {
          const answer = await cluster.streamInfo('CLUSTERTEST');
          assert.ok(
            answer?.cluster?.replicas?.every((replica) => replica.current),
            'every replica current',
          );
          return answer;
        },
        { timeoutMs: 20_000, intervalMs: 200 },
      );
      assert.equal(info?.config.num_replicas, 3);
      assert.equal(info?.state.last_seq, 40);
      assert.equal(info?.state.messages, 40);
    } finally {
      await nc.close();
    }
  });
});
