import 'reflect-metadata';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { certificateBody, generateSigningCredentials } from './credentials';
import { newSamlId, randomToken } from './ids';

describe('generateSigningCredentials', () => {
  it('makes an RSA-2048 key and a matching self-signed SHA-256 certificate', async () => {
    const { privateKeyPem, certificatePem } = await generateSigningCredentials('idp.example.org, O=Injected', 30);
    const key = createPrivateKey(privateKeyPem);
    assert.equal(key.asymmetricKeyType, 'rsa');
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
    assert.match(privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);

    const cert = new X509Certificate(certificatePem);
    // The comma stays inside the one CN instead of adding an O= RDN.
    assert.equal(cert.subject, 'CN=idp.example.org\\, O=Injected');
    assert.equal(cert.issuer, cert.subject);
    assert.ok(cert.verify(cert.publicKey), 'self-signed');
    const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
    assert.ok(days > 29.99 && days < 30.01, `validity ${days} days`);
    assert.equal(new x509.X509Certificate(certificatePem).signatureAlgorithm.hash.name, 'SHA-256');

    const data = Buffer.from('signed info');
    assert.ok(verify('sha256', data, createPublicKey(certificatePem), sign('sha256', data, key)), 'key and certificate match');
  });
});

describe('certificateBody', () => {
  it('strips PEM armour and line breaks, and accepts a bare body', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nTUlJ\r\nQ0FB\n-----END CERTIFICATE-----\n';
    assert.equal(certificateBody(pem), 'TUlJQ0FB');
    assert.equal(certificateBody(' TUlJ\nQ0FB '), 'TUlJQ0FB');
  });

  it('refuses anything that is not base64', () => {
    assert.throws(() => certificateBody('-----BEGIN CERTIFICATE-----\n<x>\n-----END CERTIFICATE-----'), /not PEM or base64/);
    assert.throws(() => certificateBody(''), /not PEM or base64/);
  });
});

describe('newSamlId', () => {
  it('is an underscore and 40 hex characters, fresh each time', () => {
    const ids = new Set(Array.from({ length: 1000 }, newSamlId));
    assert.equal(ids.size, 1000);
    for (const id of ids) assert.match(id, /^_[0-9a-f]{40}$/);
  });
});

describe('randomToken', () => {
  it('never hands out the same bytes twice, across many refills of its pool', () => {
    // 20 bytes do not divide the 4 KiB pool: the tail of each fill is skipped, never reused.
    const tokens = Array.from({ length: 5000 }, () => randomToken(20, 'hex'));
    assert.equal(new Set(tokens).size, tokens.length);
    const chunks = new Set(tokens.flatMap((t) => t.match(/.{8}/g) ?? []));
    assert.ok(chunks.size > tokens.length * 5 - 10, 'no 4-byte run repeats beyond chance');
  });

  it('gives the requested number of bytes in the requested encoding', () => {
    assert.equal(Buffer.from(randomToken(16, 'base64'), 'base64').length, 16);
    assert.match(randomToken(32, 'base64url'), /^[A-Za-z0-9_-]{43}$/);
    assert.match(randomToken(4096, 'hex'), /^[0-9a-f]{8192}$/);
    assert.throws(() => randomToken(0, 'hex'), RangeError);
    assert.throws(() => randomToken(4097, 'hex'), RangeError);
  });
});
