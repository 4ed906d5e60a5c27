import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const SCHEMAS = join(__dirname, '..', 'saml-schemas');
// Our entry point importing the OASIS protocol, assertion and metadata schemas: any of their
// global elements may be the root, so one call covers Responses, assertions and metadata alike.
const ENTRY_SCHEMA = join(SCHEMAS, 'saml-2.0.xsd');
// libxml2 notes that xenc imports xmldsig a second time (by a relative path); that is expected.
const ALREADY_IMPORTED = /Skipping import of schema located at .* since this namespace was already imported/;

/**
 * Validates a document against the OASIS SAML 2.0 schemas (protocol, assertion, metadata, with
 * XML Signature and XML Encryption) with `xmllint --schema` (libxml2, an independent C
 * implementation). `--nonet` and a catalog of the vendored schemas keep it off the network. A
 * missing xmllint fails the test: a check that silently did not run proves nothing.
 */
export function xsdValidate(xml: string): { ok: boolean; output: string } {
  const result = spawnSync('xmllint', ['--noout', '--nonet', '--schema', ENTRY_SCHEMA, '-'], {
    input: xml,
    encoding: 'utf8',
    // Only our catalog: a machine's /etc/xml/catalog must not decide which schemas are used.
    env: { ...process.env, XML_CATALOG_FILES: join(SCHEMAS, 'catalog.xml') },
  });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('xmllint is not installed: run `apt-get install -y libxml2-utils` (Debian package libxml2-utils)');
  }
  if (result.error) throw result.error;
  const output = `${result.stdout}${result.stderr}`
    .split('\n')
    .filter((line) => line !== '' && !ALREADY_IMPORTED.test(line))
    .join('\n');
  return { ok: result.status === 0, output };
}

/** Fails the test with xmllint's reasons unless `xml` is valid against the SAML 2.0 schemas. */
export function assertSchemaValid(xml: string): void {
  const { ok, output } = xsdValidate(xml);
  assert.equal(ok, true, invalid(output));
}

/**
 * samlify's schema-validator hook, answered by xmllint: samlify then checks every message it
 * parses against the schemas before anything else, as an SP deployed with a validator does.
 */
export const samlifySchemaValidator = {
  validate(xml: string): Promise<string> {
    const { ok, output } = xsdValidate(xml);
    return ok ? Promise.resolve('valid') : Promise.reject(new Error(invalid(output)));
  },
};

function invalid(output: string): string {
  return `not valid against the SAML 2.0 schemas: ${output}`;
}
