import assert from 'node:assert/strict';
import 'reflect-metadata';
import { Controller, Module, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { connect } from '@nats-io/transport-node';
import { headers, type Msg, type NatsConnection } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { z } from 'zod';
import { ensureDatabase, serviceDataSourceOptions } from '@jit/persistence';
import { eventually, testEnv } from '@jit/testing';
import { NatsBus, type RpcReply } from './bus';
import { BUS_AUTH_HEADER, BusSeal } from './bus-seal';
import { BusTransport } from './bus-transport';
import { ConsumerPosition, createConsumerPositionsTable, dropConsumerPositionsTable } from './consumer-position.entity';
import { ConsumerPositions } from './consumer-positions';
import { ConsumerProgress } from './consumer-progress';
import { defineEvent, defineRpc, defineStream } from './contract';
import { OnEvent, OnResync } from './decorators';
import type { ResyncResult } from './snapshot';

const MembershipAdded = defineEvent(
  'sec.membership.added.v1',
  z.object({ groupId: z.string(), userId: z.string(), version: z.number().int() }),
  ['groupId', 'userId'],
);
const STREAM = defineStream('SEC', ['sec.>'], [MembershipAdded]);
const Verify = defineRpc('rpc.sec.verify.v1', z.object({ username: z.string(), password: z.string() }), z.object({ ok: z.boolean() }));
const Feed = defineRpc('rpc.sec.feed.v1', z.object({ n: z.number() }), z.object({ n: z.number() }), { acceptsPlain: true });

const OTHER_KEY = 'a-key-the-services-do-not-hold-0123456789';

class CreateTables1764300000001 implements MigrationInterface {
  name = 'CreateTables1764300000001';
  async up(q: QueryRunner) {
    await createConsumerPositionsTable(q, 'bussec');
  }
  async down(q: QueryRunner) {
    await dropConsumerPositionsTable(q, 'bussec');
  }
}

/** Everything the services log, to see that a refusal is said. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown) {
    this.lines.push(String(message));
  }
  error(message: unknown) {
    this.lines.push(String(message));
  }
  warn(message: unknown) {
    this.lines.push(String(message));
  }
}

/**
 * A rogue client on a bus that accepts anyone (the development one): what it publishes is not
 * applied, what it answers is not taken, what it reads is sealed. Each case would pass for the
 * rogue without the bus key's authentication and sealing.
 */
describe('the bus is not a trust boundary (real NATS, a client without the bus key)', () => {
  const env = testEnv('bussecurity');
  const logger = new CapturingLogger();
  const applied: { groupId: string; userId: string; version: number }[] = [];
  const verified: string[] = [];
  let dataSource: DataSource;
  let bus: NatsBus;
  let client: NatsBus;
  let rogue: NatsConnection;
  let app: INestApplication;
  let progress: ConsumerProgress;
  const subject = (s: string) => `${env.natsPrefix}.${s}`;

  @Controller()
  class Handlers {
    @OnEvent(MembershipAdded)
    added(@Payload() payload: { groupId: string; userId: string; version: number }): Promise<void> {
      applied.push(payload);
      return Promise.resolve();
    }

    @OnResync(STREAM)
    resync(): Promise<ResyncResult> {
      return Promise.resolve({ applied: 0, tombstoned: 0 });
    }

    /** Slow, like a password hash: a rogue answers long before it. */
    @MessagePattern(Verify.subject)
    async verify(@Payload() request: { username: string; password: string }): Promise<{ ok: boolean }> {
      verified.push(request.username);
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { ok: request.password === 'right' };
    }

    @MessagePattern(Feed.subject)
    feed(@Payload() request: { n: number }): { n: number } {
      return { n: request.n + 1 };
    }
  }

  @Module({ controllers: [Handlers] })
  class SecurityModule {}

  beforeAll(async () => {
    await ensureDatabase(env.databaseUrl, 'bussec');
    dataSource = new DataSource(
      serviceDataSourceOptions({
        url: env.databaseUrl,
        schema: 'bussec',
        entities: [ConsumerPosition],
        migrations: [CreateTables1764300000001],
      }),
    );
    await dataSource.initialize();
    bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'bussec' });
    client = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'bussec-client' });
    rogue = await connect({ servers: env.natsUrl });
    await bus.ensureStream(STREAM);
    app = await NestFactory.create(SecurityModule, { logger });
    progress = new ConsumerProgress();
    app.connectMicroservice({
      strategy: new BusTransport({
        bus,
        progress,
        positions: new ConsumerPositions(dataSource),
        consumes: [STREAM],
        answers: [Verify, Feed],
        retryDelayMs: 50,
        consumerName: 'bussec',
      }),
    });
    await app.startAllMicroservices();
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await rogue?.close();
    await client?.close();
    await bus?.close();
    await dataSource?.destroy();
    await env.cleanup();
  });

  it('terminates and logs a forged membership event, whether without a tag or with a real tag on another body, and applies the real ones around it', async () => {
    const js = jetstream(rogue);
    await bus.publish(MembershipAdded, { groupId: 'g1', userId: 'u1', version: 1 }, 'real-1');
    // What the rogue can see of a real event: its body and its tag.
    const stored = await bus.jsm.streams.getMessage(bus.naming.stream(STREAM.name), { seq: 1 });
    const realTag = stored?.header?.get(BUS_AUTH_HEADER) ?? '';
    assert.match(realTag, /^v1\.[0-9a-f]{8}\./);

    const forged = JSON.stringify({ groupId: 'g1', userId: 'intruder', version: 2 });
    await js.publish(subject(MembershipAdded.subject), forged, { msgID: 'forged-untagged' });
    const h = headers();
    h.set(BUS_AUTH_HEADER, realTag);
    await js.publish(subject(MembershipAdded.subject), forged, { msgID: 'forged-retagged', headers: h });
    await bus.publish(MembershipAdded, { groupId: 'g1', userId: 'u2', version: 3 }, 'real-2');

    const last = await bus.lastSequence(STREAM);
    assert.equal(last, 4);
    await eventually(() => assert.equal(progress.applied(STREAM.name), last));
    assert.deepEqual(
      applied.map((a) => a.userId),
      ['u1', 'u2'],
    );
    // Terminated, not left for redelivery: nothing pending, the server's ack floor past them.
    await eventually(async () => {
      const info = await bus.jsm.consumers.info(bus.naming.stream(STREAM.name), 'bussec');
      assert.deepEqual([info.num_ack_pending, info.num_pending, info.ack_floor.stream_seq], [0, 0, 4]);
    });
    assert.ok(
      logger.lines.includes(`Terminating message SEC#2 on ${MembershipAdded.subject}: it is not authenticated with the bus key`),
      logger.lines.join('\n'),
    );
    assert.ok(
      logger.lines.includes(
        `Terminating message SEC#3 on ${MembershipAdded.subject}: its authentication does not verify (forged or altered)`,
      ),
      logger.lines.join('\n'),
    );
  });

  it('holds an event under a bus key the consumer does not hold, instead of dropping it', async () => {
    const before = await bus.lastSequence(STREAM);
    const body = new TextEncoder().encode(JSON.stringify({ groupId: 'g1', userId: 'u3', version: 4 }));
    const h = headers();
    h.set(BUS_AUTH_HEADER, new BusSeal([OTHER_KEY]).eventTag(subject(MembershipAdded.subject), body));
    await jetstream(rogue).publish(subject(MembershipAdded.subject), body, { msgID: 'other-key', headers: h });
    await eventually(() =>
      assert.ok(
        logger.lines.some((l) => l.startsWith(`Holding SEC#${before + 1} on ${MembershipAdded.subject}: it was made with a bus key`)),
      ),
    );
    assert.equal(progress.applied(STREAM.name), before);
    assert.equal(
      applied.some((a) => a.userId === 'u3'),
      false,
    );
    // Out of the way for what follows: an operator would give the consumer the key instead.
    await bus.jsm.streams.deleteMessage(bus.naming.stream(STREAM.name), before + 1);
  });

  it('takes only the answer sealed for its request: a rogue that answers first with "valid" is ignored', async () => {
    const rogueAnswers: string[] = [];
    const sub = rogue.subscribe(subject(Verify.subject), {
      callback: (_error, msg) => {
        rogueAnswers.push(msg.reply ?? '');
        msg.respond(JSON.stringify({ ok: true, data: { ok: true } } satisfies RpcReply));
      },
    });
    await rogue.flush();
    try {
      assert.deepEqual(await client.request(Verify, { username: 'ada', password: 'wrong' }), { ok: false });
      assert.equal(rogueAnswers.length, 1, 'the rogue answered');
    } finally {
      sub.unsubscribe();
    }
    await eventually(() =>
      assert.ok(logger.lines.some((l) => l.startsWith(`Refused an answer on ${Verify.subject}: it is not authenticated`))),
    );
  });

  it('does not take a real answer replayed to another request, and reads nothing of either in clear', async () => {
    const seen: Msg[] = [];
    const inbox = rogue.subscribe('_INBOX.>', { callback: (_error, msg) => void seen.push(msg) });
    const requests = rogue.subscribe(subject(Verify.subject), { callback: (_error, msg) => void seen.push(msg) });
    await rogue.flush();
    try {
      assert.deepEqual(await client.request(Verify, { username: 'grace', password: 'right' }), { ok: true });
      const valid = await eventually(() => {
        // Other clients share this NATS: only the answer to this request counts.
        const replyTo = seen.filter((m) => m.subject === subject(Verify.subject)).map((m) => m.reply);
        const answer = seen.find((m) => replyTo.includes(m.subject));
        assert.ok(answer);
        return answer;
      });
      const ours = seen.filter((m) => m.subject === subject(Verify.subject) || m === valid);
      assert.equal(ours.length, 2);
      for (const msg of ours) {
        const text = new TextDecoder().decode(msg.data);
        assert.equal(text.includes('right'), false, 'no password in clear');
        assert.equal(text.includes('grace'), false, 'no username in clear');
        assert.equal(text.includes('"ok"'), false, 'no answer in clear');
      }
      // The "valid" answer the rogue saw, sent to the next request in place of its own.
      requests.unsubscribe();
      const replay = rogue.subscribe(subject(Verify.subject), { callback: (_error, msg) => void msg.respond(valid.data) });
      await rogue.flush();
      try {
        assert.deepEqual(await client.request(Verify, { username: 'grace', password: 'wrong' }), { ok: false });
      } finally {
        replay.unsubscribe();
      }
    } finally {
      inbox.unsubscribe();
    }
  });

  it('answers a request that is not sealed with a refusal and never runs the handler; a sealed forgery gets no answer', async () => {
    const before = verified.length;
    const plain = await rogue.request(subject(Verify.subject), JSON.stringify({ username: 'ada', password: 'right' }), { timeout: 2000 });
    assert.deepEqual(plain.json<RpcReply>(), {
      ok: false,
      error: { code: 'UNAUTHENTICATED', message: 'requests on this subject must be sealed with the bus key (BUS_KEYS)' },
    });
    const forged = new BusSeal([OTHER_KEY]);
    const inbox = `_INBOX.rogue${Date.now()}`;
    const answers: Msg[] = [];
    const sub = rogue.subscribe(inbox, { callback: (_error, msg) => void answers.push(msg) });
    rogue.publish(
      subject(Verify.subject),
      forged.sealRequest(subject(Verify.subject), inbox, new TextEncoder().encode('{"username":"ada","password":"x"}')),
      {
        reply: inbox,
      },
    );
    // A sealed request that does not open is refused without an answer; the next real one shows it was handled by then.
    assert.deepEqual(await client.request(Verify, { username: 'after', password: 'right' }), { ok: true });
    sub.unsubscribe();
    assert.deepEqual(answers, []);
    assert.deepEqual(verified.slice(before), ['after']);
  });

  it('answers a contract open to feeds in plain, and our own services sealed', async () => {
    const plain = await rogue.request(subject(Feed.subject), JSON.stringify({ n: 1 }), { timeout: 2000 });
    assert.deepEqual(plain.json<RpcReply>(), { ok: true, data: { n: 2 } });
    assert.deepEqual(await client.request(Feed, { n: 41 }), { n: 42 });
  });
});
