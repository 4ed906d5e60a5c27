import assert from 'node:assert/strict';
import { idpConfigSchema, loadIdpConfig } from './config';

/** What a production start needs besides the console's settings. */
const PRODUCTION = {
  NODE_ENV: 'production',
  NATS_USER: 'idp',
  NATS_PASSWORD: 'idp-password',
  BUS_KEYS: 'a-bus-key-of-this-deployment-0123456789abcdef',
  BOOTSTRAP_ADMIN_API_KEY: 'an-admin-api-key-of-this-deployment-0123456789',
  IDP_KEY_ENCRYPTION_KEY: 'a-key-encryption-key-of-its-own-0123456789abcdef',
  IDP_NAMEID_SECRET: 'a-name-id-secret-of-its-own-0123456789abcdef',
};

const consoleUrlIssue = (env: Record<string, string>) =>
  idpConfigSchema.safeParse(env).error?.issues.find((i) => i.path[0] === 'CONSOLE_URL')?.message;

describe('the console settings', () => {
  it('defaults to the console on this machine, and drops a trailing slash (the SAML URLs are built from it)', () => {
    assert.equal(loadIdpConfig({}).CONSOLE_URL, 'http://localhost:4003');
    assert.equal(loadIdpConfig({ CONSOLE_URL: 'https://admin.example.com/' }).CONSOLE_URL, 'https://admin.example.com');
    assert.equal(loadIdpConfig({}).CONSOLE_SIGNING_CERTIFICATE, undefined);
  });

  it('takes the signing certificate with \\n for its line breaks, as one line of an env file', () => {
    const pem = loadIdpConfig({ CONSOLE_SIGNING_CERTIFICATE: '-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----' });
    assert.equal(pem.CONSOLE_SIGNING_CERTIFICATE, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----');
  });

  it("in production, sends the admins' assertions over https only, or to a console on this machine", () => {
    assert.equal(
      consoleUrlIssue({ ...PRODUCTION, CONSOLE_URL: 'http://admin.example.com' }),
      'use an https:// URL in production (http is accepted only for localhost)',
    );
    assert.equal(consoleUrlIssue({ ...PRODUCTION, CONSOLE_URL: 'https://admin.example.com' }), undefined);
    assert.equal(consoleUrlIssue(PRODUCTION), undefined, 'the default, http://localhost:4003 (the Docker Compose demo)');
    assert.equal(idpConfigSchema.safeParse({ ...PRODUCTION, CONSOLE_URL: 'https://admin.example.com' }).success, true);
  });
});
