import 'reflect-metadata';
import { DIRECTORY_STREAM, DirectoryRpc } from '@jit/directory-contracts';
import { runMain, runService } from '@jit/service';
import { AppModule, DIRECTORY_SCHEMA } from './app.module';
import { loadDirectoryConfig } from './config';

runMain(async () => {
  const config = loadDirectoryConfig();
  await runService({
    service: 'directory',
    config,
    port: config.DIRECTORY_PORT,
    schema: DIRECTORY_SCHEMA,
    produces: [DIRECTORY_STREAM],
    answers: Object.values(DirectoryRpc),
    module: (bus) => AppModule.register(config, bus),
  });
});
