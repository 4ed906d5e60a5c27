import assert from 'node:assert/strict';
import { ConfigError } from '@jit/config';
import { loadConsoleConfig } from './config';

describe('console configuration', () => {
  it('runs in development with its defaults', () => {
    const config = loadConsoleConfig({});
    assert.equal(config.CONSOLE_PORT, 4003);
    assert.equal(config.CONSOLE_URL, 'http://localhost:4003');
    assert.equal(config.ACTIVITY_RETENTION_DAYS, 90);
  });

  it('drops a trailing slash from its URLs (the ACS must match the IdP’s byte for byte)', () => {
    assert.equal(loadConsoleConfig({ CONSOLE_URL: 'https://console.example.com/' }).CONSOLE_URL, 'https://console.example.com');
  });

  it('refuses the development session secret in production, naming it', () => {
    assert.throws(
      () =>
        loadConsoleConfig({
          NODE_ENV: 'production',
          NATS_USER: 'console',
          NATS_PASSWORD: 'p',
          BUS_KEYS: 'a'.repeat(64),
        }),
      (error: unknown) => error instanceof ConfigError && /CONSOLE_SESSION_SECRET/.test(error.message),
    );
    assert.doesNotThrow(() =>
      loadConsoleConfig({
        NODE_ENV: 'production',
        NATS_USER: 'console',
        NATS_PASSWORD: 'p',
        BUS_KEYS: 'a'.repeat(64),
        CONSOLE_SESSION_SECRET: 'b'.repeat(64),
      }),
    );
  });
});
