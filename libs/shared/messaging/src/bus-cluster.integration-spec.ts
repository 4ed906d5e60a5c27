import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { NatsCluster, TEST_NATS_URL, eventually } from '@jit/testing';
import { z } from 'zod';
import { NatsBus } from './bus';
import { defineEvent, defineStream } from './contract';

const Tick = defineEvent('cluster-test.tick.v1', z.object({ n: z.number().int() }), ['n']);
const TICKS = defineStream('TICKS', ['cluster-test.>'], [Tick]);

// The bus against a 3-node JetStream cluster: NATS_URL as a list, streams at NATS_STREAM_REPLICAS,
// an existing stream's replicas changed at start, and no stream state taken from a replica
// while the stream has no leader (the freshness check and /ready would decide from it).
describe('NatsBus on a 3-node cluster', () => {
  const cluster = new NatsCluster();
  const buses: NatsBus[] = [];
  const connectBus = async (replicas: number, prefix: string, servers = cluster.url) => {
    const bus = await NatsBus.connect({ servers, prefix, service: 'clustertest', replicas, publishTimeoutMs: 1000 });
    buses.push(bus);
    return bus;
  };
  const prefix = () => `t_cluster_${randomBytes(4).toString('hex')}`;

  beforeAll(() => cluster.start(), 60_000);
  afterAll(async () => {
    for (const bus of buses) await bus.close().catch(() => undefined);
    await cluster.destroy();
  });

  it('creates streams at NATS_STREAM_REPLICAS, and brings an existing stream to it at start, saying so', async () => {
    const p = prefix();
    const one = await connectBus(1, p);
    await one.ensureStream(TICKS);
    assert.equal((await cluster.streamInfo(`${p}_TICKS`))?.config.num_replicas, 1);

    const warnings: string[] = [];
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(String(message)));
    const three = await connectBus(3, p);
    await three.ensureStream(TICKS);
    warn.mockRestore();
    const info = await cluster.streamInfo(`${p}_TICKS`);
    assert.equal(info?.config.num_replicas, 3);
    assert.ok(warnings.includes(`Stream ${p}_TICKS: replicas changed from 1 to 3 (NATS_STREAM_REPLICAS)`), warnings.join('\n'));
    assert.deepEqual(three.produces, [TICKS]);
  });

  it('refuses, with what to do, replicas on a single server (which would keep one copy and say nothing)', async () => {
    const p = prefix();
    const single = await connectBus(3, p, TEST_NATS_URL);
    await assert.rejects(single.ensureStream(TICKS), {
      message:
        `NATS_STREAM_REPLICAS=3 needs a JetStream cluster, and the server this service reached (127.0.0.1:4222) is a single ` +
        `server, which keeps one copy of stream ${p}_TICKS: point NATS_URL at the cluster's nodes (comma-separated), or set NATS_STREAM_REPLICAS=1`,
    });
    // A consumer that would create the stream for its producer says the same.
    await assert.rejects(single.ensureStreamExists(TICKS), /^Error: NATS_STREAM_REPLICAS=3 needs a JetStream cluster/);
    await assert.rejects(single.jsm.streams.info(`${p}_TICKS`), /stream not found/);
  });

  it('refuses, with what to do, more replicas than the cluster has nodes', async () => {
    const p = prefix();
    await (await connectBus(3, p)).ensureStream(TICKS);
    await assert.rejects((await connectBus(5, p)).ensureStream(TICKS), (error: Error) => {
      assert.match(
        error.message,
        new RegExp(`^stream ${p}_TICKS has 3 replica\\(s\\) and NATS_STREAM_REPLICAS asks for 5, which NATS refused`),
      );
      assert.match(error.message, /set NATS_STREAM_REPLICAS to what the servers in NATS_URL can hold/);
      return true;
    });
    assert.equal((await cluster.streamInfo(`${p}_TICKS`))?.config.num_replicas, 3);
  });

  it("answers the stream's bounds from its leader only, and fails while there is none", async () => {
    const p = prefix();
    const bus = await connectBus(3, p);
    await bus.ensureStream(TICKS);
    for (let n = 1; n <= 5; n++) await bus.publish(Tick, { n }, `tick-${n}`);
    assert.deepEqual(await bus.streamBounds(TICKS), { first: 1, last: 5 });
    await bus.assertWritable(TICKS);

    // Two of three nodes down: no quorum. The last node keeps calling itself the leader for about
    // 10 s, listing the dead as current; that it cannot take writes shows within seconds.
    const leader = await cluster.leaderNode(`${p}_TICKS`);
    const [a, b] = cluster.nodes.filter((node) => node !== leader);
    await a.kill();
    await b.kill();
    const killed = Date.now();
    await eventually(
      async () => {
        await assert.rejects(bus.assertWritable(TICKS), /leader hears from 1 of its 3 replicas \(itself included\), and a write needs 2/);
      },
      { timeoutMs: 6000, intervalMs: 100 },
    );
    assert.ok(Date.now() - killed < 6000);
    // Once it gives up its leadership, it answers STREAM.INFO from its own copy, and that answer
    // must not pass for the stream's state.
    await eventually(
      async () => {
        await assert.rejects(bus.streamBounds(TICKS), /has no leader in the NATS cluster/);
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    await Promise.all([cluster.restart(a), cluster.restart(b)]);
    assert.deepEqual(await eventually(() => bus.streamBounds(TICKS), { timeoutMs: 20_000, intervalMs: 250 }), { first: 1, last: 5 });
    assert.equal(bus.isConnected(), true);
  });
});
