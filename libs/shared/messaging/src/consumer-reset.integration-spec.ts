import assert from 'node:assert/strict';
import 'reflect-metadata';
import { Controller, Inject, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { z } from 'zod';
import { ensureDatabase, serviceDataSourceOptions } from '@jit/persistence';
import { PrivateNatsServer, eventually, testEnv } from '@jit/testing';
import { NatsBus } from './bus';
import { BusTransport } from './bus-transport';
import { ConsumerPosition, createConsumerPositionsTable, dropConsumerPositionsTable } from './consumer-position.entity';
import { ConsumerPositions } from './consumer-positions';
import { ConsumerProgress } from './consumer-progress';
import { defineEvent, defineStream } from './contract';
import { OnEvent, OnResync } from './decorators';
import { FreshnessGate } from './freshness';
import { InstanceLease } from './instance-lease';
import type { ResyncResult } from './snapshot';

const Step = defineEvent('reset-test.step.v1', z.object({ n: z.number().int() }));
const STEPS = defineStream('STEPS', ['reset-test.>'], [Step]);
const SERVICE = 'resettest';

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
 * A process that died holding deliveries of its durable consumer (kill -9: nothing acknowledged,
 * nothing nak'd) must not make the next one wait for the consumer's ack wait (30 s): the next
 * holder of the lease resets the consumer to the floor it applied and is fresh at once.
 */
describe.each([
  ["the machine's nats-server", undefined],
  // The version docker-compose ships when NATS_SERVER_BIN names it (npm test does), else the machine's again.
  ['a private nats-server', new PrivateNatsServer()],
])('BusTransport after a consumer died holding deliveries (real PostgreSQL, %s)', (_label, server) => {
  const env = testEnv('reset');
  const natsUrl = () => server?.url ?? env.natsUrl;
  let dataSource: DataSource;
  let publisher: NatsBus;
  const running: { app: INestApplication; bus: NatsBus }[] = [];
  let sent = 0;

  const startInstance = async () => {
    const seen: Seen = { applied: [], resyncs: 0 };
    const bus = await NatsBus.connect({ servers: natsUrl(), prefix: env.natsPrefix, service: SERVICE });
    const lease = await InstanceLease.open({ databaseUrl: env.databaseUrl, bus, consumes: [STEPS] });
    const app = await NestFactory.create(StepModule.forInstance(seen), { logger: false });
    const progress = new ConsumerProgress();
    app.connectMicroservice({
      strategy: new BusTransport({ bus, progress, positions: new ConsumerPositions(dataSource), consumes: [STEPS], lease }),
    });
    await app.startAllMicroservices();
    await app.init();
    running.push({ app, bus });
    return { seen, progress, gate: new FreshnessGate(bus, progress, [STEPS], 100) };
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
  const consumerInfo = () => publisher.jsm.consumers.info(publisher.naming.stream(STEPS.name), SERVICE);

  /**
   * What a process killed while holding deliveries leaves behind: it pulled `count` messages of
   * the durable consumer, acknowledged those in `acked`, and vanished without a word.
   */
  const dieHolding = async (count: number, acked: number[]) => {
    const nc = await connect({ servers: natsUrl() });
    const consumer = await jetstream(nc).consumers.get(publisher.naming.stream(STEPS.name), SERVICE);
    const messages = await consumer.fetch({ max_messages: count, expires: 2000 });
    for await (const msg of messages) {
      if (acked.includes(msg.seq)) await msg.ackAck();
      if (msg.seq >= sent) break;
    }
    await nc.close();
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
    publisher = await NatsBus.connect({ servers: natsUrl(), prefix: env.natsPrefix, service: 'resettest-publisher' });
    await publisher.ensureStream(STEPS);
  });

  afterAll(async () => {
    await stopAll();
    await publisher.close();
    await dataSource.destroy();
    await env.cleanup();
    await server?.destroy();
  });

  it('delivers what the dead process held at once, from the floor it applied: nothing skipped, nothing before it again', async () => {
    const first = await startInstance();
    await publish(3);
    await eventually(() => assert.deepEqual(first.seen.applied, [1, 2, 3]));
    await stopAll();

    await publish(3);
    // 4 and 6 held, 5 acknowledged: the floor stays at 3 until 4 is applied.
    await dieHolding(3, [5]);
    const held = await consumerInfo();
    assert.deepEqual([held.num_ack_pending, held.ack_floor.stream_seq], [2, 3]);

    const started = Date.now();
    const next = await startInstance();
    await eventually(async () => assert.equal((await next.gate.check()).fresh, true), { timeoutMs: 40_000, intervalMs: 20 });
    const freshAfterMs = Date.now() - started;
    assert.ok(freshAfterMs < 3000, `fresh ${freshAfterMs} ms after the start, the ack wait is 30 s`);
    // 5 comes again with 4 and 6: the handlers apply what is newer only.
    assert.deepEqual(next.seen.applied, [4, 5, 6]);
    assert.equal(next.seen.resyncs, 0);
    assert.equal(next.progress.applied(STEPS.name), 6);
    // The same durable consumer, acknowledged up to the end, and it tails on.
    await eventually(async () =>
      assert.deepEqual([(await consumerInfo()).num_ack_pending, (await consumerInfo()).ack_floor.stream_seq], [0, 6]),
    );
    await publish(1);
    await eventually(() => assert.deepEqual(next.seen.applied, [4, 5, 6, 7]));
  });

  it('leaves a consumer with nothing held as it is: a clean restart delivers only what is new', async () => {
    await stopAll();
    const before = await consumerInfo();
    assert.equal(before.num_ack_pending, 0);
    await publish(1);
    const next = await startInstance();
    await eventually(() => assert.deepEqual(next.seen.applied, [8]));
    assert.equal((await consumerInfo()).created.toString(), before.created.toString(), 'not made again');
  });
});
