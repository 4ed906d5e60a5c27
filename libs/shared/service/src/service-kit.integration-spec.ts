import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { z } from 'zod';
import { BusTransport, ConsumerProgress, NatsBus, OnEvent, createOutboxTable, defineEvent, defineStream } from '@jit/messaging';
import { baseConfigSchema } from '@jit/config';
import { ensureDatabase } from '@jit/persistence';
import { eventually, testEnv } from '@jit/testing';
import { ServiceKitModule } from './service-kit.module';

const Tick = defineEvent('kit.tick.v1', z.object({ n: z.number().int() }));
const STREAM = defineStream('KIT', ['kit.>'], [Tick]);
const SCHEMA = 'kittest';

class CreateOutbox1764300000000 implements MigrationInterface {
  name = 'CreateOutbox1764300000000';
  up(q: QueryRunner) {
    return createOutboxTable(q, SCHEMA);
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
}

describe('the service kit on a real PostgreSQL and NATS: /ready', () => {
  const env = testEnv('servicekit');
  let bus: NatsBus;
  let app: NestFastifyApplication;
  let base = '';

  before(async () => {
    await ensureDatabase(env.databaseUrl, SCHEMA);
    bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'kittest' });
    await bus.ensureStream(STREAM);
    const config = baseConfigSchema.parse({ DATABASE_URL: env.databaseUrl, LOG_LEVEL: 'silent', READY_MAX_LAG: '2', READY_LAG_WAIT_MS: '100' });
    @Module({
      imports: [
        ServiceKitModule.forRoot({ service: 'kittest', config, schema: SCHEMA, entities: [], migrations: [CreateOutbox1764300000000], bus, outbox: true, consumes: [STREAM] }),
      ],
      controllers: [TickHandler],
    })
    class KitTestModule {}
    app = await NestFactory.create<NestFastifyApplication>(KitTestModule, new FastifyAdapter(), { logger: false });
    app.connectMicroservice({ strategy: new BusTransport({ bus, progress: app.get(ConsumerProgress), consumes: [STREAM], retryDelayMs: 50 }) });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  after(async () => {
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
      assert.deepEqual(body.checks.consumers, { KIT: { ready: true, applied: 3, last: 3, lag: 0 } });
    });
  });

  it('answers 503 with the reason while the consumer stays more than READY_MAX_LAG behind, and 200 once it catches up', async () => {
    stallAt = 4;
    await publish(4, 4);
    const stuck = await ready();
    assert.equal(stuck.status, 503);
    assert.deepEqual(stuck.body.checks.consumers, { KIT: { ready: true, applied: 3, last: 7, lag: 4 } });
    assert.deepEqual(stuck.body.reasons, ['consumer of KIT is 4 messages behind (more than 2 for 100 ms)']);
    release();
    await eventually(async () => assert.equal((await ready()).status, 200));
  });
});
