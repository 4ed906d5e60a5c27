import assert from 'node:assert/strict';
import { ConfigError } from '@jit/config';
import { DEVELOPMENT_ADMIN_PASSWORD, loadDirectoryConfig } from './config';

const PRODUCTION = {
  NODE_ENV: 'production',
  NATS_USER: 'directory',
  NATS_PASSWORD: 'nats password',
  BUS_KEYS: 'a-production-bus-key-of-at-least-32-characters',
};

const problems = (env: Record<string, string>): string => {
  try {
    loadDirectoryConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  return '';
};

describe('directory configuration: the bootstrap administrator', () => {
  it('takes both the username and the password, or neither', () => {
    assert.equal(loadDirectoryConfig({}).BOOTSTRAP_ADMIN_USERNAME, undefined);
    const both = loadDirectoryConfig({ BOOTSTRAP_ADMIN_USERNAME: 'admin', BOOTSTRAP_ADMIN_PASSWORD: 'twelve chars' });
    assert.deepEqual([both.BOOTSTRAP_ADMIN_USERNAME, both.BOOTSTRAP_ADMIN_PASSWORD], ['admin', 'twelve chars']);
    const message = 'BOOTSTRAP_ADMIN_USERNAME: BOOTSTRAP_ADMIN_USERNAME and BOOTSTRAP_ADMIN_PASSWORD go together: set both, or neither';
    assert.match(problems({ BOOTSTRAP_ADMIN_USERNAME: 'admin' }), new RegExp(message));
    assert.match(problems({ BOOTSTRAP_ADMIN_PASSWORD: 'a long enough password' }), new RegExp(message));
    // Empty means unset, as docker compose passes it.
    assert.equal(loadDirectoryConfig({ BOOTSTRAP_ADMIN_USERNAME: '', BOOTSTRAP_ADMIN_PASSWORD: '' }).BOOTSTRAP_ADMIN_PASSWORD, undefined);
  });

  it('refuses a password under 12 characters, a username with white space and an email that is not one', () => {
    assert.match(
      problems({ BOOTSTRAP_ADMIN_USERNAME: 'admin', BOOTSTRAP_ADMIN_PASSWORD: 'eleven char' }),
      /BOOTSTRAP_ADMIN_PASSWORD: use at least 12 characters/,
    );
    assert.match(
      problems({ BOOTSTRAP_ADMIN_USERNAME: 'the admin', BOOTSTRAP_ADMIN_PASSWORD: 'twelve chars' }),
      /BOOTSTRAP_ADMIN_USERNAME: no white space/,
    );
    assert.match(
      problems({ BOOTSTRAP_ADMIN_USERNAME: 'admin', BOOTSTRAP_ADMIN_PASSWORD: 'twelve chars', BOOTSTRAP_ADMIN_EMAIL: 'admin' }),
      /BOOTSTRAP_ADMIN_EMAIL:/,
    );
  });

  it('refuses the printed development password in production, and takes it in development', () => {
    const dev = { BOOTSTRAP_ADMIN_USERNAME: 'admin', BOOTSTRAP_ADMIN_PASSWORD: DEVELOPMENT_ADMIN_PASSWORD };
    assert.equal(loadDirectoryConfig(dev).BOOTSTRAP_ADMIN_PASSWORD, DEVELOPMENT_ADMIN_PASSWORD);
    assert.match(
      problems({ ...PRODUCTION, ...dev }),
      /BOOTSTRAP_ADMIN_PASSWORD: the development password "dev-admin-password-change-me" is public/,
    );
    assert.equal(problems({ ...PRODUCTION, BOOTSTRAP_ADMIN_USERNAME: 'admin', BOOTSTRAP_ADMIN_PASSWORD: 'a secret of my own' }), '');
  });
});
