import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { baseConfigSchema, ConfigError, loadConfig } from './index';

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
