import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import pino from 'pino';
import {
  BusTransport,
  ConsumerPositions,
  ConsumerProgress,
  InstanceLease,
  NatsBus,
  type RpcContract,
  type StreamContract,
} from '@jit/messaging';
import { insecureBusWarning, type BaseConfig } from '@jit/config';
import { ensureDatabase } from '@jit/persistence';
import { ErrorFilter } from './error-filter';

export interface RunServiceOptions {
  service: string;
  /** The service's parsed configuration (the shared keys: host, log level, database, NATS). */
  config: BaseConfig;
  port: number;
  schema: string;
  /** Streams this service produces: created (idempotently) before it starts answering. */
  produces?: readonly StreamContract[];
  consumes?: readonly StreamContract[];
  answers?: readonly RpcContract[];
  bodyLimitBytes?: number;
  module: (bus: NatsBus) => DynamicModule;
  /** Runs after the app is created and before it listens (cookie plugins, content parsers). */
  configure?: (app: NestFastifyApplication) => Promise<void> | void;
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
  const log = pino({ level: config.LOG_LEVEL, base: { service: options.service } });
  // Plain text, not a JSON log line: a development start must show it as it is written.
  const warning = insecureBusWarning(config);
  if (warning) console.warn(warning);
  try {
    await ensureDatabase(config.DATABASE_URL, options.schema);
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
    });
    for (const stream of options.produces ?? []) await bus.ensureStream(stream);
  } catch (error) {
    log.fatal(`NATS with JetStream is not reachable at ${config.NATS_URL} (${String(error)}). Start it: ${NATS_HINT}`);
    throw new StartupError('nats');
  }
  // Taken before the app loads any state from its tables: a state loaded while another instance
  // consumed would be stale, so an instance that takes the lease later rebuilds from snapshots.
  const consumes = options.consumes ?? [];
  let lease: InstanceLease | undefined;
  try {
    lease = consumes.length > 0 ? await InstanceLease.open({ databaseUrl: config.DATABASE_URL, bus, consumes }) : undefined;
  } catch (error) {
    log.fatal(`PostgreSQL is not reachable at ${redactUrl(config.DATABASE_URL)} (${String(error)}). Start it: ${POSTGRES_HINT}`);
    throw new StartupError('postgres');
  }
  const app = await NestFactory.create<NestFastifyApplication>(
    options.module(bus),
    new FastifyAdapter({ bodyLimit: options.bodyLimitBytes ?? 256 * 1024 }),
    { bufferLogs: true },
  );
  app.useLogger(app.get(PinoNestLogger));
  app.useGlobalFilters(new ErrorFilter());
  app.enableShutdownHooks();
  await options.configure?.(app);
  app.connectMicroservice(
    {
      strategy: new BusTransport({
        bus,
        progress: app.get(ConsumerProgress),
        positions: consumes.length > 0 ? app.get(ConsumerPositions) : undefined,
        consumes,
        lease,
        answers: options.answers,
      }),
    },
    { inheritAppConfig: true },
  );
  await app.startAllMicroservices();
  await app.listen(options.port, config.HOST);
  const url = `http://${config.HOST}:${options.port}`;
  log.info({ url }, `${options.service} listening on ${url}`);
  return app;
}

export class StartupError extends Error {
  constructor(readonly dependency: 'postgres' | 'nats') {
    super(`${dependency} is not reachable`);
  }
}

/** main.ts helper: run, and exit non-zero with the reason already logged. */
export function runMain(start: () => Promise<unknown>): void {
  start().catch((error: unknown) => {
    if (!(error instanceof StartupError)) console.error(error);
    process.exit(1);
  });
}

function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
