import assert from 'node:assert/strict';
import 'reflect-metadata';
import { Controller, Get, Module, NotFoundException, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { z } from 'zod';
import {
  BusTransport,
  ConsumerPositions,
  ConsumerProgress,
  NatsBus,
  OnEvent,
  OnResync,
  createConsumerPositionsTable,
  createOutboxTable,
  defineEvent,
  defineStream,
  type ResyncResult,
} from '@jit/messaging';
import { baseConfigSchema } from '@jit/config';
import { ensureDatabase } from '@jit/persistence';
import { eventually, metricValue, testEnv } from '@jit/testing';
import { ServiceKitModule } from './service-kit.module';

const Tick = defineEvent('kit.tick.v1', z.object({ n: z.number().int() }));
const STREAM = defineStream('KIT', ['kit.>'], [Tick]);
const SCHEMA = 'kittest';

class CreateOutbox1764300000000 implements MigrationInterface {
  name = 'CreateOutbox1764300000000';
  async up(q: QueryRunner) {
    await createOutboxTable(q, SCHEMA);
    await createConsumerPositionsTable(q, SCHEMA);
  }
  down() {
    return Promise.resolve();
  }
}

/** Holds every event from `stallAt` on until `release()`: a consumer that stops keeping up. */
let stallAt = Number.POSITIVE_INFINITY;
let release: () => void = () => undefined;
const released = new Promise<void>((resolve) => (release = resolve));

@Controller()
class TickHandler {
  @OnEvent(Tick)
  async handle(@Payload() payload: { n: number }): Promise<void> {
    if (payload.n >= stallAt) await released;
  }

  /** The stream is never trimmed here; every consumer must still say how it would resync. */
  @OnResync(STREAM)
  resync(): Promise<ResyncResult> {
    return Promise.resolve({ applied: 0, tombstoned: 0 });
  }
}

/** A route with a parameter: its label must be the pattern, not the URL. */
@Controller('things')
class ThingsController {
  @Get(':id')
  thing(@Param('id') id: string): { id: string } {
    if (id === 'missing') throw new NotFoundException();
    return { id };
  }
}

const scrape = async (base: string) => {
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return res.text();
};

describe('the service kit on a real PostgreSQL and NATS: /ready and /metrics', () => {
  const env = testEnv('servicekit');
  let bus: NatsBus;
  let app: NestFastifyApplication;
  let base = '';

  beforeAll(async () => {
    await ensureDatabase(env.databaseUrl, SCHEMA);
    bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'kittest' });
    await bus.ensureStream(STREAM);
    const config = baseConfigSchema.parse({
      DATABASE_URL: env.databaseUrl,
      LOG_LEVEL: 'silent',
      READY_MAX_LAG: '2',
      READY_LAG_WAIT_MS: '100',
    });
    @Module({
      imports: [
        ServiceKitModule.forRoot({
          service: 'kittest',
          config,
          schema: SCHEMA,
          entities: [],
          migrations: [CreateOutbox1764300000000],
          bus,
          outbox: true,
          consumes: [STREAM],
        }),
      ],
      controllers: [TickHandler, ThingsController],
    })
    class KitTestModule {}
    app = await NestFactory.create<NestFastifyApplication>(KitTestModule, new FastifyAdapter(), { logger: false });
    app.connectMicroservice({
      strategy: new BusTransport({
        bus,
        progress: app.get(ConsumerProgress),
        positions: app.get(ConsumerPositions),
        consumes: [STREAM],
        retryDelayMs: 50,
      }),
    });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    release();
    await app.close();
    await env.cleanup();
  });

  const ready = async () => {
    const res = await fetch(`${base}/ready`);
    return { status: res.status, body: (await res.json()) as { checks: { consumers: Record<string, unknown> }; reasons?: string[] } };
  };
  const publish = async (from: number, count: number) => {
    for (let n = from; n < from + count; n += 1) await bus.publish(Tick, { n }, `tick-${n}`);
  };

  it("reads the stream's last sequence from JetStream at each call and reports the lag", async () => {
    await publish(1, 3);
    await eventually(async () => {
      const { status, body } = await ready();
      assert.equal(status, 200);
      assert.deepEqual(body.checks.consumers, { KIT: { ready: true, resyncing: false, applied: 3, last: 3, lag: 0 } });
    });
  });

  it('answers 503 with the reason while the consumer stays more than READY_MAX_LAG behind, and 200 once it catches up', async () => {
    stallAt = 4;
    await publish(4, 4);
    const stuck = await ready();
    assert.equal(stuck.status, 503);
    assert.deepEqual(stuck.body.checks.consumers, { KIT: { ready: true, resyncing: false, applied: 3, last: 7, lag: 4 } });
    assert.deepEqual(stuck.body.reasons, ['consumer of KIT is 4 messages behind (more than 2 for 100 ms)']);
    release();
    await eventually(async () => assert.equal((await ready()).status, 200));
  });

  it('counts HTTP answers by method, route pattern and status, with their duration', async () => {
    for (const id of ['a', 'b', 'missing']) await fetch(`${base}/things/${id}`);
    await fetch(`${base}/no/such/path/42`);
    const text = await scrape(base);
    const ok = { method: 'GET', route: '/things/:id', status: '200' };
    assert.equal(metricValue(text, 'jit_http_requests_total', ok), 2);
    assert.equal(metricValue(text, 'jit_http_requests_total', { ...ok, status: '404' }), 1);
    assert.equal(metricValue(text, 'jit_http_requests_total', { method: 'GET', route: '(unmatched)', status: '404' }), 1);
    assert.equal(metricValue(text, 'jit_http_request_duration_seconds_count', ok), 2);
    assert.equal(metricValue(text, 'jit_http_request_duration_seconds_bucket', { ...ok, le: '+Inf' }), 2);
    assert.ok((metricValue(text, 'jit_http_request_duration_seconds_sum', ok) ?? 0) > 0);
    assert.doesNotMatch(text, /things\/a"/, 'no URL becomes a label');
    assert.ok(metricValue(text, 'process_cpu_user_seconds_total') !== undefined, "Node's process metrics are there too");
    // Sampled every EVENT_LOOP_SAMPLE_MS: the service has run long enough for some samples.
    assert.ok((metricValue(text, 'nodejs_eventloop_lag_p99_seconds') ?? 0) > 0, 'the event-loop lag is measured');
  });

  it("reads each consumed stream's applied and last sequence and the lag at scrape time", async () => {
    stallAt = Number.POSITIVE_INFINITY;
    await eventually(async () => assert.equal((await ready()).status, 200));
    const last = await bus.lastSequence(STREAM);
    let text = await scrape(base);
    assert.equal(metricValue(text, 'jit_stream_last_sequence', { stream: 'KIT' }), last);
    assert.equal(metricValue(text, 'jit_consumer_applied_sequence', { stream: 'KIT' }), last);
    assert.equal(metricValue(text, 'jit_consumer_lag_messages', { stream: 'KIT' }), 0);
    assert.equal(metricValue(text, 'jit_consumer_ready', { stream: 'KIT' }), 1);
    assert.equal(metricValue(text, 'jit_nats_up'), 1);
    // Published by someone else a moment ago: the scrape sees it without waiting for any cache.
    await bus.publish(Tick, { n: 100 }, 'tick-100');
    text = await scrape(base);
    assert.equal(metricValue(text, 'jit_stream_last_sequence', { stream: 'KIT' }), last + 1);
  });

  it('counts the outbox rows not yet published at scrape time', async () => {
    assert.equal(metricValue(await scrape(base), 'jit_outbox_unpublished_messages'), 0);
    // A subject no stream takes: the row stays unpublished however often the relay tries.
    await app.get(DataSource).query(`INSERT INTO ${SCHEMA}.outbox (id, subject, payload) VALUES (gen_random_uuid(), 'nowhere.v1', '{}')`);
    assert.equal(metricValue(await scrape(base), 'jit_outbox_unpublished_messages'), 1);
  });
});

describe('the service kit on Express (demo-sp): /metrics', () => {
  const env = testEnv('servicekitexpress');
  let app: NestExpressApplication;
  let base = '';

  beforeAll(async () => {
    await ensureDatabase(env.databaseUrl, 'kitexpress');
    const config = baseConfigSchema.parse({ DATABASE_URL: env.databaseUrl, LOG_LEVEL: 'silent' });
    @Module({
      imports: [ServiceKitModule.forRoot({ service: 'kitexpress', config, schema: 'kitexpress', entities: [], migrations: [] })],
      controllers: [ThingsController],
    })
    class ExpressTestModule {}
    app = await NestFactory.create<NestExpressApplication>(ExpressTestModule, new ExpressAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app.close();
    await env.cleanup();
  });

  it('counts HTTP answers by route pattern there too, and has no NATS metrics without a bus', async () => {
    for (const id of ['a', 'missing']) await fetch(`${base}/things/${id}`);
    await fetch(`${base}/no/such/path`);
    const text = await scrape(base);
    assert.equal(metricValue(text, 'jit_http_requests_total', { method: 'GET', route: '/things/:id', status: '200' }), 1);
    assert.equal(metricValue(text, 'jit_http_requests_total', { method: 'GET', route: '/things/:id', status: '404' }), 1);
    assert.equal(metricValue(text, 'jit_http_requests_total', { method: 'GET', route: '(unmatched)', status: '404' }), 1);
    assert.equal(metricValue(text, 'jit_http_request_duration_seconds_count', { method: 'GET', route: '/things/:id', status: '200' }), 1);
    assert.equal(metricValue(text, 'jit_nats_up'), undefined);
    assert.equal(metricValue(text, 'jit_outbox_unpublished_messages'), undefined);
  });
});
