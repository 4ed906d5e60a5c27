import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import 'reflect-metadata';
import { Controller, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { z } from 'zod';
import { ensureDatabase, serviceDataSourceOptions } from '@jit/persistence';
import { eventually, testEnv } from '@jit/testing';
import { NatsBus, encodeJson } from './bus';
import { BusTransport, type BusContext } from './bus-transport';
import { ConsumerProgress } from './consumer-progress';
import { defineEvent, defineStream } from './contract';
import { OnEvent } from './decorators';
import { EventNotConfirmedError } from './errors';
import { FreshnessGate } from './freshness';
import { Outbox } from './outbox';
import { OutboxMessage, createOutboxTable, dropOutboxTable } from './outbox-message.entity';

const Ping = defineEvent('test.ping.v1', z.object({ n: z.number().int() }));
const STREAM = defineStream('TEST', ['test.>'], [Ping]);

class CreateOutbox1764300000000 implements MigrationInterface {
  name = 'CreateOutbox1764300000000';
  up(q: QueryRunner) {
    return createOutboxTable(q, 'msgtest');
  }
  down(q: QueryRunner) {
    return dropOutboxTable(q, 'msgtest');
  }
}

describe('outbox and JetStream (real PostgreSQL and NATS)', () => {
  const env = testEnv('messaging');
  let dataSource: DataSource;
  let bus: NatsBus;
  let outbox: Outbox;

  before(async () => {
    await ensureDatabase(env.databaseUrl, 'msgtest');
    dataSource = new DataSource(
      serviceDataSourceOptions({ url: env.databaseUrl, schema: 'msgtest', entities: [OutboxMessage], migrations: [CreateOutbox1764300000000] }),
    );
    await dataSource.initialize();
    bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'msgtest' });
    outbox = new Outbox(dataSource, bus);
  });

  after(async () => {
    await bus.close();
    await dataSource.destroy();
    await env.cleanup();
  });

  const unpublished = () => dataSource.query<{ id: string }[]>(`SELECT id FROM msgtest.outbox WHERE published_at IS NULL`);

  it('fails with EventNotConfirmedError when JetStream does not ack, keeping the committed row for the relay', async () => {
    // The stream does not exist yet, so nothing acknowledges the publish.
    await assert.rejects(
      outbox.run(async (tx) => {
        tx.emit(Ping, { n: 1 });
        await tx.manager.query('SELECT 1');
        return 'done';
      }),
      EventNotConfirmedError,
    );
    assert.equal((await unpublished()).length, 1);
  });

  it('relays what is left once the stream exists, and a second relay of the same row is deduplicated', async () => {
    await bus.ensureStream(STREAM);
    const [row] = await unpublished();
    assert.equal(await outbox.publishPending(), 1);
    assert.deepEqual(await unpublished(), []);
    assert.equal(await bus.lastSequence(STREAM), 1);
    // Re-publishing the same outbox id (a relay that crashed before marking) is dropped by JetStream.
    const ack = await bus.publishEncoded(Ping.subject, encodeJson({ n: 1 }), row?.id ?? '');
    assert.equal(ack.duplicate, true);
    assert.equal(await bus.lastSequence(STREAM), 1);
  });

  it('commits the change and its event together, and answers only after the ack', async () => {
    const result = await outbox.run((tx) => {
      tx.emit(Ping, { n: 2 });
      return Promise.resolve('ok');
    });
    assert.equal(result, 'ok');
    // In the stream when run() returns; the row's published mark follows in the background.
    assert.equal(await bus.lastSequence(STREAM), 2);
    await eventually(async () => assert.deepEqual(await unpublished(), []), { timeoutMs: 2000 });
  });

  it('writes neither the change nor the event when the work fails', async () => {
    const before = await bus.lastSequence(STREAM);
    await assert.rejects(
      outbox.run(async (tx) => {
        tx.emit(Ping, { n: 3 });
        await tx.manager.query('SELECT * FROM no_such_table');
      }),
      /no_such_table/,
    );
    assert.equal(await bus.lastSequence(STREAM), before);
    const rows = await dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM msgtest.outbox`);
    assert.equal(rows[0]?.n, 2);
  });

  it('refuses to emit an event that violates its contract', async () => {
    await assert.rejects(
      outbox.run(async (tx) => {
        tx.emit(Ping, { n: 'four' } as unknown as { n: number });
        return Promise.resolve();
      }),
      /violates its contract/,
    );
  });

  describe('BusTransport durable consumer', () => {
    const seen: number[] = [];
    let failOnce = true;
    let app: INestApplication;
    let progress: ConsumerProgress;

    @Controller()
    class PingHandler {
      @OnEvent(Ping)
      handle(@Payload() payload: { n: number }, @Ctx() _ctx: BusContext): Promise<void> {
        if (payload.n === 11 && failOnce) {
          failOnce = false;
          return Promise.reject(new Error('transient: database busy'));
        }
        seen.push(payload.n);
        return Promise.resolve();
      }
    }

    @Module({ controllers: [PingHandler] })
    class TestModule {}

    before(async () => {
      app = await NestFactory.create(TestModule, { logger: false });
      progress = new ConsumerProgress();
      app.connectMicroservice({ strategy: new BusTransport({ bus, progress, consumes: [STREAM], retryDelayMs: 50 }) });
      await app.startAllMicroservices();
      await app.init();
    });

    after(async () => {
      await app.close();
    });

    it('delivers the backlog, terminates a message that fails its contract, and retries a transient failure', async () => {
      await eventually(() => assert.deepEqual(seen, [1, 2]));
      await bus.publishEncoded(Ping.subject, encodeJson({ n: 'not a number' }), 'bad-1');
      await bus.publish(Ping, { n: 11 }, 'p-11');
      await bus.publish(Ping, { n: 12 }, 'p-12');
      await eventually(() => assert.deepEqual([...seen].sort((a, b) => a - b), [1, 2, 11, 12]), { timeoutMs: 5000 });
      const last = await bus.lastSequence(STREAM);
      await eventually(() => assert.equal(progress.applied('TEST'), last));
    });

    it('proves freshness against the stream, and says so when it cannot', async () => {
      const gate = new FreshnessGate(bus, progress, [STREAM], 1000);
      await bus.publish(Ping, { n: 13 }, 'p-13');
      const result = await gate.check();
      assert.equal(result.fresh, true);
      assert.ok(seen.includes(13), 'a fresh answer means the event was applied');

      const stalled = new ConsumerProgress();
      stalled.start('TEST', 0);
      const stale = await new FreshnessGate(bus, stalled, [STREAM], 20).check();
      assert.equal(stale.fresh, false);
      assert.equal(stale.fresh === false && stale.lag.TEST, await bus.lastSequence(STREAM));
    });
  });

  it('marks every row of concurrent runs published in the background, and a run that changes nothing meanwhile adds nothing to the stream', async () => {
    const before = await bus.lastSequence(STREAM);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        outbox.run((tx) => {
          tx.emit(Ping, { n: 100 + i });
          return Promise.resolve();
        }),
      ),
    );
    // Right away, while the marks may still be on their way.
    await outbox.run(() => Promise.resolve());
    assert.equal(await bus.lastSequence(STREAM), before + 20);
    await eventually(async () => assert.deepEqual(await unpublished(), []), { timeoutMs: 2000 });
  });
});
