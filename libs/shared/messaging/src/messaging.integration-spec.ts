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
import { BusTransport, type BusContext, type BusTransportOptions } from './bus-transport';
import { ConsumerPosition, createConsumerPositionsTable, dropConsumerPositionsTable } from './consumer-position.entity';
import { ConsumerPositions } from './consumer-positions';
import { ConsumerProgress } from './consumer-progress';
import { defineEvent, defineStream, type StreamContract } from './contract';
import { OnEvent, OnResync } from './decorators';
import { EventNotConfirmedError } from './errors';
import { FreshnessGate } from './freshness';
import { Outbox, OutboxRelay } from './outbox';
import { OutboxLedger } from './outbox-ledger';
import { OutboxMessage, addOutboxStreamSequence, createOutboxTable, dropOutboxTable } from './outbox-message.entity';
import type { ResyncRequest, ResyncResult } from './snapshot';

const Ping = defineEvent('test.ping.v1', z.object({ n: z.number().int() }), ['n']);
const STREAM = defineStream('TEST', ['test.>'], [Ping]);
/** On a subject no stream holds: its publish is never acknowledged. */
const Unstored = defineEvent('unstored.ping.v1', z.object({ n: z.number().int() }), ['n']);
const Tick = defineEvent('resync-test.tick.v1', z.object({ n: z.number().int() }), ['n']);
const TICKS = defineStream('TICKS', ['resync-test.>'], [Tick]);
const NarrowTick = defineEvent('resync-narrow.tick.v1', z.object({ n: z.number().int() }), ['n']);
const NARROW_TICKS = defineStream('NARROW_TICKS', ['resync-narrow.>'], [NarrowTick]);
const WideTick = defineEvent('resync-wide.tick.v1', z.object({ n: z.number().int() }), ['n']);
const WIDE_TICKS = defineStream('WIDE_TICKS', ['resync-wide.>'], [WideTick]);
const Item = defineEvent('wide-test.item.v1', z.object({ n: z.number().int() }), ['n']);
const WIDE = defineStream('WIDE', ['wide-test.>'], [Item]);

class CreateOutbox1764300000000 implements MigrationInterface {
  name = 'CreateOutbox1764300000000';
  async up(q: QueryRunner) {
    await createOutboxTable(q, 'msgtest');
    await addOutboxStreamSequence(q, 'msgtest');
    await createConsumerPositionsTable(q, 'msgtest');
  }
  async down(q: QueryRunner) {
    await dropConsumerPositionsTable(q, 'msgtest');
    await dropOutboxTable(q, 'msgtest');
  }
}

describe('outbox and JetStream (real PostgreSQL and NATS)', () => {
  const env = testEnv('messaging');
  let dataSource: DataSource;
  let bus: NatsBus;
  let outbox: Outbox;

  beforeAll(async () => {
    await ensureDatabase(env.databaseUrl, 'msgtest');
    dataSource = new DataSource(
      serviceDataSourceOptions({
        url: env.databaseUrl,
        schema: 'msgtest',
        entities: [OutboxMessage, ConsumerPosition],
        migrations: [CreateOutbox1764300000000],
      }),
    );
    await dataSource.initialize();
    bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'msgtest' });
    outbox = new Outbox(dataSource, bus);
  });

  afterAll(async () => {
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

  it("reads a stream's bounds, and names the stream when it has none to read", async () => {
    await assert.rejects(bus.streamBounds(defineStream('ABSENT', ['absent.>'], [])), /ABSENT.*not found/i);
    await bus.ensureStream(TICKS);
    assert.deepEqual(await bus.streamBounds(TICKS), { first: 0, last: 0 });
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

  it('deletes rows published more than OUTBOX_RETENTION_DAYS ago, in batches, and never an unpublished one', async () => {
    const rows = (count: number, publishedAt: string | null, createdAt: string) =>
      dataSource.query(
        `INSERT INTO msgtest.outbox (id, subject, payload, created_at, published_at)
           SELECT gen_random_uuid(), 'prune.test', '{}', $2::timestamptz, $3::timestamptz FROM generate_series(1, $1)`,
        [count, createdAt, publishedAt],
      );
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    await rows(10_500, daysAgo(8), daysAgo(8));
    await rows(3, daysAgo(6), daysAgo(8));
    await rows(2, null, daysAgo(30));
    const relay = new OutboxRelay(outbox, 1000, 7);
    assert.equal(await relay.pruneOnce(), 10_500);
    const left = await dataSource.query<{ published: boolean; count: number }[]>(
      `SELECT published_at IS NOT NULL AS published, count(*)::int AS count FROM msgtest.outbox WHERE subject = 'prune.test' GROUP BY 1 ORDER BY 1`,
    );
    assert.deepEqual(left, [
      { published: false, count: 2 },
      { published: true, count: 3 },
    ]);
    assert.equal(await relay.pruneOnce(), 0);
    await dataSource.query(`DELETE FROM msgtest.outbox WHERE subject = 'prune.test'`);
  });

  it('reads, for OutboxLedger, the rows on the filters that are unmarked, without a sequence, or above the floor, oldest first, and nothing else', async () => {
    const ledger = new OutboxLedger(dataSource);
    const stream = defineStream('LEDGER', ['ledger.>'], [], { outboxSchema: 'msgtest' });
    const row = (subject: string, published: boolean, sequence: number | null) =>
      dataSource.query(
        `INSERT INTO msgtest.outbox (id, subject, payload, published_at, stream_sequence) VALUES (gen_random_uuid(), $1, $2, $3, $4)`,
        [subject, JSON.stringify({ user: subject.slice(-2) }), published ? new Date() : null, sequence],
      );
    await row('ledger.user.updated.v1.o1.u1', true, 10);
    await row('ledger.user.updated.v1.o1.u2', true, 12);
    await row('ledger.user.updated.v1.o1.u3', false, null);
    await row('ledger.user.updated.v1.o1.u4', true, null);
    await row('ledger.user.updated.v1.o1.u5', true, 0);
    const unsettled = async (filter: string, floor: number, limit = 10) =>
      (await ledger.unsettled(stream, [filter], floor, limit)).map((e) => (e.payload as { user: string }).user);
    assert.deepEqual(await unsettled('ledger.user.*.v1.*.u1', 10), [], 'applied');
    assert.deepEqual(await unsettled('ledger.user.*.v1.*.u1', 9), ['u1'], 'above the floor');
    assert.deepEqual(await unsettled('ledger.user.*.v1.*.u2', 11), ['u2']);
    assert.deepEqual(await unsettled('ledger.user.*.v1.*.u3', 1_000), ['u3'], 'not acknowledged yet');
    assert.deepEqual(await unsettled('ledger.user.*.v1.*.u4', 1_000), ['u4'], 'marked without a sequence');
    assert.deepEqual(await unsettled('ledger.user.*.v1.*.u5', 0), [], 'marked before sequences were kept');
    assert.deepEqual(await unsettled('ledger.user.*.v1.*.u6', 0), [], 'nothing on the filter');
    assert.deepEqual(await unsettled('ledger.>', 12), ['u3', 'u4'], 'the whole stream holds u3 and u4');
    assert.deepEqual(await unsettled('ledger.>', 9, 3), ['u1', 'u2', 'u3'], 'at most the limit, oldest first');
    const [event] = await ledger.unsettled(stream, ['ledger.user.*.v1.*.u3'], 0, 1);
    assert.equal(event.subject, 'ledger.user.updated.v1.o1.u3');
    assert.match(event.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(await ledger.unsettled(stream, [], 0, 10), []);
    await dataSource.query(`DELETE FROM msgtest.outbox WHERE subject LIKE 'ledger.%'`);
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

      @OnResync(STREAM)
      resync(): Promise<ResyncResult> {
        return Promise.resolve({ applied: 0, tombstoned: 0 });
      }
    }

    @Module({ controllers: [PingHandler] })
    class TestModule {}

    beforeAll(async () => {
      app = await NestFactory.create(TestModule, { logger: false });
      progress = new ConsumerProgress();
      app.connectMicroservice({
        strategy: new BusTransport({
          bus,
          progress,
          positions: new ConsumerPositions(dataSource),
          consumes: [STREAM],
          retryDelayMs: 50,
          consumerName: 'msgtest',
        }),
      });
      await app.startAllMicroservices();
      await app.init();
    });

    afterAll(async () => {
      await app.close();
    });

    it('delivers the backlog, terminates a message that fails its contract, and retries a transient failure', async () => {
      await eventually(() => assert.deepEqual(seen, [1, 2]));
      await bus.publishEncoded(Ping.subject, encodeJson({ n: 'not a number' }), 'bad-1');
      await bus.publish(Ping, { n: 11 }, 'p-11');
      await bus.publish(Ping, { n: 12 }, 'p-12');
      await eventually(
        () =>
          assert.deepEqual(
            [...seen].sort((a, b) => a - b),
            [1, 2, 11, 12],
          ),
        { timeoutMs: 5000 },
      );
      const last = await bus.lastSequence(STREAM);
      await eventually(() => assert.equal(progress.applied('TEST'), last));
      // Terminated for good, not left to come back after the ack wait: nothing pending on the server.
      await eventually(async () => {
        const info = await bus.jsm.consumers.info(bus.naming.stream(STREAM.name), 'msgtest');
        assert.deepEqual([info.num_ack_pending, info.ack_floor.stream_seq], [0, last]);
      });
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

  // One delivery at a time (stream order), and several at once: the checks between deliveries
  // (a resync, a stall) see none in its handler either way.
  for (const { width, Tick, TICKS } of [
    { width: 1, Tick: NarrowTick, TICKS: NARROW_TICKS },
    { width: 8, Tick: WideTick, TICKS: WIDE_TICKS },
  ])
    describe(`BusTransport resync: a stream trimmed past what the consumer applied (${width} at once)`, () => {
      const applied: number[] = [];
      const resyncs: ResyncRequest[] = [];
      /** Resolves the resync in progress; the next one waits for its own. */
      let finishResync: () => void = () => undefined;
      let resyncDone = Promise.resolve();
      /** Ticks from this one on block their handlers until released (the consumer falls behind the stream). */
      let blockAt = -1;
      let blocked = false;
      let blocking = Promise.resolve();
      let release: () => void = () => undefined;
      const blockFrom = (n: number) => {
        blockAt = n;
        blocked = false;
        blocking = new Promise<void>((resolve) => (release = resolve));
      };
      /** A tick whose handler keeps failing for a transient reason: nak'd, retried, never applied. */
      let failAt = -1;
      let app: INestApplication | undefined;
      let progress: ConsumerProgress;
      const streamName = () => bus.naming.stream(TICKS.name);

      @Controller()
      class TickHandler {
        @OnEvent(Tick)
        async handle(@Payload() payload: { n: number }): Promise<void> {
          if (blockAt >= 0 && payload.n >= blockAt) {
            blocked = true;
            await blocking;
          }
          if (payload.n === failAt) throw new Error('transient: database busy');
          applied.push(payload.n);
        }

        @OnResync(TICKS)
        async resync(@Payload() request: ResyncRequest): Promise<ResyncResult> {
          resyncs.push(request);
          await resyncDone;
          return { applied: 7, tombstoned: 1 };
        }
      }

      @Module({ controllers: [TickHandler] })
      class TickModule {}

      /** The consumer's service starting (again): a new process would hold nothing in memory either. */
      const startConsumer = async (options: Partial<BusTransportOptions> = {}) => {
        app = await NestFactory.create(TickModule, { logger: false });
        progress = new ConsumerProgress();
        const streams: StreamContract[] = [TICKS];
        app.connectMicroservice({
          strategy: new BusTransport({
            bus,
            progress,
            positions: new ConsumerPositions(dataSource),
            consumes: streams,
            resyncRetryMs: 50,
            consumerName: `msgtest-${width}`,
            applyConcurrency: width,
            ...options,
          }),
        });
        await app.startAllMicroservices();
        await app.init();
      };
      const stopConsumer = async () => {
        await app?.close();
        app = undefined;
      };
      const publishTicks = async (from: number, to: number) => {
        for (let n = from; n <= to; n++) await bus.publish(Tick, { n }, `tick-${n}-${resyncs.length}-${Date.now()}`);
      };
      const holdResyncs = () => {
        resyncDone = new Promise<void>((resolve) => (finishResync = resolve));
      };

      beforeAll(async () => {
        await bus.ensureStream(TICKS);
        await startConsumer();
      });

      afterAll(async () => {
        finishResync();
        release();
        await stopConsumer();
      });

      it('resyncs at start when the stream was purged while the consumer was away, and only then becomes ready and fresh', async () => {
        await publishTicks(1, 3);
        await eventually(() => assert.equal(progress.applied(TICKS.name), 3));
        await stopConsumer();

        await publishTicks(4, 5);
        await bus.jsm.streams.purge(streamName());
        // The consumer went with the process: only the record it kept (3) says what was applied.
        await assert.rejects(bus.jsm.consumers.info(streamName(), `msgtest-${width}`), /consumer not found/);
        await publishTicks(6, 6);

        holdResyncs();
        await startConsumer();
        await eventually(() => assert.equal(resyncs.length, 1));
        assert.deepEqual(resyncs[0], { stream: TICKS.name, ackFloor: 3, firstSeq: 6 });
        assert.equal(progress.isResyncing(TICKS.name), true);
        assert.equal(progress.isReady(TICKS.name), false);
        const during = await new FreshnessGate(bus, progress, [TICKS], 20).check();
        assert.equal(during.fresh, false);
        assert.match(during.fresh === false ? during.reason : '', new RegExp(`resyncing ${TICKS.name} from a snapshot`));
        assert.deepEqual(applied, [1, 2, 3], 'nothing is tailed before the snapshot is in');

        finishResync();
        await eventually(() => assert.deepEqual(applied, [1, 2, 3, 6]));
        await eventually(() => assert.equal(progress.isReady(TICKS.name), true));
        assert.equal((await new FreshnessGate(bus, progress, [TICKS], 1000).check()).fresh, true);
      });

      it('does not resync when only what it had applied was trimmed', async () => {
        await stopConsumer();
        await bus.jsm.streams.purge(streamName());
        await publishTicks(7, 7);
        await startConsumer();
        await eventually(() => assert.deepEqual(applied.slice(-1), [7]));
        assert.equal(resyncs.length, 1);
      });

      it('resyncs while running when a delivery jumps over sequences the stream no longer holds', async () => {
        const firstTick = 8;
        blockFrom(firstTick);
        await publishTicks(firstTick, firstTick);
        await eventually(() => assert.equal(blocked, true));
        // More than the consumer buffers (256): the ones it has not pulled yet are purged unseen.
        await publishTicks(firstTick + 1, firstTick + 300);
        await bus.jsm.streams.purge(streamName());
        holdResyncs();
        await publishTicks(firstTick + 301, firstTick + 301);
        const { first } = await bus.streamBounds(TICKS);
        release();
        await eventually(() => assert.equal(resyncs.length, 2), { timeoutMs: 5000 });
        assert.equal(resyncs[1]?.firstSeq, first);
        assert.equal(progress.isReady(TICKS.name), false);
        finishResync();
        await eventually(() => assert.equal(applied.at(-1), firstTick + 301), { timeoutMs: 5000 });
        await eventually(() => assert.equal(progress.applied(TICKS.name), first));
        assert.equal((await new FreshnessGate(bus, progress, [TICKS], 1000).check()).fresh, true);
      });

      /** Looks for a stalled floor every 100 ms, retries after 50 ms. */
      const restartWatching = async () => {
        await stopConsumer();
        await startConsumer({ retryDelayMs: 50, stallCheckMs: 100 });
        await eventually(() => assert.equal(progress.isReady(TICKS.name), true));
      };

      it("resyncs while running when a message nak'd for a retry is trimmed before it comes again, though no delivery jumps", async () => {
        await restartWatching();
        const resyncsBefore = resyncs.length;
        failAt = 1000;
        await publishTicks(1000, 1001);
        await eventually(() => assert.equal(applied.at(-1), 1001));
        // 1000 keeps failing: the floor stays below it, 1001 is applied above it.
        const held = progress.applied(TICKS.name);
        assert.equal(held, (await bus.lastSequence(TICKS)) - 2);
        await bus.jsm.streams.purge(streamName());
        holdResyncs();
        // Delivered right after 1001 (no jump), while the redelivery of 1000 never comes.
        await publishTicks(1002, 1002);
        const { first, last } = await bus.streamBounds(TICKS);
        assert.equal(first, held + 3);
        await eventually(() => assert.equal(resyncs.length, resyncsBefore + 1), { timeoutMs: 5000 });
        assert.deepEqual(resyncs.at(-1), { stream: TICKS.name, ackFloor: held, firstSeq: first });
        assert.equal(progress.isReady(TICKS.name), false);
        finishResync();
        await eventually(() => assert.equal(progress.applied(TICKS.name), last));
        assert.equal(progress.isReady(TICKS.name), true);
        assert.equal((await new FreshnessGate(bus, progress, [TICKS], 1000).check()).fresh, true);
        assert.deepEqual(applied.slice(-2), [1001, 1002]);
        failAt = -1;
      });

      it("a message deleted from the stream, nak'd or jumped over, stops holding the floor: no resync, fresh again", async () => {
        await restartWatching();
        const resyncsBefore = resyncs.length;
        // Nak'd, then deleted (not trimmed: the stream still starts below it) before it comes again.
        failAt = 2000;
        await publishTicks(2000, 2001);
        await eventually(() => assert.equal(applied.at(-1), 2001));
        const held = progress.applied(TICKS.name);
        await bus.jsm.streams.deleteMessage(streamName(), held + 1);
        await publishTicks(2002, 2002);
        const last = await bus.lastSequence(TICKS);
        await eventually(() => assert.equal(progress.applied(TICKS.name), last), { timeoutMs: 5000 });
        assert.equal((await new FreshnessGate(bus, progress, [TICKS], 1000).check()).fresh, true);
        failAt = -1;

        // Deleted before the consumer pulled it: a delivery jumps over it, and the stream still holds what is around it.
        blockFrom(3000);
        await publishTicks(3000, 3000);
        await eventually(() => assert.equal(blocked, true));
        await publishTicks(3001, 3300);
        await bus.jsm.streams.deleteMessage(streamName(), (await bus.lastSequence(TICKS)) - 1);
        release();
        const end = await bus.lastSequence(TICKS);
        await eventually(() => assert.equal(progress.applied(TICKS.name), end), { timeoutMs: 5000 });
        assert.equal(applied.at(-1), 3300);
        assert.equal(applied.includes(3299), false, 'the deleted one');
        assert.equal(resyncs.length, resyncsBefore, 'a deletion is not a trim');
        assert.equal((await new FreshnessGate(bus, progress, [TICKS], 1000).check()).fresh, true);
      });

      it('a consumer another client changed to skip events does not move the floor past them: it is made again and they are applied', async () => {
        await restartWatching();
        const resyncsBefore = resyncs.length;
        // Anybody with rights on the stream's consumers (every service that reads it) can do this:
        // the server then moves the consumer's ack floor past what the filter leaves out.
        const only = (n: number) => `${bus.naming.subject(Tick.subject)}.${n}`;
        await bus.jsm.consumers.update(streamName(), `msgtest-${width}`, { filter_subject: only(4001) });
        await publishTicks(4000, 4001);
        const last = await bus.lastSequence(TICKS);
        await eventually(() => assert.equal(applied.includes(4000), true, 'the skipped event is applied after all'), { timeoutMs: 8000 });
        await eventually(() => assert.equal(progress.applied(TICKS.name), last), { timeoutMs: 5000 });
        assert.equal(resyncs.length, resyncsBefore, 'the stream still holds it: no resync');
        assert.equal((await new FreshnessGate(bus, progress, [TICKS], 1000).check()).fresh, true);
      });
    });

  describe('BusTransport applying several deliveries at once (applyConcurrency)', () => {
    /** Items whose handler waits until `release` (one gate for all of them). */
    const held = new Set<number>();
    let gate = Promise.resolve();
    let release: () => void = () => undefined;
    /** Items whose handler fails for a transient reason (nak'd, retried) while listed. */
    const failing = new Set<number>();
    const started: number[] = [];
    const finished: number[] = [];
    let app: INestApplication;
    let progress: ConsumerProgress;

    @Controller()
    class ItemHandler {
      @OnEvent(Item)
      async handle(@Payload() payload: { n: number }): Promise<void> {
        started.push(payload.n);
        if (held.has(payload.n)) await gate;
        if (failing.has(payload.n)) throw new Error('transient: database busy');
        finished.push(payload.n);
      }

      @OnResync(WIDE)
      resync(): Promise<ResyncResult> {
        return Promise.resolve({ applied: 0, tombstoned: 0 });
      }
    }

    @Module({ controllers: [ItemHandler] })
    class ItemModule {}

    const publishItems = async (...items: number[]) => {
      const sequences: number[] = [];
      for (const n of items) sequences.push((await bus.publish(Item, { n }, `item-${n}`)).seq);
      return sequences;
    };
    const fresh = async (waitMs = 50) => (await new FreshnessGate(bus, progress, [WIDE], waitMs).check()).fresh;

    beforeAll(async () => {
      await bus.ensureStream(WIDE);
      app = await NestFactory.create(ItemModule, { logger: false });
      progress = new ConsumerProgress();
      app.connectMicroservice({
        strategy: new BusTransport({
          bus,
          progress,
          positions: new ConsumerPositions(dataSource),
          consumes: [WIDE],
          retryDelayMs: 50,
          consumerName: 'msgtest-wide',
          applyConcurrency: 8,
        }),
      });
      await app.startAllMicroservices();
      await app.init();
    });

    afterAll(async () => {
      release();
      failing.clear();
      await app.close();
    });

    it('applies the ones after a slow delivery meanwhile, and the floor and the freshness gate never pass the slow one', async () => {
      held.add(1);
      gate = new Promise<void>((resolve) => (release = resolve));
      const [first = 0] = await publishItems(1, 2, 3, 4, 5);
      // In stream order one at a time, 2 to 5 would wait for 1.
      await eventually(() => assert.deepEqual([...finished].sort(), [2, 3, 4, 5]));
      assert.deepEqual(started.slice(0, 1), [1]);
      assert.equal(progress.applied('WIDE'), first - 1, 'the floor waits for the one still in its handler');
      assert.equal(await fresh(), false, 'nothing is decided from the stream while 1 is not applied');
      release();
      const last = await bus.lastSequence(WIDE);
      await eventually(() => assert.equal(progress.applied('WIDE'), last));
      assert.deepEqual(finished.slice(-1), [1]);
      assert.equal(await fresh(1000), true);
      // Each was acked when its handler resolved: nothing left pending on the server.
      await eventually(async () => {
        const info = await bus.jsm.consumers.info(bus.naming.stream(WIDE.name), 'msgtest-wide');
        assert.deepEqual([info.num_ack_pending, info.ack_floor.stream_seq], [0, last]);
      });
    });

    it("holds the floor at a delivery nak'd for a retry while the ones after it are applied, until it is", async () => {
      failing.add(10);
      const [tenth = 0] = await publishItems(10, 11, 12, 13);
      await eventually(() => assert.deepEqual(finished.slice(-3).sort(), [11, 12, 13]));
      // Retried every 50 ms meanwhile.
      await eventually(() => assert.ok(started.filter((n) => n === 10).length >= 3));
      assert.equal(progress.applied('WIDE'), tenth - 1);
      assert.equal(await fresh(), false);
      failing.delete(10);
      const last = await bus.lastSequence(WIDE);
      await eventually(() => assert.equal(progress.applied('WIDE'), last));
      assert.deepEqual(finished.slice(-1), [10]);
      assert.equal(await fresh(1000), true);
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
    // Each mark has the sequence the stream gave that row's event: the stream's message there is the row's.
    const marked = await dataSource.query<{ id: string; sequence: string }[]>(
      `SELECT id, stream_sequence AS sequence FROM msgtest.outbox WHERE stream_sequence > $1 ORDER BY stream_sequence`,
      [before],
    );
    assert.deepEqual(
      marked.map((r) => Number(r.sequence)),
      Array.from({ length: 20 }, (_, i) => before + 1 + i),
    );
    for (const row of marked) {
      const stored = await bus.jsm.streams.getMessage(bus.naming.stream(STREAM.name), { seq: Number(row.sequence) });
      assert.equal(stored?.header?.get('Nats-Msg-Id'), row.id);
    }
  });

  it('answers a run that changes nothing only after the relay that holds an unconfirmed older row has finished with it', async () => {
    await assert.rejects(
      outbox.run((tx) => {
        tx.emit(Unstored, { n: 1 });
        return Promise.resolve();
      }),
      EventNotConfirmedError,
    );
    const [row] = await dataSource.query<{ id: string }[]>(`SELECT id FROM msgtest.outbox WHERE published_at IS NULL`);
    assert.ok(row, 'the unconfirmed row is left for the relay');
    // A relay mid-publish (its transaction holds the row) while the same change is asked again.
    const relay = dataSource.createQueryRunner();
    await relay.connect();
    await relay.startTransaction();
    await relay.query(`SELECT id FROM msgtest.outbox WHERE id = $1 FOR UPDATE`, [row.id]);
    let settled = false;
    const again = outbox.run(() => Promise.resolve()).finally(() => (settled = true));
    await new Promise((wait) => setTimeout(wait, 300));
    assert.equal(settled, false, 'no answer while the older event may still be unconfirmed');
    // The relay fails (rolls back): the row is still unconfirmed, so the repeat cannot claim success either.
    await relay.rollbackTransaction();
    await relay.release();
    await assert.rejects(again, EventNotConfirmedError);
    await dataSource.query(`DELETE FROM msgtest.outbox WHERE id = $1`, [row.id]);
  });
});
