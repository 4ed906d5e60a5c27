import assert from 'node:assert/strict';
import 'reflect-metadata';
import { Controller, Inject, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { z } from 'zod';
import { ensureDatabase, serviceDataSourceOptions } from '@jit/persistence';
import { eventually, testEnv } from '@jit/testing';
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

const Bump = defineEvent('lease-test.bump.v1', z.object({ n: z.number().int() }));
const BUMPS = defineStream('BUMPS', ['lease-test.>'], [Bump]);
const SERVICE = 'leasetest';

class CreatePositions1764300000000 implements MigrationInterface {
  name = 'CreatePositions1764300000000';
  async up(q: QueryRunner) {
    await createConsumerPositionsTable(q, SERVICE);
  }
  async down(q: QueryRunner) {
    await dropConsumerPositionsTable(q, SERVICE);
  }
}

/** What one instance saw: the events its handler applied and the resyncs it ran. */
interface Seen {
  applied: number[];
  resyncs: number;
}
const SEEN = Symbol('SEEN');

@Controller()
class BumpHandler {
  constructor(@Inject(SEEN) private readonly seen: Seen) {}

  @OnEvent(Bump)
  handle(@Payload() payload: { n: number }): Promise<void> {
    this.seen.applied.push(payload.n);
    return Promise.resolve();
  }

  @OnResync(BUMPS)
  resync(): Promise<ResyncResult> {
    this.seen.resyncs += 1;
    return Promise.resolve({ applied: 0, tombstoned: 0 });
  }
}

@Module({})
class BumpModule {
  static forInstance(seen: Seen): DynamicModule {
    return { module: BumpModule, controllers: [BumpHandler], providers: [{ provide: SEEN, useValue: seen }] };
  }
}

/** Remembers every reason it was suspended for, however short the suspension. */
class RecordingProgress extends ConsumerProgress {
  readonly suspensions: string[] = [];
  override suspend(reason: string): void {
    this.suspensions.push(reason);
    super.suspend(reason);
  }
}

/** One instance of the service: its own NATS connection and lease connection, the shared database and prefix. */
interface Instance {
  seen: Seen;
  progress: RecordingProgress;
  bus: NatsBus;
  lease: InstanceLease;
  app: INestApplication;
  fresh(): ReturnType<FreshnessGate['check']>;
}

describe('InstanceLease: one instance consumes (real PostgreSQL and NATS)', () => {
  const env = testEnv('lease');
  let dataSource: DataSource;
  let publisher: NatsBus;
  const instances: Instance[] = [];

  const startInstance = async (): Promise<Instance> => {
    const seen: Seen = { applied: [], resyncs: 0 };
    const bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: SERVICE });
    // Retried every 100 ms, checked every 50 ms: the test does not wait for the production pace.
    const lease = await InstanceLease.open({ databaseUrl: env.databaseUrl, bus, consumes: [BUMPS], retryMs: 100, checkMs: 50 });
    const app = await NestFactory.create(BumpModule.forInstance(seen), { logger: false });
    const progress = new RecordingProgress();
    app.connectMicroservice({
      strategy: new BusTransport({ bus, progress, positions: new ConsumerPositions(dataSource), consumes: [BUMPS], lease }),
    });
    await app.startAllMicroservices();
    await app.init();
    const gate = new FreshnessGate(bus, progress, [BUMPS], 1000);
    const instance = { seen, progress, bus, lease, app, fresh: () => gate.check() };
    instances.push(instance);
    return instance;
  };
  const stopInstance = async (instance: Instance) => {
    await instance.app.close();
    await instance.bus.close();
    instances.splice(instances.indexOf(instance), 1);
  };
  let sent = 0;
  const publish = async (count: number) => {
    for (let i = 0; i < count; i++) {
      sent += 1;
      await publisher.publish(Bump, { n: sent }, `bump-${sent}`);
    }
  };
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  beforeAll(async () => {
    await ensureDatabase(env.databaseUrl, SERVICE);
    dataSource = new DataSource(
      serviceDataSourceOptions({
        url: env.databaseUrl,
        schema: SERVICE,
        entities: [ConsumerPosition],
        migrations: [CreatePositions1764300000000],
      }),
    );
    await dataSource.initialize();
    publisher = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'leasetest-publisher' });
    await publisher.ensureStream(BUMPS);
  });

  afterAll(async () => {
    for (const instance of [...instances]) await stopInstance(instance);
    await publisher.close();
    await dataSource.destroy();
    await env.cleanup();
  });

  let first: Instance;
  let second: Instance;

  it('refuses the lease to a second instance: it consumes nothing, is neither ready nor fresh, and says why', async () => {
    first = await startInstance();
    assert.equal(first.lease.held, true);
    second = await startInstance();
    assert.equal(second.lease.held, false);
    const refusal =
      `another instance of leasetest holds the consumer lease for the durable consumer "leasetest" on ${env.natsPrefix}_BUMPS; ` +
      'this instance refuses to serve until it is the only one: run one instance per service';
    assert.equal(second.progress.suspension(), refusal);

    await publish(20);
    await eventually(() => assert.deepEqual(first.seen.applied, upTo(20)));
    assert.equal((await first.fresh()).fresh, true);
    assert.deepEqual(second.seen.applied, [], 'every event went to the holder');
    assert.equal(second.progress.isReady('BUMPS'), false);
    assert.deepEqual(await second.fresh(), { fresh: false, reason: refusal, lag: {} });
  });

  it('lets the second take over once the first has stopped: it rebuilds from a snapshot first, then tails and is fresh', async () => {
    await stopInstance(first);
    await eventually(() => assert.equal(second.lease.held, true), { timeoutMs: 5000 });
    await eventually(() => assert.equal(second.seen.resyncs, 1));
    await eventually(() => assert.equal(second.progress.isReady('BUMPS'), true));
    assert.equal(second.progress.suspension(), null);
    await publish(1);
    await eventually(() => assert.deepEqual(second.seen.applied, [21]));
    assert.equal((await second.fresh()).fresh, true);
  });

  it('stops deciding when its lease connection is cut, and takes the lease again with a resync', async () => {
    const resyncs = second.seen.resyncs;
    const [cut] = await dataSource.query<{ cut: boolean }[]>(
      `SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
      [`${SERVICE} consumer lease`],
    );
    assert.equal(cut?.cut, true);
    await eventually(() => assert.equal(second.progress.suspensions.length, 2));
    assert.match(
      second.progress.suspensions[1] ?? '',
      /^lost the consumer lease for the durable consumer "leasetest" on \S+_BUMPS \(its database connection failed: .+\); this instance refuses to serve until it holds it again$/,
    );
    // Nobody else wants it: the same instance takes it again and rebuilds, as any new holder does.
    await eventually(() => assert.equal(second.seen.resyncs, resyncs + 1), { timeoutMs: 5000 });
    await eventually(() => assert.equal(second.progress.isReady('BUMPS'), true));
    await publish(1);
    await eventually(() => assert.deepEqual(second.seen.applied, [21, 22]));
    assert.equal((await second.fresh()).fresh, true);
  });
});
