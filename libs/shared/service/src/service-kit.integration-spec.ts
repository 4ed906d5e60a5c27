import assert from 'node:assert/strict';
import 'reflect-metadata';
import { Writable } from 'node:stream';
import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { Controller, Delete, Get, HttpCode, Logger, Module, NotFoundException, Param, Post, Req, UseGuards } from '@nestjs/common';
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
  addOutboxStreamSequence,
  createOutboxTable,
  defineEvent,
  defineStream,
  type ResyncResult,
} from '@jit/messaging';
import { baseConfigSchema } from '@jit/config';
import { ensureDatabase } from '@jit/persistence';
import { eventually, metricValue, testEnv } from '@jit/testing';
import { API_KEY_RESOLVER, ApiKeyGuard, hashApiKey } from './api-key';
import { ZodBody } from './openapi';
import { runService, trustProxiesOnExpress } from './run-service';
import { ServiceKitModule } from './service-kit.module';

const Tick = defineEvent('kit.tick.v1', z.object({ n: z.number().int() }), ['n']);
const STREAM = defineStream('KIT', ['kit.>'], [Tick]);
const SCHEMA = 'kittest';

class CreateOutbox1764300000000 implements MigrationInterface {
  name = 'CreateOutbox1764300000000';
  async up(q: QueryRunner) {
    await createOutboxTable(q, SCHEMA);
    await addOutboxStreamSequence(q, SCHEMA);
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

const ADMIN_KEY = 'kit-test-admin-key-0123456789';
const ORG_KEY = 'jit_an-organisation-key-0123456789';

/** A small admin API: what the kit's HTTP edge is tried on. */
@Controller('v1/things')
@UseGuards(ApiKeyGuard)
class AdminThingsController {
  @Post()
  @HttpCode(201)
  create(@ZodBody(z.object({ name: z.string(), password: z.string() }).strict()) body: { name: string }): { id: string; name: string } {
    new Logger('Things').warn({ thing: body.name }, 'created a thing');
    return { id: '6f1c3d2e-0000-4000-8000-000000000001', name: body.name };
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id') _id: string): void {}
}

/** Where a route sees the client: `request.ip`, as the IdP's audit and the directory's throttle read it. */
@Controller('whoami')
class WhoAmIController {
  @Get()
  whoami(@Req() request: { ip: string }): { ip: string } {
    return { ip: request.ip };
  }
}

/** Collects log lines (JSON, one per line). */
class LogLines extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
  lines(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

describe('runService: the HTTP edge every Fastify service gets (real PostgreSQL and NATS)', () => {
  const env = testEnv('servicekitedge');
  const apps: NestFastifyApplication[] = [];

  /** A service started the way main.ts starts one, with its log collected. */
  const start = async (name: string, extra: Record<string, string> = {}) => {
    const log = new LogLines();
    const config = baseConfigSchema.parse({
      DATABASE_URL: env.databaseUrl,
      NATS_URL: env.natsUrl,
      NATS_PREFIX: env.natsPrefix,
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
      ...extra,
    });
    const module = (bus: NatsBus) => {
      @Module({
        imports: [
          ServiceKitModule.forRoot({ service: name, config, schema: name, entities: [], migrations: [], bus, logDestination: log }),
        ],
        controllers: [AdminThingsController, WhoAmIController],
        providers: [
          {
            provide: API_KEY_RESOLVER,
            useValue: {
              resolve: (hash: string) =>
                Promise.resolve(
                  hash === hashApiKey(ADMIN_KEY)
                    ? { organizationId: 'org-1', bootstrap: true }
                    : hash === hashApiKey(ORG_KEY)
                      ? { organizationId: 'org-2', bootstrap: false }
                      : null,
                ),
            },
          },
          ApiKeyGuard,
        ],
      })
      class EdgeTestModule {}
      return { module: EdgeTestModule };
    };
    const app = await runService({ service: name, config, port: 0, schema: name, module });
    apps.push(app);
    return { base: (await app.getUrl()).replace('[::1]', '127.0.0.1'), log };
  };

  let plain: { base: string; log: LogLines };
  beforeAll(async () => {
    plain = await start('kitedge');
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await env.cleanup();
  });

  const send = (base: string, method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${base}${path}`, { method, headers: { 'x-api-key': ADMIN_KEY, ...init.headers }, body: init.body });

  it('takes a body-less request with a JSON content type as a request without a body, on every method', async () => {
    const json = { 'content-type': 'application/json' };
    const deleted = await send(plain.base, 'DELETE', '/v1/things/42', { headers: json });
    assert.equal(deleted.status, 204, await deleted.text());
    const charset = await send(plain.base, 'DELETE', '/v1/things/42', { headers: { 'content-type': 'application/json; charset=utf-8' } });
    assert.equal(charset.status, 204, await charset.text());
    assert.equal((await send(plain.base, 'GET', '/whoami', { headers: json })).status, 200);
    // A route that needs a body says which fields are missing, not that the body is empty.
    const created = await send(plain.base, 'POST', '/v1/things', { headers: json });
    assert.equal(created.status, 400);
    assert.deepEqual(
      ((await created.json()) as { details: { field: string }[] }).details.map((d) => d.field),
      ['name', 'password'],
    );
    // Real bodies still go through Fastify's parser and its checks.
    const malformed = await send(plain.base, 'POST', '/v1/things', { headers: json, body: '{"name": ' });
    assert.equal(malformed.status, 400);
    assert.equal(((await malformed.json()) as { code: string }).code, 'VALIDATION_FAILED');
    const poisoned = await send(plain.base, 'POST', '/v1/things', {
      headers: json,
      body: '{"__proto__": {"x": 1}, "name": "a", "password": "b"}',
    });
    assert.equal(poisoned.status, 400);
  });

  it('answers a body far over the limit with its 413 and reason, reading and dropping the rest', async () => {
    // 4 MiB against the 256 KiB limit, refused from its Content-Length before it is read, from a
    // client that reads the answer once it has sent its body (its socket paused meanwhile). Closing
    // at once (Fastify's Connection: close) left the rest of the body to arrive on a closed socket:
    // the service's kernel reset the connection, and the client's kernel dropped the unread answer.
    const url = new URL(plain.base);
    const socket = connect(Number(url.port), url.hostname);
    await once(socket, 'connect');
    socket.pause();
    const total = 4 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    socket.write(
      `POST /v1/things HTTP/1.1\r\nhost: ${url.host}\r\nx-api-key: ${ADMIN_KEY}\r\n` +
        `content-type: application/json\r\ncontent-length: ${total}\r\n\r\n`,
    );
    socket.write(chunk);
    await delay(300); // the service answers meanwhile
    const received: Buffer[] = [];
    const ended = new Promise<string>((resolve) => {
      socket.on('data', (data: Buffer) => received.push(data));
      socket.on('error', (error) => resolve(`error: ${error.message}`));
      socket.on('end', () => resolve('end'));
    });
    socket.on('error', () => undefined);
    for (let sent = chunk.length; sent < total; sent += chunk.length) socket.write(chunk);
    await delay(300);
    socket.resume();
    const answer = () => Buffer.concat(received).toString('latin1');
    await Promise.race([ended, eventually(() => assert.match(answer(), /"code":"HTTP_413"/), { timeoutMs: 5000 })]).catch(() => undefined);
    socket.destroy();
    assert.match(answer(), /^HTTP\/1\.1 413 /, `no answer: ${await Promise.race([ended, delay(0).then(() => 'open')])}`);
    assert.match(answer(), /too large/i);
    // The service still answers.
    assert.equal((await send(plain.base, 'GET', '/whoami')).status, 200);
  });

  it('logs one info line per admin change (who, what, which id), never the body, and none for reads or refusals', async () => {
    const json = { 'content-type': 'application/json' };
    const before = plain.log.lines().length;
    assert.equal(
      (await send(plain.base, 'POST', '/v1/things', { headers: json, body: '{"name": "lamp", "password": "hunter2-secret"}' })).status,
      201,
    );
    assert.equal((await send(plain.base, 'DELETE', '/v1/things/7', { headers: json })).status, 204);
    assert.equal((await send(plain.base, 'DELETE', '/v1/things/9', { headers: { 'x-api-key': ORG_KEY } })).status, 204);
    assert.equal((await send(plain.base, 'GET', '/whoami')).status, 200);
    assert.equal((await send(plain.base, 'DELETE', '/v1/things/8', { headers: { 'x-api-key': 'wrong-key-0123456789' } })).status, 401);
    await eventually(() => {
      const changes = plain.log
        .lines()
        .slice(before)
        .filter((l) => l.context === 'AdminChange');
      assert.deepEqual(
        changes.map(({ level, actor, organizationId, action, target, msg }) => ({ level, actor, organizationId, action, target, msg })),
        [
          {
            level: 30,
            actor: 'bootstrap key',
            organizationId: 'org-1',
            action: 'POST /v1/things',
            target: { id: '6f1c3d2e-0000-4000-8000-000000000001' },
            msg: 'POST /v1/things (id=6f1c3d2e-0000-4000-8000-000000000001) by bootstrap key',
          },
          {
            level: 30,
            actor: 'bootstrap key',
            organizationId: 'org-1',
            action: 'DELETE /v1/things/:id',
            target: { id: '7' },
            msg: 'DELETE /v1/things/:id (id=7) by bootstrap key',
          },
          {
            level: 30,
            actor: `API key ${hashApiKey(ORG_KEY).slice(0, 12)}`,
            organizationId: 'org-2',
            action: 'DELETE /v1/things/:id',
            target: { id: '9' },
            msg: `DELETE /v1/things/:id (id=9) by API key ${hashApiKey(ORG_KEY).slice(0, 12)}`,
          },
        ],
      );
    });
    assert.doesNotMatch(plain.log.text, /hunter2-secret/);
    assert.doesNotMatch(plain.log.text, new RegExp(ADMIN_KEY));
    assert.doesNotMatch(plain.log.text, new RegExp(ORG_KEY));
    // Nest's Logger, used by the services' own code, writes through the same logger.
    assert.ok(plain.log.lines().some((l) => l.context === 'Things' && l.msg === 'created a thing' && l.level === 40 && l.thing === 'lamp'));
  });

  it("starts with a short summary (service, version, URL, PostgreSQL, NATS), not Nest's module and route dump", () => {
    const startup = plain.log.lines().filter((l) => l.context === 'Startup');
    assert.ok(startup.length >= 3 && startup.length <= 6, startup.map((l) => l.msg).join('\n'));
    assert.match(
      String(startup[0]?.msg),
      /^kitedge \d+\.\d+\.\d+ listening on http:\/\/127\.0\.0\.1:\d+ \(API documentation at .*\/docs\)$/,
    );
    assert.ok(startup.some((l) => String(l.msg).startsWith(`NATS ${env.natsUrl} (prefix ${env.natsPrefix})`)));
    assert.ok(startup.some((l) => /^PostgreSQL postgres:\/\/.* schema kitedge$/.test(String(l.msg))));
    const beforeRequests = plain.log.lines().findIndex((l) => l.req !== undefined);
    const atStart = plain.log.lines().slice(0, beforeRequests < 0 ? undefined : beforeRequests);
    assert.ok(atStart.length <= 8, `${atStart.length} lines at start:\n${atStart.map((l) => l.msg).join('\n')}`);
    assert.ok(!plain.log.text.includes('Mapped {'), 'no route dump at info');
  });

  it('takes the client address from X-Forwarded-For only when the peer is a trusted proxy', async () => {
    const forwarded = { 'x-forwarded-for': '203.0.113.7' };
    const ip = async (base: string) => ((await (await send(base, 'GET', '/whoami', { headers: forwarded })).json()) as { ip: string }).ip;
    // Default: no proxy is trusted, anyone could send the header.
    assert.equal(await ip(plain.base), '127.0.0.1');
    const trusting = await start('kitedgeproxy', { TRUSTED_PROXIES: '127.0.0.1' });
    assert.equal(await ip(trusting.base), '203.0.113.7');
    // A chain: the last untrusted address is the client's.
    const chained = await send(trusting.base, 'GET', '/whoami', { headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' } });
    assert.equal(((await chained.json()) as { ip: string }).ip, '203.0.113.7');
    // The peer (127.0.0.1) is not one of the trusted proxies: the header is ignored.
    const other = await start('kitedgeother', { TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.5' });
    assert.equal(await ip(other.base), '127.0.0.1');
  });
});

describe('the Express edge (demo-sp): trusted proxies', () => {
  const env = testEnv('servicekitexpressproxy');
  const apps: NestExpressApplication[] = [];

  const start = async (trusted: string) => {
    await ensureDatabase(env.databaseUrl, 'kitexpressproxy');
    const config = baseConfigSchema.parse({ DATABASE_URL: env.databaseUrl, LOG_LEVEL: 'silent', TRUSTED_PROXIES: trusted });
    @Module({
      imports: [ServiceKitModule.forRoot({ service: 'kitexpressproxy', config, schema: 'kitexpressproxy', entities: [], migrations: [] })],
      controllers: [WhoAmIController],
    })
    class ExpressProxyModule {}
    const app = await NestFactory.create<NestExpressApplication>(ExpressProxyModule, new ExpressAdapter(), { logger: false });
    trustProxiesOnExpress(app, config);
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return (await app.getUrl()).replace('[::1]', '127.0.0.1');
  };

  afterAll(async () => {
    for (const app of apps) await app.close();
    await env.cleanup();
  });

  it('reads X-Forwarded-For from a trusted peer only', async () => {
    const ip = async (base: string) =>
      ((await (await fetch(`${base}/whoami`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).json()) as { ip: string }).ip;
    assert.equal(await ip(await start('')), '127.0.0.1');
    assert.equal(await ip(await start('loopback')), '203.0.113.9');
    assert.equal(await ip(await start('10.0.0.0/8')), '127.0.0.1');
  });
});
