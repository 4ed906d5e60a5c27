import type { AddressInfo } from 'node:net';
import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { raw, urlencoded, type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import type { Logger as Pino } from 'pino';
import { DataSource } from 'typeorm';
import { insecureBusWarning } from '@jit/config';
import { BusTransport, ConsumerPositions, ConsumerProgress, NatsBus } from '@jit/messaging';
import { ensureDatabase, holdMigrationLock } from '@jit/persistence';
import {
  createServiceLogger,
  ErrorFilter,
  logStartupSummary,
  redactUrl,
  serveOpenApi,
  SERVICE_LOGGER,
  ServiceKitModule,
  StartupError,
  toErrorBody,
  trustProxiesOnExpress,
  useServiceLogger,
} from '@jit/service';
import { ActivityController } from './activity/activity.controller';
import { Activity } from './activity/activity.entity';
import { CONSOLE_CONSUMES } from './activity/activity-events';
import { ActivityHandler } from './activity/activity.handler';
import { ActivityRetention } from './activity/activity-retention';
import { ActivityNames } from './activity/activity-names';
import { ActivityService } from './activity/activity.service';
import { AuthController } from './auth/auth.controller';
import { ConsoleSaml, REQUEST_ID_TTL_MS } from './auth/console-saml';
import { SamlRequestIds } from './auth/saml-request-ids';
import { IdpMetadataService } from '@jit/sp-metadata';
import { CONSOLE_CONFIG, type ConsoleConfig } from './config';
import { EventsController } from './live/events.controller';
import { LiveEvents } from './live/live-events';
import { MeController } from './me.controller';
import { Initial1766000000000 } from './migrations/1766000000000-Initial';
import { SamlRequestIds1767000000000 } from './migrations/1767000000000-SamlRequestIds';
import { ActivityNames1767100000000 } from './migrations/1767100000000-ActivityNames';
import { PROXY_BODY_LIMIT, ProxyController } from './proxy/proxy.controller';
import { SECURE_SESSION_COOKIE, SESSION_COOKIE, SESSION_MAX_AGE_MS } from './session/console-session';
import { PgSessionStore } from './session/pg-session-store';
import { SessionQueries } from './session/session-queries';
import { SessionRow } from './session/session-row.entity';
import { spaCompression, spaMiddleware } from './spa/spa';

export const CONSOLE_SCHEMA = 'console';

@Module({})
export class AppModule {
  static register(config: ConsoleConfig, bus: NatsBus): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceKitModule.forRoot({
          service: 'console',
          config,
          schema: CONSOLE_SCHEMA,
          entities: [Activity, SessionRow],
          migrations: [Initial1766000000000, SamlRequestIds1767000000000, ActivityNames1767100000000],
          bus,
          consumes: CONSOLE_CONSUMES,
        }),
      ],
      controllers: [AuthController, MeController, ActivityController, EventsController, ProxyController, ActivityHandler],
      providers: [
        { provide: CONSOLE_CONFIG, useValue: config },
        { provide: IdpMetadataService, useValue: new IdpMetadataService(config.IDP_URL) },
        {
          provide: ConsoleSaml,
          inject: [IdpMetadataService, DataSource],
          useFactory: (metadata: IdpMetadataService, dataSource: DataSource) =>
            new ConsoleSaml(
              {
                consoleUrl: config.CONSOLE_URL,
                ...(config.CONSOLE_SAML_SIGNING_KEY && config.CONSOLE_SAML_SIGNING_CERTIFICATE
                  ? { signing: { privateKey: config.CONSOLE_SAML_SIGNING_KEY, certificate: config.CONSOLE_SAML_SIGNING_CERTIFICATE } }
                  : {}),
              },
              metadata,
              new SamlRequestIds(dataSource, REQUEST_ID_TTL_MS),
            ),
        },
        ActivityService,
        ActivityNames,
        ActivityRetention,
        LiveEvents,
        SessionQueries,
      ],
    };
  }
}

/**
 * The app with its middleware and its event consumer, not yet listening. Express rather than
 * Fastify (unlike the other services): passport-saml and express-session need it.
 */
export async function createConsoleApp(config: ConsoleConfig, bus: NatsBus): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config, bus), new ExpressAdapter(), {
    bufferLogs: true,
    // Our own parsers, per path, so that their errors reach our handler below.
    bodyParser: false,
  });
  useServiceLogger(app);
  trustProxiesOnExpress(app, config);
  serveOpenApi(app, {
    title: 'Admin console',
    description:
      "The console's own API: the signed-in person and the activity log. /api/directory, /api/catalog and /api/idp forward to the services' APIs.",
    version: '1',
  });
  app.useGlobalFilters(new ErrorFilter());
  app.enableShutdownHooks();
  const secure = config.CONSOLE_URL.startsWith('https:');
  app.use(
    session({
      name: secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE,
      secret: config.CONSOLE_SESSION_SECRET,
      store: new PgSessionStore(app.get(DataSource)),
      resave: false,
      saveUninitialized: false,
      // An https URL means TLS ends at a proxy in front: trust its X-Forwarded-Proto for `secure`.
      proxy: secure,
      // Strict: no other site can make the browser send it, which with the CSRF header guards every change.
      cookie: { httpOnly: true, sameSite: 'strict', secure, path: '/', maxAge: SESSION_MAX_AGE_MS },
    }),
  );
  // Forwarded as they are: any type, up to 1 MB (a CSV import, say).
  app.use(['/api/directory', '/api/catalog', '/api/idp'], raw({ type: () => true, limit: PROXY_BODY_LIMIT }));
  // A signed Response with its attributes is tens of KB once base64-encoded.
  app.use('/saml', urlencoded({ extended: false, limit: '512kb' }));
  app.use(spaCompression());
  app.use(spaMiddleware(config.CONSOLE_WEB_DIR ? [config.CONSOLE_WEB_DIR] : undefined));
  const logger = new Logger('console');
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const body = toErrorBody(error, logger);
    res.status(body.statusCode).json(body);
  });
  app.connectMicroservice(
    {
      strategy: new BusTransport({
        bus,
        progress: app.get(ConsumerProgress),
        positions: app.get(ConsumerPositions),
        consumes: CONSOLE_CONSUMES,
      }),
    },
    { inheritAppConfig: true },
  );
  return app;
}

export interface RunningConsole {
  app: NestExpressApplication;
  url: string;
}

const POSTGRES_HINT = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
const NATS_HINT = 'nats-server -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server   (JetStream must be on: -js)';

/** Database → bus → app → listen, as runService does for the Fastify services. */
export async function startConsole(config: ConsoleConfig): Promise<RunningConsole> {
  const log = createServiceLogger('console', config);
  const warning = insecureBusWarning(config);
  if (warning) console.warn(warning);
  let releaseMigrations: () => Promise<void>;
  try {
    await ensureDatabase(config.DATABASE_URL, CONSOLE_SCHEMA);
    releaseMigrations = await holdMigrationLock(config.DATABASE_URL, CONSOLE_SCHEMA);
  } catch (error) {
    log.fatal(`PostgreSQL is not reachable at ${redactUrl(config.DATABASE_URL)} (${String(error)}). Start it: ${POSTGRES_HINT}`);
    throw new StartupError('postgres');
  }
  let bus: NatsBus;
  try {
    bus = await NatsBus.connect({
      servers: config.NATS_URL,
      prefix: config.NATS_PREFIX,
      service: 'console',
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
  // Migrations run as the app is made: one instance at a time.
  let app: NestExpressApplication;
  try {
    app = await createConsoleApp(config, bus);
  } finally {
    await releaseMigrations();
  }
  await app.startAllMicroservices();
  await app.listen(config.CONSOLE_PORT, config.HOST);
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://${config.HOST}:${port}`;
  logStartupSummary(app.get<Pino>(SERVICE_LOGGER), {
    service: 'console',
    url,
    config,
    schema: CONSOLE_SCHEMA,
    nats: { produces: [], consumes: CONSOLE_CONSUMES.map((s) => s.name), answers: 0 },
    extra: [
      `Public URL ${config.CONSOLE_URL}; IdP ${config.IDP_URL}, directory ${config.DIRECTORY_URL}, catalog ${config.CATALOG_URL}`,
      config.CONSOLE_DEFAULT_ORGANIZATION_ID
        ? `Sign-in: ${config.CONSOLE_URL}/auth/login (organisation ${config.CONSOLE_DEFAULT_ORGANIZATION_ID})`
        : `Sign-in: ${config.CONSOLE_URL}/auth/login?organization=<organisation id> (set CONSOLE_DEFAULT_ORGANIZATION_ID for a default)`,
    ],
  });
  return { app, url };
}
