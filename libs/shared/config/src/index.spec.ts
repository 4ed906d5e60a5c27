import assert from 'node:assert/strict';
import { z } from 'zod';
import {
  baseConfigSchema,
  ConfigError,
  DEVELOPMENT_ADMIN_API_KEY,
  DEVELOPMENT_BUS_KEY,
  insecureBusWarning,
  loadConfig,
  productionBus,
} from './index';

// Every service extends the base schema: its rules must hold in the extended one.
const serviceSchema = baseConfigSchema.extend({ SERVICE_PORT: z.coerce.number().default(4000) });

describe('loadConfig', () => {
  it('takes NATS credentials as a pair, and an inbox prefix of one subject token', () => {
    assert.deepEqual(
      (({ NATS_USER, NATS_PASSWORD, NATS_INBOX_PREFIX }) => ({ NATS_USER, NATS_PASSWORD, NATS_INBOX_PREFIX }))(
        loadConfig(serviceSchema, { NATS_USER: 'directory', NATS_PASSWORD: 'pw', NATS_INBOX_PREFIX: '_INBOX_directory' }),
      ),
      { NATS_USER: 'directory', NATS_PASSWORD: 'pw', NATS_INBOX_PREFIX: '_INBOX_directory' },
    );
    assert.equal(loadConfig(serviceSchema, {}).NATS_INBOX_PREFIX, '_INBOX');
    assert.throws(
      () => loadConfig(serviceSchema, { NATS_USER: 'directory' }),
      (e: unknown) => e instanceof ConfigError && /NATS_USER: NATS_USER and NATS_PASSWORD go together/.test(e.message),
    );
    assert.throws(() => loadConfig(serviceSchema, { NATS_PASSWORD: 'pw' }), /NATS_USER and NATS_PASSWORD go together/);
    assert.throws(() => loadConfig(serviceSchema, { NATS_INBOX_PREFIX: '_INBOX.directory' }), /NATS_INBOX_PREFIX: letters, digits/);
  });

  it('names the wrong variable and never echoes a value', () => {
    assert.throws(
      () => loadConfig(serviceSchema, { NATS_PASSWORD: 'secret-value-123' }),
      (e: unknown) => e instanceof ConfigError && /NATS_USER/.test(e.message) && !e.message.includes('secret-value-123'),
    );
    assert.throws(
      () => loadConfig(serviceSchema, { NATS_INBOX_PREFIX: 'secret.value' }),
      (e: unknown) => e instanceof ConfigError && /NATS_INBOX_PREFIX/.test(e.message) && !e.message.includes('secret.value'),
    );
  });

  it('takes NATS_URL as one server or a comma-separated cluster, and NATS_STREAM_REPLICAS from 1 to 5 (1 by default)', () => {
    assert.equal(loadConfig(serviceSchema, {}).NATS_URL, 'nats://127.0.0.1:4222');
    assert.equal(loadConfig(serviceSchema, {}).NATS_STREAM_REPLICAS, 1);
    const cluster = 'nats://nats-1:4222, nats://nats-2:4222,tls://nats-3:4222,127.0.0.1:4223';
    assert.equal(loadConfig(serviceSchema, { NATS_URL: cluster }).NATS_URL, cluster);
    assert.equal(loadConfig(serviceSchema, { NATS_STREAM_REPLICAS: '3' }).NATS_STREAM_REPLICAS, 3);
    for (const bad of [' ', 'nats://a:4222,,nats://b:4222', 'http://nats:4222', 'nats://nats:4222/path', 'nats://a:4222;nats://b:4222']) {
      assert.throws(() => loadConfig(serviceSchema, { NATS_URL: bad }), /NATS_URL: one NATS server/, bad);
    }
    for (const bad of ['0', '6', '2.5', 'three']) {
      assert.throws(() => loadConfig(serviceSchema, { NATS_STREAM_REPLICAS: bad }), /NATS_STREAM_REPLICAS/, bad);
    }
  });

  it('reads TRUSTED_PROXIES as a list of addresses and CIDRs, none by default, and names a bad entry', () => {
    assert.deepEqual(loadConfig(serviceSchema, {}).TRUSTED_PROXIES, []);
    assert.deepEqual(loadConfig(serviceSchema, { TRUSTED_PROXIES: '10.0.0.5, 10.1.0.0/16,::1,loopback' }).TRUSTED_PROXIES, [
      '10.0.0.5',
      '10.1.0.0/16',
      '::1',
      'loopback',
    ]);
    for (const bad of ['10.0.0.0/33', 'proxy.example.com', '10.0.0.5/8/1', '*']) {
      assert.throws(() => loadConfig(serviceSchema, { TRUSTED_PROXIES: bad }), /TRUSTED_PROXIES: addresses or CIDRs/, bad);
    }
  });
});

describe('production on the bus', () => {
  const onBus = serviceSchema.superRefine(productionBus);
  const secure = { NODE_ENV: 'production', NATS_USER: 'directory', NATS_PASSWORD: 'pw', BUS_KEYS: 'k'.repeat(32) };
  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig(onBus, env);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.message;
    }
    return 'started';
  };

  it('refuses to start without a NATS user or without a bus key, naming the variable', () => {
    assert.equal(
      refusal({ ...secure, NATS_USER: '', NATS_PASSWORD: '' }),
      "Invalid configuration:\n  NATS_USER: required when NODE_ENV=production, with NATS_PASSWORD: the service's own NATS user (docs/nats-permissions.md)",
    );
    assert.equal(
      refusal({ ...secure, BUS_KEYS: '' }),
      'Invalid configuration:\n  BUS_KEYS: required when NODE_ENV=production: a secret of your own, at least 32 random characters, the same for every service',
    );
    assert.match(
      refusal({ ...secure, BUS_KEYS: `${'n'.repeat(32)},${DEVELOPMENT_BUS_KEY}` }),
      /BUS_KEYS: required when NODE_ENV=production/,
    );
    assert.equal(refusal(secure), 'started');
  });

  it('takes BUS_KEYS as a list of long keys, the first one first', () => {
    const keys = loadConfig(onBus, { ...secure, BUS_KEYS: ` ${'a'.repeat(32)}, ${'b'.repeat(40)}` }).BUS_KEYS;
    assert.deepEqual(keys, ['a'.repeat(32), 'b'.repeat(40)]);
    const short = refusal({ ...secure, BUS_KEYS: `${'a'.repeat(32)},too-short-secret` });
    assert.match(short, /BUS_KEYS\.1: each key needs at least 32 random characters/);
    assert.equal(short.includes('too-short-secret'), false);
  });

  it('warns a development start, once and loudly, and says nothing in production or tests', () => {
    assert.match(
      insecureBusWarning(loadConfig(onBus, {})) ?? '',
      /DEVELOPMENT BUS[\s\S]*BUS_KEYS is the public development key[\s\S]*NATS_USER is not set/,
    );
    assert.equal(insecureBusWarning(loadConfig(onBus, secure)), undefined);
    assert.equal(insecureBusWarning(loadConfig(onBus, { NODE_ENV: 'test' })), undefined);
    // npm start sets the development key explicitly: still said.
    assert.match(insecureBusWarning(loadConfig(onBus, { BUS_KEYS: DEVELOPMENT_BUS_KEY })) ?? '', /BUS_KEYS is the public development key/);
    // A development start with a key and a user has nothing to warn about.
    assert.equal(insecureBusWarning(loadConfig(onBus, { ...secure, NODE_ENV: 'development' })), undefined);
  });
});

describe('the development admin key', () => {
  it('is refused in production, where it would make anyone an administrator, and accepted in development', () => {
    assert.throws(
      () => loadConfig(serviceSchema, { NODE_ENV: 'production', BOOTSTRAP_ADMIN_API_KEY: DEVELOPMENT_ADMIN_API_KEY }),
      (e: unknown) =>
        e instanceof ConfigError && /BOOTSTRAP_ADMIN_API_KEY: the development key "dev-admin-key-change-me" is public/.test(e.message),
    );
    assert.equal(
      loadConfig(serviceSchema, { NODE_ENV: 'development', BOOTSTRAP_ADMIN_API_KEY: DEVELOPMENT_ADMIN_API_KEY }).NODE_ENV,
      'development',
    );
    assert.equal(loadConfig(serviceSchema, { NODE_ENV: 'production', BOOTSTRAP_ADMIN_API_KEY: 'k'.repeat(32) }).NODE_ENV, 'production');
  });
});
