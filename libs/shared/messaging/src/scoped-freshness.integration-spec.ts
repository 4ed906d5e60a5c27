import assert from 'node:assert/strict';
import 'reflect-metadata';
import { Controller, Inject, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { z } from 'zod';
import { ensureDatabase, serviceDataSourceOptions } from '@jit/persistence';
import { PrivateNatsServer, eventually, testEnv } from '@jit/testing';
import { NatsBus } from './bus';
import { BusTransport, type BusContext } from './bus-transport';
import { ConsumerPosition, createConsumerPositionsTable, dropConsumerPositionsTable } from './consumer-position.entity';
import { ConsumerPositions } from './consumer-positions';
import { ConsumerProgress } from './consumer-progress';
import { defineEvent, defineStream, scopeFilters } from './contract';
import { OnEvent, OnResync } from './decorators';
import type { ResyncResult } from './snapshot';
import { FreshnessGate, type FreshnessScope } from './freshness';

const member = z.object({ organizationId: z.string(), userId: z.string(), groupId: z.string(), version: z.number().int() });
const Added = defineEvent('scoped-test.membership.added.v1', member, ['organizationId', 'userId', 'groupId']);
const Removed = defineEvent('scoped-test.membership.removed.v1', member, ['organizationId', 'userId', 'groupId']);
const Created = defineEvent('scoped-test.user.created.v1', z.object({ organizationId: z.string(), userId: z.string() }), [
  'organizationId',
  'userId',
]);
const STREAM = defineStream('SCOPED', ['scoped-test.>'], [Added, Removed, Created]);
const SERVICE = 'scopedtest';

class CreatePositions1764400000000 implements MigrationInterface {
  name = 'CreatePositions1764400000000';
  async up(q: QueryRunner) {
    await createConsumerPositionsTable(q, SERVICE);
  }
  async down(q: QueryRunner) {
    await dropConsumerPositionsTable(q, SERVICE);
  }
}

/** The read model: who is in which group, and how far it got (a slow consumer, like the IdP's under an import). */
interface Model {
  groups: Map<string, boolean>;
  applied: number;
  /** Per event, this long in the handler: the consumer falls behind a fast producer. */
  delayMs: number;
}
const MODEL = Symbol('MODEL');

@Controller()
class Handler {
  constructor(@Inject(MODEL) private readonly model: Model) {}

  @OnEvent(Added, Removed)
  async membership(@Payload() e: z.infer<typeof member>, @Ctx() ctx: BusContext): Promise<void> {
    if (this.model.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.model.delayMs));
    // One consumer applies in stream order: the last event of a pair is its state.
    this.model.groups.set(`${e.userId} ${e.groupId}`, ctx.subject === Added.subject);
    this.model.applied += 1;
  }

  @OnEvent(Created)
  async created(): Promise<void> {
    if (this.model.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.model.delayMs));
    this.model.applied += 1;
  }

  /** Never trimmed here: a resync would be a failure of the test. */
  @OnResync(STREAM)
  resync(): Promise<ResyncResult> {
    return Promise.reject(new Error('the stream was not trimmed: no resync expected'));
  }
}

@Module({})
class HandlerModule {
  static with(model: Model): DynamicModule {
    return { module: HandlerModule, controllers: [Handler], providers: [{ provide: MODEL, useValue: model }] };
  }
}

/** A person's decision depends on their own events: memberships and their user events. */
const personScope = (userId: string): FreshnessScope => ({ [STREAM.name]: scopeFilters(STREAM, [Added, Removed, Created], { userId }) });

/**
 * The freshness proof scoped to one decision (docs/decisions/0009): with another organisation's
 * import far ahead of the consumer, a person of another organisation, and a person the import
 * does not touch, are answered at once; a person whose membership changed is never answered
 * before that change is applied, however busy the rest of the stream is.
 */
describe.each([
  ["the machine's nats-server", undefined],
  // The version docker-compose ships when NATS_SERVER_BIN names it (npm test does), else the machine's again.
  ['a private nats-server', new PrivateNatsServer()],
])('FreshnessGate with a scope (real NATS, %s)', (_label, server) => {
  const env = testEnv('scoped');
  const natsUrl = () => server?.url ?? env.natsUrl;
  let dataSource: DataSource;
  let publisher: NatsBus;
  let consumerBus: NatsBus;
  let app: INestApplication;
  const model: Model = { groups: new Map(), applied: 0, delayMs: 0 };
  const progress = new ConsumerProgress();
  let gate: (maxWaitMs: number) => FreshnessGate;
  let sent = 0;
  const version = new Map<string, number>();

  const membership = async (organizationId: string, userId: string, groupId: string, add: boolean) => {
    const key = `${userId} ${groupId}`;
    const v = (version.get(key) ?? 0) + 1;
    version.set(key, v);
    sent += 1;
    return publisher.publish(add ? Added : Removed, { organizationId, userId, groupId, version: v }, `m-${sent}`);
  };
  /** An import: `count` people created and put in a group, as fast as the stream takes them. */
  const importInto = async (organizationId: string, count: number, tag: string) => {
    const acks = [];
    for (let i = 0; i < count; i++) {
      sent += 1;
      acks.push(publisher.publish(Created, { organizationId, userId: `${tag}${i}` }, `c-${sent}`));
      acks.push(membership(organizationId, `${tag}${i}`, 'imported', true));
      if (acks.length >= 200) await Promise.all(acks.splice(0));
    }
    await Promise.all(acks);
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
    publisher = await NatsBus.connect({ servers: natsUrl(), prefix: env.natsPrefix, service: 'scopedtest-publisher' });
    await publisher.ensureStream(STREAM);
    // Before the consumer: the people of the other organisation, and one of the importing one.
    await membership('orgB', 'bea', 'staff', true);
    await membership('orgA', 'ann', 'staff', true);
    consumerBus = await NatsBus.connect({ servers: natsUrl(), prefix: env.natsPrefix, service: SERVICE });
    app = await NestFactory.create(HandlerModule.with(model), { logger: false });
    app.connectMicroservice({
      strategy: new BusTransport({ bus: consumerBus, progress, positions: new ConsumerPositions(dataSource), consumes: [STREAM] }),
    });
    await app.startAllMicroservices();
    await app.init();
    gate = (maxWaitMs) => new FreshnessGate(consumerBus, progress, [STREAM], maxWaitMs, 2000);
    await eventually(async () => assert.equal((await gate(100).check()).fresh, true));
  });

  afterAll(async () => {
    await app?.close();
    await consumerBus?.close();
    await publisher?.close();
    await dataSource?.destroy();
    await env.cleanup();
    await server?.destroy();
  });

  it("answers a filter's last sequence on every server; behind an import, other people at once where that is cheap (2.11+), the whole stream elsewhere", async () => {
    // Both servers answer a wildcard last-by-subject lookup: Bea's membership is the stream's first event.
    assert.equal(await consumerBus.lastSequenceMatching(STREAM, 'scoped-test.membership.*.v1.*.bea.*'), 1);
    assert.equal(await consumerBus.lastSequenceMatching(STREAM, 'scoped-test.membership.*.v1.orgA.ann.*'), 2);
    assert.equal(await consumerBus.lastSequenceMatching(STREAM, 'scoped-test.*.*.*'), 0, 'no event without a scope');
    const scoped = consumerBus.scopedLookups();
    // The private server is docker-compose's version when NATS_SERVER_BIN names it (npm test does): 2.11 or later.
    if (server && process.env.NATS_SERVER_BIN) assert.equal(scoped, true, `nats-server ${consumerBus.connection.info?.version}`);

    model.delayMs = 2;
    await importInto('orgA', 600, 'imp');
    const last = await publisher.lastSequence(STREAM);
    assert.ok(last - progress.applied(STREAM.name) > 300, `the consumer is behind (${last - progress.applied(STREAM.name)})`);

    const whole = await gate(20).check();
    assert.equal(whole.fresh, false, 'unscoped, the whole stream is waited for: the noisy neighbour');
    for (const person of ['bea', 'ann']) {
      const answer = await gate(20).check(personScope(person));
      // Where the server scans every subject for a filter (2.9), the gate waits for the whole stream: exact, unscoped.
      assert.equal(answer.fresh, scoped, `${person}: ${answer.fresh ? 'fresh' : answer.reason}`);
    }
    // One of the imported people: their events are behind the floor.
    const imported = await gate(20).check(personScope('imp599'));
    assert.equal(imported.fresh, false);
    model.delayMs = 0;
    await eventually(async () => assert.equal((await gate(100).check()).fresh, true), { timeoutMs: 30_000 });
  });

  it("never answers a person before their change is applied, with other organisations' events pouring in", async () => {
    model.delayMs = 1;
    let stop = false;
    // The noisy neighbour, all along: an import in orgA that the consumer cannot keep up with.
    const noise = (async () => {
      for (let round = 0; !stop && round < 40; round++) await importInto('orgA', 50, `noise${round}-`);
    })();
    let answered = 0;
    try {
      for (let i = 0; i < 20; i++) {
        const add = i % 2 === 0;
        await membership('orgB', 'bea', 'admins', add); // acknowledged: the 2xx a person would see
        const answer = await gate(5_000).check(personScope('bea'));
        if (!answer.fresh) continue; // refusing is allowed (fail closed); deciding from stale state is not
        answered += 1;
        const state = model.groups.get('bea admins');
        assert.equal(state, add, `after change ${i} (${add ? 'added' : 'removed'}) the model says ${String(state)}`);
      }
    } finally {
      stop = true;
      await noise;
      model.delayMs = 0;
    }
    // Refusing is allowed; where lookups are scoped, only the person's own change is waited for.
    if (consumerBus.scopedLookups()) assert.ok(answered >= 15, `answered ${answered} of 20 within 5 s`);
  });
});
