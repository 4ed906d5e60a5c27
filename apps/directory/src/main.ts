import 'reflect-metadata';
import { DIRECTORY_STREAM, DirectoryRpc, DirectorySnapshot } from '@jit/directory-contracts';
import { runMain, runService, serveOpenApi } from '@jit/service';
import { AppModule, DIRECTORY_SCHEMA } from './app.module';
import { loadDirectoryConfig } from './config';
import { IMPORT_MAX_BYTES } from './users/users-import.service';

runMain(async () => {
  const config = loadDirectoryConfig();
  await runService({
    service: 'directory',
    config,
    port: config.DIRECTORY_PORT,
    schema: DIRECTORY_SCHEMA,
    produces: [DIRECTORY_STREAM],
    // A bulk membership call's 10,000 user ids are ~400 KB of JSON, above the default 256 KiB.
    bodyLimitBytes: 1024 * 1024,
    answers: [...Object.values(DirectoryRpc), ...Object.values(DirectorySnapshot)],
    module: (bus) => AppModule.register(config, bus),
    configure: (app) => {
      serveOpenApi(app, {
        title: 'Directory admin API',
        description: 'Organisations, API keys, users, user groups and memberships. Every call needs the x-api-key header.',
        version: '1',
      });
      // User import (POST /v1/users/import) takes the CSV file as the body. Its own limit, above
      // the JSON one; beyond it Fastify answers 413, which the error filter turns into our shape.
      app
        .getHttpAdapter()
        .getInstance()
        .addContentTypeParser<string>('text/csv', { parseAs: 'string', bodyLimit: IMPORT_MAX_BYTES }, (_request, body, done) =>
          done(null, body),
        );
    },
  });
});
