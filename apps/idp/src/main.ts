import 'reflect-metadata';
import fastifyCookie from '@fastify/cookie';
import { IDP_STREAM } from '@jit/idp-contracts';
import { runMain, runService } from '@jit/service';
import { AppModule, IDP_SCHEMA } from './app.module';
import { loadIdpConfig } from './config';
import { IDP_CONSUMES } from './sso/sso.module';

runMain(async () => {
  const config = loadIdpConfig();
  await runService({
    service: 'idp',
    host: config.HOST,
    port: config.IDP_PORT,
    logLevel: config.LOG_LEVEL,
    databaseUrl: config.DATABASE_URL,
    schema: IDP_SCHEMA,
    natsUrl: config.NATS_URL,
    natsPrefix: config.NATS_PREFIX,
    produces: [IDP_STREAM],
    consumes: IDP_CONSUMES,
    module: (bus) => AppModule.register(config, bus),
    configure: async (app) => {
      await app.register(fastifyCookie);
    },
  });
});
