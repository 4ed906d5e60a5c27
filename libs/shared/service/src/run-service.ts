import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Logger, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, RawServerDefault } from 'fastify';
import type { Logger as Pino } from 'pino';
import {
  BusTransport,
  ConsumerPositions,
  EventReplay,
  ConsumerProgress,
  NatsBus,
  type RpcContract,
  type StreamContract,
} from '@jit/messaging';
import { insecureBusWarning, type BaseConfig } from '@jit/config';
import { ensureDatabase, holdMigrationLock } from '@jit/persistence';
import { ErrorFilter, toErrorBody } from './error-filter';
import { createServiceLogger, PinoNestLogger, SERVICE_LOGGER } from './logger';
import { isOpenApiServed, serveOpenApi, type OpenApiOptions } from './openapi';

export interface RunServiceOptions {
  service: string;
  /** The service's parsed configuration (the shared keys: host, log level, database, NATS). */
  config: BaseConfig;
  port: number;
  schema: string;
  /** Streams this service produces: created (idempotently) before it starts answering. */
  produces?: readonly StreamContract[];
  consumes?: readonly StreamContract[];
  /** Events of one consumed stream in their handlers at once (BusTransportOptions.applyConcurrency); 1 unless given. */
  applyConcurrency?: number;
  answers?: readonly RpcContract[];
  bodyLimitBytes?: number;
  module: (bus: NatsBus) => DynamicModule;
  /** Runs after the app is created and before it listens (cookie plugins, content parsers). */
  configure?: (app: NestFastifyApplication) => Promise<void> | void;
  /**
   * The title and description of the OpenAPI document at /docs-json (page at /docs). Every
   * service serves one; without this (and unless `configure` served its own) it is titled after the service.
   */
  openApi?: Omit<OpenApiOptions, 'version'>;
}

const POSTGRES_HINT = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
const NATS_HINT = 'nats-server -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server   (JetStream must be on: -js)';

/**
 * The one way a service boots: config (already parsed) → logger → dependencies → app →
 * bus transport (inheriting the app's filters) → listen. Shutdown drains NATS and closes the
 * database through the modules' shutdown hooks.
 */
export async function runService(options: RunServiceOptions): Promise<NestFastifyApplication> {
  const { config } = options;
  const log = createServiceLogger(options.service, config);
  // Plain text, not a JSON log line: a development start must show it as it is written.
  const warning = insecureBusWarning(config);
  if (warning) console.warn(warning);
  let releaseMigrations: () => Promise<void>;
  try {
    await ensureDatabase(config.DATABASE_URL, options.schema);
    releaseMigrations = await holdMigrationLock(config.DATABASE_URL, options.schema);
  } catch (error) {
    log.fatal(`PostgreSQL is not reachable at ${redactUrl(config.DATABASE_URL)} (${String(error)}). Start it: ${POSTGRES_HINT}`);
    throw new StartupError('postgres');
  }
  let bus: NatsBus;
  try {
    bus = await NatsBus.connect({
      servers: config.NATS_URL,
      prefix: config.NATS_PREFIX,
      service: options.service,
      user: config.NATS_USER,
      password: config.NATS_PASSWORD,
      inboxPrefix: config.NATS_INBOX_PREFIX,
      keys: config.BUS_KEYS,
      replicas: config.NATS_STREAM_REPLICAS,
    });
  } catch (error) {
    await releaseMigrations();
    log.fatal(`NATS with JetStream is not reachable at ${config.NATS_URL} (${String(error)}). Start it: ${NATS_HINT}`);
    throw new StartupError('nats');
  }
  try {
    for (const stream of options.produces ?? []) await bus.ensureStream(stream);
  } catch (error) {
    await releaseMigrations();
    await bus.close().catch(() => undefined);
    log.fatal(`NATS at ${config.NATS_URL} did not take this service's streams: ${error instanceof Error ? error.message : String(error)}`);
    throw new StartupError('nats');
  }
  const consumes = options.consumes ?? [];
  const bodyLimit = options.bodyLimitBytes ?? 256 * 1024;
  const frameworkLogger = new Logger('Fastify');
  // Migrations run as the app is made: one instance at a time.
  let app: NestFastifyApplication;
  try {
    app = await NestFactory.create<NestFastifyApplication>(
      options.module(bus),
      new FastifyAdapter({
        bodyLimit,
        trustProxy: trustedProxies(config),
        // Errors Fastify meets before any route (a URL that is not valid percent-encoding) answer
        // the same error body as everything else, not Fastify's own.
        frameworkErrors: (error: Error, _request: unknown, reply: FastifyReply) => {
          const body = toErrorBody(error, frameworkLogger);
          void reply.status(body.statusCode).send(body);
        },
      }),
      { bufferLogs: true },
    );
  } finally {
    await releaseMigrations();
  }
  useServiceLogger(app);
  app.useGlobalFilters(new ErrorFilter());
  app.enableShutdownHooks();
  acceptEmptyJsonBodies(app, bodyLimit);
  drainRefusedBodies(app);
  await options.configure?.(app);
  if (!isOpenApiServed(app)) {
    serveOpenApi(app, {
      title: options.openApi?.title ?? `${options.service} API`,
      description: options.openApi?.description ?? `The ${options.service} service's HTTP API.`,
      version: '1',
    });
  }
  app.connectMicroservice(
    {
      strategy: new BusTransport({
        bus,
        progress: app.get(ConsumerProgress),
        positions: consumes.length > 0 ? app.get(ConsumerPositions) : undefined,
        replay: consumes.length > 0 ? app.get(EventReplay) : undefined,
        consumes,
        applyConcurrency: options.applyConcurrency,
        answers: options.answers,
      }),
    },
    { inheritAppConfig: true },
  );
  await app.startAllMicroservices();
  await app.listen(options.port, config.HOST);
  logStartupSummary(app.get<Pino>(SERVICE_LOGGER), {
    service: options.service,
    url: await app.getUrl(),
    config,
    schema: options.schema,
    nats: {
      produces: (options.produces ?? []).map((s) => s.name),
      consumes: (options.consumes ?? []).map((s) => s.name),
      answers: (options.answers ?? []).length,
    },
  });
  return app;
}

/** Fastify's and Express's trust setting from TRUSTED_PROXIES: a list of addresses, or no proxy at all. */
export function trustedProxies(config: Pick<BaseConfig, 'TRUSTED_PROXIES'>): string[] | false {
  return config.TRUSTED_PROXIES.length > 0 ? [...config.TRUSTED_PROXIES] : false;
}

/** For an Express service (demo-sp): the same TRUSTED_PROXIES rule as runService gives Fastify. */
export function trustProxiesOnExpress(app: NestExpressApplication, config: Pick<BaseConfig, 'TRUSTED_PROXIES'>): void {
  app.set('trust proxy', trustedProxies(config));
}

/** Nest's Logger, everywhere in the app, writes through the service's pino logger. */
export function useServiceLogger(app: INestApplication): void {
  app.useLogger(new PinoNestLogger(app.get<Pino>(SERVICE_LOGGER)));
}

/**
 * A request that says `content-type: application/json` but sends no body (`curl -X DELETE -H
 * 'content-type: application/json' ...`, a client that sets the header on every call) is a
 * request without a body, as it is on Express, not a 400. Anything else goes through Fastify's
 * own parser, with its protection against prototype poisoning.
 */
export function acceptEmptyJsonBodies(app: NestFastifyApplication, bodyLimit: number): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit }, (request, body, done) => {
    if (body.length === 0) done(null, undefined);
    else void parseJson(request, body as unknown as string, done);
  });
}

/** The most of a refused body a service reads and drops so that its client gets the 413 (see drainRefusedBodies). */
export const REFUSED_BODY_DRAIN_BYTES = 8 * 1024 * 1024;

/**
 * A body refused as too large is refused from its Content-Length, before it is read; but the
 * client is still sending it. Fastify answers 413 with `Connection: close`, and closing a socket
 * with unread data resets it (RST): the client, still writing, sees EPIPE or ECONNRESET and never
 * reads the 413 and its reason. Up to REFUSED_BODY_DRAIN_BYTES the answer keeps the connection
 * instead, and Node reads and drops the rest of the body, as it does for any body a handler left
 * unread (bounded in time by the server's request timeout); the client reads the answer once it
 * has sent. A larger body is closed on at once, as before: reading it would cost more than the
 * client's convenience is worth.
 */
export function drainRefusedBodies(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    // A callback, not an async function: it runs on every answer, the sign-in's included.
    .addHook('onSend', (request, reply, payload, done) => {
      if (reply.statusCode === 413 && reply.getHeader('connection') === 'close') {
        const declared = Number(request.headers['content-length']);
        if (declared <= REFUSED_BODY_DRAIN_BYTES) reply.removeHeader('connection');
      }
      done(null, payload);
    });
}

export interface StartupSummary {
  service: string;
  url: string;
  config: Pick<BaseConfig, 'DATABASE_URL' | 'NATS_URL' | 'NATS_PREFIX' | 'TRUSTED_PROXIES'>;
  schema: string;
  /** Absent for a service without NATS (demo-sp). */
  nats?: { produces: string[]; consumes: string[]; answers: number };
  /** Further lines of the service's own (demo-sp's JIT mode). */
  extra?: string[];
}

/** A handful of lines at start: what runs, where it listens, and what it talks to. */
export function logStartupSummary(log: Pino, summary: StartupSummary): void {
  const { config } = summary;
  const lines = [
    `${summary.service} ${VERSION} listening on ${summary.url} (API documentation at ${summary.url}/docs)`,
    `PostgreSQL ${redactUrl(config.DATABASE_URL)}, schema ${summary.schema}`,
  ];
  if (summary.nats) {
    const { produces, consumes, answers } = summary.nats;
    lines.push(
      `NATS ${config.NATS_URL}${config.NATS_PREFIX ? ` (prefix ${config.NATS_PREFIX})` : ''}: ` +
        [
          `produces ${produces.join(', ') || 'nothing'}`,
          `consumes ${consumes.join(', ') || 'nothing'}`,
          `answers ${answers} request subject${answers === 1 ? '' : 's'}`,
        ].join('; '),
    );
  }
  lines.push(
    config.TRUSTED_PROXIES.length > 0
      ? `Trusted proxies: ${config.TRUSTED_PROXIES.join(', ')} (their X-Forwarded-For gives the client address)`
      : "Trusted proxies: none (the client address is the connection's)",
  );
  lines.push(...(summary.extra ?? []));
  for (const line of lines) log.info({ context: 'Startup' }, line);
}

/**
 * The project's version, from the nearest package.json above this file: the repository's when run
 * from source, the one beside dist/ in the Docker image.
 */
const VERSION = ((): string => {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'jit-idp') return manifest.version ?? 'unknown';
    } catch {
      // No package.json here: look further up.
    }
  }
  return 'unknown';
})();

export class StartupError extends Error {
  constructor(readonly dependency: 'postgres' | 'nats') {
    super(`${dependency} is not reachable`);
  }
}

/**
 * V8 settings of every service process, set before the service starts (however it is started:
 * `npm start`, its cluster workers, the Docker image, the tests).
 *
 * `--no-allocation-site-pretenuring`: V8 watches which allocation sites make objects that
 * outlive the young generation and, once a site has, allocates all its later objects straight in
 * the old one. A service's bursts (an IdP applying the 1,000 events it missed while down, before
 * it answers anybody) made V8 decide so for sites its requests share with the burst, and the
 * decision stayed: for as long as the process ran, each young-generation GC kept 1.2 MB instead
 * of 0.4 and took 8 ms instead of 2.3, and an SSO cost 15-28% more CPU than on an IdP that had
 * not seen the burst. Without pretenuring both cost the same. `npm run bench:scale` measures it
 * (docs/performance.md, "SSO at size: pretenuring").
 */
export const V8_FLAGS = ['--no-allocation-site-pretenuring'] as const;

/** main.ts helper: set V8_FLAGS, run, and exit non-zero with the reason already logged. */
export function runMain(start: () => Promise<unknown>): void {
  for (const flag of V8_FLAGS) setFlagsFromString(flag);
  start().catch((error: unknown) => {
    if (!(error instanceof StartupError)) console.error(error);
    process.exit(1);
  });
}

export function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
