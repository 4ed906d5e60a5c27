import type { AddressInfo } from 'node:net';
import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { json, urlencoded, type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import type { Logger as Pino } from 'pino';
import { ensureDatabase } from '@jit/persistence';
import {
  createServiceLogger,
  ErrorFilter,
  logStartupSummary,
  serveOpenApi,
  SERVICE_LOGGER,
  ServiceKitModule,
  StartupError,
  toErrorBody,
  trustProxiesOnExpress,
  useServiceLogger,
} from '@jit/service';
import { Account } from './accounts/account.entity';
import type { DemoSpConfig } from './config';
import { Initial1764400000000 } from './migrations/1764400000000-Initial';
import { AccountIssuer1765300000000 } from './migrations/1765300000000-AccountIssuer';
import { SESSION_COOKIE } from './sign-in/session';
import { SignInModule } from './sign-in/sign-in.module';

export const DEMO_SP_SCHEMA = 'demo_sp';

@Module({})
export class AppModule {
  static register(config: DemoSpConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // No bus: the demo SP speaks only HTTP and SAML.
        ServiceKitModule.forRoot({
          service: 'demo-sp',
          config,
          schema: DEMO_SP_SCHEMA,
          entities: [Account],
          migrations: [Initial1764400000000, AccountIssuer1765300000000],
        }),
        SignInModule.register(config),
      ],
    };
  }
}

/** The app with its middleware, not yet listening. Express rather than Fastify: passport needs it. */
export async function createDemoSpApp(config: DemoSpConfig): Promise<NestExpressApplication> {
  // Our own parsers, so that their errors (body too large, bad encoding) reach our handler below
  // instead of Express's default page, which shows a stack trace outside production.
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), new ExpressAdapter(), {
    bufferLogs: true,
    bodyParser: false,
  });
  useServiceLogger(app);
  trustProxiesOnExpress(app, config);
  serveOpenApi(app, { title: 'Demo SP', description: 'An example SP that creates accounts from SAML assertions (JIT).', version: '1' });
  app.useGlobalFilters(new ErrorFilter());
  app.enableShutdownHooks();
  const secure = config.DEMO_SP_BASE_URL.startsWith('https:');
  app.use(
    session({
      name: SESSION_COOKIE,
      secret: config.DEMO_SP_SESSION_SECRET,
      resave: false,
      saveUninitialized: false,
      // An https base URL means TLS ends at a proxy in front: trust its X-Forwarded-Proto for `secure`.
      proxy: secure,
      // The in-memory store suits a demo: sessions end with the process.
      cookie: { httpOnly: true, sameSite: 'lax', secure, maxAge: 8 * 3600_000 },
    }),
  );
  // A signed Response with a few dozen attributes is tens of KB once base64-encoded.
  app.use(urlencoded({ extended: false, limit: '512kb' }));
  app.use(json({ limit: '16kb' }));
  const logger = new Logger('demo-sp');
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const body = toErrorBody(error, logger);
    res.status(body.statusCode).json(body);
  });
  return app;
}

export interface RunningDemoSp {
  app: NestExpressApplication;
  /** Where it listens (the base URL may differ, e.g. behind a proxy). */
  url: string;
}

/** Database → app → listen, as `main.ts` does; the end-to-end tests may call it in-process. */
export async function startDemoSp(config: DemoSpConfig): Promise<RunningDemoSp> {
  const log = createServiceLogger('demo-sp', config);
  try {
    await ensureDatabase(config.DATABASE_URL, DEMO_SP_SCHEMA);
  } catch (error) {
    const where = new URL(config.DATABASE_URL);
    where.password = where.password ? '***' : '';
    log.fatal(
      `PostgreSQL is not reachable at ${where.toString()} (${String(error)}). Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`,
    );
    throw new StartupError('postgres');
  }
  const app = await createDemoSpApp(config);
  await app.listen(config.DEMO_SP_PORT, config.HOST);
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://${config.HOST}:${port}`;
  logStartupSummary(app.get<Pino>(SERVICE_LOGGER), {
    service: 'demo-sp',
    url,
    config,
    schema: DEMO_SP_SCHEMA,
    extra: [`Public URL ${config.DEMO_SP_BASE_URL}, IdP ${config.DEMO_SP_IDP_URL}, JIT mode ${config.DEMO_SP_JIT_MODE}`],
  });
  return { app, url };
}
