import 'reflect-metadata';
import { CATALOG_STREAM } from '@jit/catalog-contracts';
import { runMain, runService } from '@jit/service';
import { AppModule, CATALOG_SCHEMA } from './app.module';
import { loadCatalogConfig } from './config';

runMain(async () => {
  const config = loadCatalogConfig();
  await runService({
    service: 'catalog',
    host: config.HOST,
    port: config.CATALOG_PORT,
    logLevel: config.LOG_LEVEL,
    databaseUrl: config.DATABASE_URL,
    schema: CATALOG_SCHEMA,
    natsUrl: config.NATS_URL,
    natsPrefix: config.NATS_PREFIX,
    produces: [CATALOG_STREAM],
    module: (bus) => AppModule.register(config, bus),
  });
});
