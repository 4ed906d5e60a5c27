import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dropDatabase, ensureDatabase, serviceDataSourceOptions } from '@jit/persistence';
import { Initial1764300000000 } from '../migrations/1764300000000-Initial';
import { SharedSessions1766000000000 } from '../migrations/1766000000000-SharedSessions';
import { SessionStore } from './session-store';
import { SharedSessions } from './shared-sessions';

const databaseUrl = `postgres://postgres@127.0.0.1:5432/jit_test_shared_sessions_${randomBytes(6).toString('hex')}`;
let dataSource: DataSource;
const stores: SessionStore[] = [];

/** An IdP instance's session store over the shared table. */
const instance = async () => {
  const store = new SessionStore(60_000, 3_600_000);
  store.share(new SharedSessions(dataSource, databaseUrl, (hash) => store.endedElsewhere(hash)));
  await store.onModuleInit();
  stores.push(store);
  return store;
};

beforeAll(async () => {
  await ensureDatabase(databaseUrl, 'idp');
  dataSource = new DataSource(
    serviceDataSourceOptions({
      url: databaseUrl,
      schema: 'idp',
      entities: [],
      migrations: [Initial1764300000000, SharedSessions1766000000000],
    }),
  );
  await dataSource.initialize();
  await dataSource.runMigrations();
});

afterAll(async () => {
  for (const store of stores) await store.onApplicationShutdown();
  await dataSource?.destroy();
  await dropDatabase(databaseUrl);
});

describe('Signed-in sessions shared by IdP instances', () => {
  it('keep how the person signed in (second factor, passkey) and when they last verified, on another instance', async () => {
    const [one, other] = [await instance(), await instance()];
    const verifiedAt = Date.now() - 1000;
    const user = { id: randomUUID(), organizationId: randomUUID(), authnInstant: new Date(), sessionIndex: '_s1' };
    const withPasskey = one.regenerate({ ...one.create(), user: { ...user, mfa: true, phishingResistant: true, verifiedAt } });
    const passwordOnly = one.regenerate({ ...one.create(), user: { ...user, sessionIndex: '_s2' } });
    await one.flush();
    const read = await other.resolve(withPasskey.id);
    assert.deepEqual(
      [read?.user?.mfa, read?.user?.phishingResistant, read?.user?.verifiedAt],
      [true, true, verifiedAt],
      'an instance that did not see the sign-in asserts and decides the same',
    );
    const plain = await other.resolve(passwordOnly.id);
    assert.deepEqual([plain?.user?.mfa, plain?.user?.phishingResistant, plain?.user?.verifiedAt], [undefined, undefined, undefined]);
  });
});
