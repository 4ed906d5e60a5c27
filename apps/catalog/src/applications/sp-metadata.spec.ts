import assert from 'node:assert/strict';
import { spMetadataXml, testCertificate } from '../test-fixtures';
import { checkCertificate } from './certificates';
import { parseSpMetadata } from './sp-metadata';

const EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

describe('parseSpMetadata', () => {
  let signing = '';
  let encryption = '';
  beforeAll(async () => {
    [signing, encryption] = await Promise.all([testCertificate(), testCertificate()]);
  });

  it('reads entity ID, POST ACS URLs by index, certificates by use, NameID format, Redirect SLO and requested attributes', () => {
    const parsed = parseSpMetadata(
      spMetadataXml({
        acs: [
          { location: 'https://sp.example.com/acs/2', index: 2 },
          { location: 'https://sp.example.com/artifact', binding: 'Artifact', index: 0 },
          { location: 'https://sp.example.com/acs/1', index: 1 },
        ],
        signing,
        encryption,
        authnRequestsSigned: true,
        nameIdFormats: ['urn:example:unknown', PERSISTENT, EMAIL],
        slo: [
          { location: 'https://sp.example.com/slo-post', binding: 'POST' },
          { location: 'https://sp.example.com/slo', binding: 'Redirect' },
        ],
        requested: [
          { name: 'urn:oid:0.9.2342.19200300.100.1.3', friendlyName: 'mail', required: true },
          { name: 'department' },
          { name: 'shoeSize', required: true },
        ],
      }),
    );
    assert.equal(parsed.spEntityId, 'https://sp.example.com/saml/metadata');
    assert.deepEqual(parsed.acsUrls, ['https://sp.example.com/acs/1', 'https://sp.example.com/acs/2']);
    // Requests name an ACS by its index attribute: the Artifact ACS holds index 0, so these are 1 and 2, not positions 0 and 1.
    assert.deepEqual(parsed.acsIndexes, [
      { index: 1, url: 'https://sp.example.com/acs/1' },
      { index: 2, url: 'https://sp.example.com/acs/2' },
    ]);
    assert.deepEqual(parsed.spSigningCertificates, [(checkCertificate(signing, 'signing') as { pem: string }).pem]);
    assert.equal(parsed.encryptionCertificate, (checkCertificate(encryption, 'encryption') as { pem: string }).pem);
    assert.equal(parsed.requireSignedRequests, true);
    assert.equal(parsed.nameIdFormat, PERSISTENT);
    assert.equal(parsed.singleLogoutUrl, 'https://sp.example.com/slo');
    assert.deepEqual(
      parsed.requestedAttributes.map((r) => [r.name, r.required, r.guessedSource]),
      [
        ['urn:oid:0.9.2342.19200300.100.1.3', true, 'email'],
        ['department', false, 'department'],
        ['shoeSize', true, null],
      ],
    );
  });

  it('refuses two POST ACS with the same index, which a request could not tell apart', () => {
    const twice = spMetadataXml({
      acs: [
        { location: 'https://sp.example.com/acs/a', index: 3 },
        { location: 'https://sp.example.com/acs/b', index: 3 },
      ],
    });
    assert.throws(() => parseSpMetadata(twice), { message: 'two AssertionConsumerService elements have index="3"' });
  });

  it('refuses DOCTYPEs and entities, other roots, several roots and broken XML, saying why', () => {
    const good = spMetadataXml();
    const refusals: [string, RegExp][] = [
      [`<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${good.replace(/^<\?xml[^>]*>/, '')}`, /DTDs and entities are not allowed/],
      ['<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>', /expected one md:EntityDescriptor/],
      ['<EntityDescriptor entityID="x"/>', /expected one md:EntityDescriptor/],
      [`${good}<x/>`, /not well-formed|exactly one root/],
      ['<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x">', /not well-formed/],
      ['not xml at all', /not well-formed|exactly one root|expected one/],
    ];
    for (const [xml, reason] of refusals) assert.throws(() => parseSpMetadata(xml), reason, xml.slice(0, 60));
  });

  it('refuses metadata without entityID, SP descriptor or POST ACS, or with unusable certificates or formats', () => {
    assert.throws(() => parseSpMetadata(spMetadataXml({ entityId: '' })), /has no entityID/);
    // Sent as the Audience (xs:anyURI) and matched byte for byte: no whitespace, at most 1024 characters.
    assert.throws(() => parseSpMetadata(spMetadataXml({ entityId: 'urn:' })), /entityID "urn:" has nothing after "urn:"/);
    assert.equal(parseSpMetadata(spMetadataXml({ entityId: 'box.net' })).spEntityId, 'box.net', 'a bare name, as Box expects');
    assert.throws(
      () => parseSpMetadata(spMetadataXml({ entityId: 'https://sp.example.com/a&#9;b' })),
      /entityID "https:\/\/sp.example.com\/a\\tb" must not contain whitespace or control characters \(U\+0009/,
    );
    assert.throws(
      () => parseSpMetadata(spMetadataXml({ entityId: `https://sp.example.com/${'a'.repeat(1024)}` })),
      /entityID "https:\/\/sp.example.com\/a+…" must be at most 1024 characters/,
    );
    assert.equal(parseSpMetadata(spMetadataXml({ entityId: '  urn:example:sp  ' })).spEntityId, 'urn:example:sp');
    assert.throws(
      () => parseSpMetadata(spMetadataXml().replace(/SPSSODescriptor/g, 'IDPSSODescriptor')),
      /expected one SPSSODescriptor, found 0/,
    );
    assert.throws(
      () => parseSpMetadata(spMetadataXml({ acs: [{ location: 'https://sp.example.com/acs', binding: 'Redirect' }] })),
      /no AssertionConsumerService with the HTTP-POST binding/,
    );
    assert.throws(
      () => parseSpMetadata(spMetadataXml({ signing: 'not-a-certificate' })),
      /signing certificate: X509Certificate is not base64/,
    );
    assert.throws(() => parseSpMetadata(spMetadataXml({ signing: 'AAAA' })), /signing certificate: is not a readable X.509 certificate/);
    assert.throws(
      () => parseSpMetadata(spMetadataXml({ authnRequestsSigned: true })),
      /AuthnRequestsSigned="true" but no signing certificate/,
    );
    assert.throws(() => parseSpMetadata(spMetadataXml({ nameIdFormats: ['urn:example:x'] })), /none of its NameID formats is supported/);
  });
});

describe('checkCertificate', () => {
  it('stores one canonical PEM and refuses keys unfit for their use', async () => {
    const rsa = await testCertificate();
    const canonical = checkCertificate(rsa.replace(/\n/g, '\r\n'), 'signing');
    assert.deepEqual(canonical, checkCertificate(rsa, 'signing'));
    assert.deepEqual(checkCertificate(`${rsa}\n${rsa}`, 'signing'), {
      problem: 'must be exactly one PEM certificate (-----BEGIN CERTIFICATE----- ...)',
    });
    assert.deepEqual(checkCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', 'signing'), {
      problem: 'is not a readable X.509 certificate',
    });
    const ec = await testCertificate('ec');
    assert.ok('pem' in checkCertificate(ec, 'signing'));
    assert.deepEqual(checkCertificate(ec, 'encryption'), { problem: 'must hold an RSA key for RSA-OAEP, not ec' });
    assert.deepEqual(checkCertificate(await testCertificate('rsa', 1024), 'encryption'), {
      problem: 'holds a 1024-bit RSA key; at least 2048 bits are needed',
    });
  });
});
