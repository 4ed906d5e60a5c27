import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ID_ELEMENTS = ['protocol:Response', 'assertion:Assertion', 'protocol:LogoutResponse', 'protocol:AuthnRequest'];

/**
 * Verifies one signature with xmlsec1 (the independent verifier) against exactly the given
 * certificate, PEM or base64 DER. `signatureOf` picks the signature by the local name of the
 * element it signs. A missing xmlsec1 fails the test: a check that silently did not run proves nothing.
 */
export function xmlsecVerify(
  xml: string,
  certificate: string,
  signatureOf: 'Response' | 'Assertion' | 'LogoutResponse' | 'AuthnRequest',
): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'xmlsec-'));
  try {
    writeFileSync(join(dir, 'doc.xml'), xml);
    const pem = certificate.includes('BEGIN')
      ? certificate
      : `-----BEGIN CERTIFICATE-----\n${certificate.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
    writeFileSync(join(dir, 'cert.pem'), pem);
    const result = spawnSync(
      'xmlsec1',
      [
        '--verify',
        '--pubkey-cert-pem',
        join(dir, 'cert.pem'),
        ...ID_ELEMENTS.flatMap((e) => ['--id-attr:ID', `urn:oasis:names:tc:SAML:2.0:${e}`]),
        '--node-xpath',
        `//*[local-name()='Signature' and parent::*[local-name()='${signatureOf}']]`,
        join(dir, 'doc.xml'),
      ],
      { encoding: 'utf8' },
    );
    if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('xmlsec1 is not installed: run `apt-get install -y xmlsec1` (Debian package xmlsec1)');
    }
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
