import assert from 'node:assert/strict';
import 'reflect-metadata';
import { Controller, Inject, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { connect } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { z } from 'zod';
import { dropDatabase, ensureDatabase, serviceDataSourceOptions } from '@jit/persistence';
import { NatsCluster, PrivateNatsServer, eventually, testEnv } from '@jit/testing';
import { NatsBus } from './bus';
import { BusTransport } from './bus-transport';
import { ConsumerPosition, createConsumerPositionsTable, dropConsumerPositionsTable } from './consumer-position.entity';
import { ConsumerPositions } from './consumer-positions';
import { ConsumerProgress } from './consumer-progress';
import { defineEvent, defineStream } from './contract';
import { OnEvent, OnResync } from './decorators';
import { FreshnessGate } from './freshness';
import type { ResyncResult } from './snapshot';

const Step = defineEvent('instance-test.step.v1', z.object({ n: z.number().int() }), ['n']);
const STEPS = defineStream('STEPS', ['instance-test.>'], [Step]);
const SERVICE = 'instancetest';

class CreatePositions1764400000000 implements MigrationInterface {
  name = 'CreatePositions1764400000000';
  async up(q: QueryRunner) {
    await createConsumerPositionsTable(q, SERVICE);
  }
  async down(q: QueryRunner) {
    await dropConsumerPositionsTable(q, SERVICE);
  }
}

interface Seen {
  applied: number[];
  resyncs: number;
}
const SEEN = Symbol('SEEN');

@Controller()
class StepHandler {
  constructor(@Inject(SEEN) private readonly seen: Seen) {}

  @OnEvent(Step)
  handle(@Payload() payload: { n: number }): Promise<void> {
    this.seen.applied.push(payload.n);
    return Promise.resolve();
  }

  @OnResync(STEPS)
  resync(): Promise<ResyncResult> {
    this.seen.resyncs += 1;
    return Promise.resolve({ applied: 0, tombstoned: 0 });
  }
}

@Module({})
class StepModule {
  static forInstance(seen: Seen): DynamicModule {
    return { module: StepModule, controllers: [StepHandler], providers: [{ provide: SEEN, useValue: seen }] };
  }
}

/**
 * Every process consumes through a consumer of its own (docs/decisions/0008): two instances each
 * apply every event, a process killed holding deliveries holds nobody else (no ack wait), and a
 * process that stops deletes its consumers.
 */
describe.each([
  ["the machine's nats-server", undefined],
  // The version docker-compose ships when NATS_SERVER_BIN names it (npm test does), else the machine's again.
  ['a private nats-server', new PrivateNatsServer()],
])('BusTransport with a consumer per process (real PostgreSQL, %s)', (_label, server) => {
  const env = testEnv('instance');
  const natsUrl = () => server?.url ?? env.natsUrl;
  let dataSource: DataSource;
  let publisher: NatsBus;
  const running: { app: INestApplication; bus: NatsBus }[] = [];
  let sent = 0;

  const startInstance = async () => {
    const seen: Seen = { applied: [], resyncs: 0 };
    const bus = await NatsBus.connect({ servers: natsUrl(), prefix: env.natsPrefix, service: SERVICE });
    const app = await NestFactory.create(StepModule.forInstance(seen), { logger: false });
    const progress = new ConsumerProgress();
    const transport = new BusTransport({ bus, progress, positions: new ConsumerPositions(dataSource), consumes: [STEPS] });
    app.connectMicroservice({ strategy: transport });
    await app.startAllMicroservices();
    await app.init();
    running.push({ app, bus });
    return { seen, progress, gate: new FreshnessGate(bus, progress, [STEPS], 100), name: transport.consumerName };
  };
  const stopAll = async () => {
    for (const { app, bus } of running.splice(0)) {
      await app.close();
      await bus.close();
    }
  };
  const publish = async (count: number) => {
    for (let i = 0; i < count; i++) {
      sent += 1;
      await publisher.publish(Step, { n: sent }, `step-${sent}`);
    }
  };
  const consumerNames = async () => {
    const names: string[] = [];
    for await (const c of publisher.jsm.consumers.list(publisher.naming.stream(STEPS.name))) names.push(c.name);
    return names.sort();
  };

  /**
   * What a process killed while holding deliveries leaves behind: its own consumer, from `from`,
   * `count` messages pulled and never acknowledged.
   */
  const dieHolding = async (from: number, count: number) => {
    const stream = publisher.naming.stream(STEPS.name);
    await publisher.jsm.consumers.add(stream, {
      durable_name: `${SERVICE}_dead`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: from,
      ack_wait: 30_000_000_000,
    });
    const nc = await connect({ servers: natsUrl() });
    const consumer = await jetstream(nc).consumers.get(stream, `${SERVICE}_dead`);
    const messages = await consumer.fetch({ max_messages: count, expires: 2000 });
    for await (const msg of messages) if (msg.seq >= sent) break;
    await nc.close();
    return (await publisher.jsm.consumers.info(stream, `${SERVICE}_dead`)).num_ack_pending;
  };

  beforeAll(async () => {
    await server?.start();
    await ensureDatabase(env.databaseUrl, SERVICE);
    dataSource = new DataSource(
      serviceDataSourceOptions({
        url: env.databaseUrl,
        schema: SERVICE,
        entities: [ConsumerPosition],
        migrations: [CreatePositions1764400000000],
      }),
    );
    await dataSource.initialize();
    publisher = await NatsBus.connect({ servers: natsUrl(), prefix: env.natsPrefix, service: 'instancetest-publisher' });
    await publisher.ensureStream(STEPS);
  });

  afterAll(async () => {
    await stopAll();
    await publisher.close();
    await dataSource.destroy();
    await env.cleanup();
    await server?.destroy();
  });

  it('gives every event to each of two instances, each fresh from what it applied itself', async () => {
    const a = await startInstance();
    const b = await startInstance();
    assert.notEqual(a.name, b.name);
    await publish(3);
    await eventually(() =>
      assert.deepEqual(
        [a.seen.applied, b.seen.applied],
        [
          [1, 2, 3],
          [1, 2, 3],
        ],
      ),
    );
    assert.deepEqual([(await a.gate.check()).fresh, (await b.gate.check()).fresh], [true, true]);
    assert.deepEqual(await consumerNames(), [a.name, b.name].sort());
    await stopAll();
    // A process that stops deletes its consumers.
    assert.deepEqual(await consumerNames(), []);
  });

  it('starts the next process from the floor recorded, at once, whatever a killed one held', async () => {
    await publish(3);
    // 4, 5 and 6 held by a process that is gone: its consumer waits for the ack wait, nobody else does.
    assert.equal(await dieHolding(4, 3), 3);

    const started = Date.now();
    const next = await startInstance();
    await eventually(async () => assert.equal((await next.gate.check()).fresh, true), { timeoutMs: 40_000, intervalMs: 20 });
    const freshAfterMs = Date.now() - started;
    assert.ok(freshAfterMs < 3000, `fresh ${freshAfterMs} ms after the start, the ack wait is 30 s`);
    // From the floor the earlier instances recorded (3): nothing skipped, nothing before it again.
    assert.deepEqual(next.seen.applied, [4, 5, 6]);
    assert.equal(next.seen.resyncs, 0);
    await publish(1);
    await eventually(() => assert.deepEqual(next.seen.applied, [4, 5, 6, 7]));
    await publisher.jsm.consumers.delete(publisher.naming.stream(STEPS.name), `${SERVICE}_dead`);
  });
});

/**
 * In a 3-node cluster each process's consumer has one replica (its position is in the service's
 * database): when its node dies it goes silent, and the process makes it again on a live node
 * from what it applied, instead of waiting for the node, an election or the ack wait.
 */
describe('BusTransport on a 3-node cluster (real PostgreSQL)', () => {
  const env = testEnv('instancecluster');
  const cluster = new NatsCluster();
  let dataSource: DataSource;
  let publisher: NatsBus;
  let app: INestApplication | undefined;
  let bus: NatsBus | undefined;

  beforeAll(async () => {
    await cluster.start();
    await ensureDatabase(env.databaseUrl, SERVICE);
    dataSource = new DataSource(
      serviceDataSourceOptions({
        url: env.databaseUrl,
        schema: SERVICE,
        entities: [ConsumerPosition],
        migrations: [CreatePositions1764400000000],
      }),
    );
    await dataSource.initialize();
    publisher = await NatsBus.connect({ servers: cluster.url, prefix: env.natsPrefix, service: 'instancetest-publisher', replicas: 3 });
    await publisher.ensureStream(STEPS);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await bus?.close();
    await publisher.close();
    await dataSource.destroy();
    await dropDatabase(env.databaseUrl).catch(() => undefined);
    await cluster.destroy();
  });

  it('makes a consumer whose node died again on a live node, from what it applied, and goes on', async () => {
    const seen: Seen = { applied: [], resyncs: 0 };
    bus = await NatsBus.connect({ servers: cluster.url, prefix: env.natsPrefix, service: SERVICE, replicas: 3 });
    app = await NestFactory.create(StepModule.forInstance(seen), { logger: false });
    const progress = new ConsumerProgress();
    const transport = new BusTransport({ bus, progress, positions: new ConsumerPositions(dataSource), consumes: [STEPS] });
    app.connectMicroservice({ strategy: transport });
    await app.startAllMicroservices();
    await app.init();
    for (let n = 1; n <= 3; n++) await publisher.publish(Step, { n }, `cluster-step-${n}`);
    // Deduplicated: on a loaded machine a consumer may be made again before any kill, and what
    // comes again changes nothing.
    await eventually(() => assert.deepEqual([...new Set(seen.applied)], [1, 2, 3]), { timeoutMs: 15_000 });

    const streamName = publisher.naming.stream(STEPS.name);
    const before = await publisher.jsm.consumers.info(streamName, transport.consumerName);
    assert.equal(before.config.num_replicas, 1);
    const host = cluster.node(before.cluster?.leader ?? '');
    await host.kill();
    for (let n = 4; n <= 6; n++) {
      await eventually(() => publisher.publish(Step, { n }, `cluster-step-${n}`), { timeoutMs: 20_000, intervalMs: 200 });
    }
    // Without the remake they never come: the consumer is on the dead node.
    await eventually(() => assert.deepEqual([...new Set(seen.applied)], [1, 2, 3, 4, 5, 6]), { timeoutMs: 45_000, intervalMs: 100 });
    const after = await publisher.jsm.consumers.info(streamName, transport.nameOf(STEPS));
    assert.notEqual(after.cluster?.leader, host.name);
    assert.equal(seen.resyncs, 0);
  });
});
