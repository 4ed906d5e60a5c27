import 'reflect-metadata';
import { CATALOG_STREAM, CatalogSnapshot } from '@jit/catalog-contracts';
import { runMain, runService, serveOpenApi } from '@jit/service';
import { AppModule, CATALOG_SCHEMA } from './app.module';
import { loadCatalogConfig } from './config';
import { CATALOG_CONSUMES } from './directory-replica/directory-replica.module';

runMain(async () => {
  const config = loadCatalogConfig();
  await runService({
    service: 'catalog',
    config,
    port: config.CATALOG_PORT,
    schema: CATALOG_SCHEMA,
    produces: [CATALOG_STREAM],
    consumes: CATALOG_CONSUMES,
    answers: Object.values(CatalogSnapshot),
    module: (bus) => AppModule.register(config, bus),
    configure: (app) =>
      serveOpenApi(app, {
        title: 'Connector catalog admin API',
        description:
          'Connectors, applications (SAML options, SP metadata, attribute mappings), user group bindings and JIT readiness. Every call needs the x-api-key header.',
        version: '1',
      }),
  });
});
