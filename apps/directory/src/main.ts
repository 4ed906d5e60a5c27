import 'reflect-metadata';
import { DIRECTORY_STREAM, DirectoryRpc } from '@jit/directory-contracts';
import { runMain, runService } from '@jit/service';
import { AppModule, DIRECTORY_SCHEMA } from './app.module';
import { loadDirectoryConfig } from './config';

runMain(async () => {
  const config = loadDirectoryConfig();
  await runService({
    service: 'directory',
    host: config.HOST,
    port: config.DIRECTORY_PORT,
    logLevel: config.LOG_LEVEL,
    databaseUrl: config.DATABASE_URL,
    schema: DIRECTORY_SCHEMA,
    natsUrl: config.NATS_URL,
    natsPrefix: config.NATS_PREFIX,
    produces: [DIRECTORY_STREAM],
    answers: Object.values(DirectoryRpc),
    module: (bus) => AppModule.register(config, bus),
  });
});
