import 'reflect-metadata';
import fastifyCookie from '@fastify/cookie';
import { IDP_STREAM } from '@jit/idp-contracts';
import { runMain, runService } from '@jit/service';
import { AppModule, IDP_SCHEMA } from './app.module';
import { loadIdpConfig } from './config';
import { IDP_APPLY_CONCURRENCY, IDP_CONSUMES } from './read-model/consumed-streams';

runMain(async () => {
  const config = loadIdpConfig();
  await runService({
    service: 'idp',
    config,
    port: config.IDP_PORT,
    schema: IDP_SCHEMA,
    produces: [IDP_STREAM],
    consumes: IDP_CONSUMES,
    applyConcurrency: IDP_APPLY_CONCURRENCY,
    module: (bus) => AppModule.register(config, bus),
    configure: async (app) => {
      await app.register(fastifyCookie);
    },
  });
});
