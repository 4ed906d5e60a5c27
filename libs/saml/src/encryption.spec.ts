import assert from 'node:assert/strict';
import { generateSigningCredentials, type SigningCredentials } from './credentials';
import { AES256_GCM, RSA_OAEP_MGF1P } from './encryption';
import { buildResponse, type ResponseOptions } from './response';
import {
  ACS_URL,
  EMAIL_FORMAT,
  IDP_ENTITY_ID,
  SP_ENTITY_ID,
  assertSchemaValid,
  childNames,
  nodeSamlSp,
  nodeSamlValidate,
  only,
  parseXml,
  samlifyEntities,
  testCredentials,
  xmlsecVerify,
} from './spec-helpers';

describe('EncryptedAssertion (AES-256-GCM, RSA-OAEP), signed before it is encrypted', () => {
  let idp: SigningCredentials;
  let sp: { privateKeyPem: string; certificatePem: string };
  beforeAll(async () => {
    idp = await testCredentials();
    sp = await generateSigningCredentials('sp.example.com');
  });
  const options = (over: Partial<ResponseOptions> = {}): ResponseOptions => ({
    issuer: IDP_ENTITY_ID,
    destination: ACS_URL,
    inResponseTo: '_r1',
    audience: SP_ENTITY_ID,
    nameId: 'alice@example.com',
    nameIdFormat: EMAIL_FORMAT,
    sessionIndex: '_s1',
    attributes: [
      { name: 'email', values: ['alice@example.com'] },
      { name: 'groups', values: ['Engineering', 'Ops & Admins'] },
    ],
    signAssertion: true,
    signResponse: true,
    credentials: idp,
    encryptionCertificatePem: sp.certificatePem,
    ...over,
  });

  it('replaces the assertion: no attribute value or NameID in clear text', async () => {
    const xml = await buildResponse(options());
    const response = parseXml(xml).documentElement!;
    assert.deepEqual(childNames(response), ['saml:Issuer', 'ds:Signature', 'samlp:Status', 'saml:EncryptedAssertion']);
    assert.equal(xml.includes('alice@example.com'), false);
    assert.equal(xml.includes('Engineering'), false);
    const methods = Array.from(response.getElementsByTagName('xenc:EncryptionMethod')).map((m) => m.getAttribute('Algorithm'));
    assert.deepEqual(methods, [AES256_GCM, RSA_OAEP_MGF1P]);
    // The Response signature covers the EncryptedAssertion: xmlsec1 says so.
    const verified = xmlsecVerify(xml, idp.certificatePem, 'Response');
    assert.equal(verified.ok, true, verified.output);
  });

  it('is valid against the SAML 2.0 schemas (XML Encryption included), with both signatures and with the assertion one only', async () => {
    assertSchemaValid(await buildResponse(options()));
    assertSchemaValid(await buildResponse(options({ signResponse: false })));
  });

  it('node-saml decrypts it and verifies the assertion signature inside (both signatures, and assertion only)', async () => {
    const both = await nodeSamlValidate(
      nodeSamlSp(idp.certificatePem, { decryptionPvk: sp.privateKeyPem }),
      await buildResponse(options()),
    );
    assert.equal(both.profile?.nameID, 'alice@example.com');
    assert.deepEqual(both.profile?.groups, ['Engineering', 'Ops & Admins']);
    const assertionOnly = await nodeSamlValidate(
      nodeSamlSp(idp.certificatePem, { decryptionPvk: sp.privateKeyPem, wantAuthnResponseSigned: false }),
      await buildResponse(options({ signResponse: false })),
    );
    assert.equal(assertionOnly.profile?.email, 'alice@example.com');
  });

  it('node-saml refuses it without the right private key, and refuses an assertion signed by another IdP key', async () => {
    const other = await generateSigningCredentials('other-sp.example.com');
    await assert.rejects(
      nodeSamlValidate(nodeSamlSp(idp.certificatePem, { decryptionPvk: other.privateKeyPem }), await buildResponse(options())),
    );
    const forger = await generateSigningCredentials('attacker.example');
    const forged = await buildResponse(
      options({ signResponse: false, credentials: { privateKey: forger.privateKeyPem, certificatePem: idp.certificatePem } }),
    );
    await assert.rejects(
      nodeSamlValidate(nodeSamlSp(idp.certificatePem, { decryptionPvk: sp.privateKeyPem, wantAuthnResponseSigned: false }), forged),
      /Invalid signature/,
    );
  });

  it('samlify decrypts it and reads the attributes', async () => {
    const { idp: idpEntity, sp: spEntity } = samlifyEntities(idp.certificatePem, {
      wantAssertionsSigned: true,
      wantMessageSigned: true,
      encPrivateKey: sp.privateKeyPem,
    });
    const xml = await buildResponse(options());
    const { extract } = await spEntity.parseLoginResponse(idpEntity, 'post', {
      body: { SAMLResponse: Buffer.from(xml).toString('base64') },
    });
    assert.equal(extract.nameID, 'alice@example.com');
    assert.deepEqual(extract.attributes, { email: 'alice@example.com', groups: ['Engineering', 'Ops & Admins'] });
  });

  it('the decrypted assertion stands alone: its signature verifies with xmlsec1 outside the Response', async () => {
    const { decrypt } = (await import('xml-encryption')) as unknown as {
      decrypt: (xml: string, o: { key: string }, cb: (e: Error | null, r?: string) => void) => void;
    };
    const xml = await buildResponse(options({ signResponse: false }));
    const encryptedData = /<xenc:EncryptedData[\s\S]*<\/xenc:EncryptedData>/.exec(xml)![0];
    const assertion = await new Promise<string>((resolve, reject) =>
      decrypt(encryptedData, { key: sp.privateKeyPem }, (e, r) => (e ? reject(e) : resolve(r!))),
    );
    assert.equal(only(parseXml(assertion), 'saml:NameID').textContent, 'alice@example.com');
    // Valid on its own too: it declares every namespace it uses, xs and xsi for the AttributeValues included.
    assertSchemaValid(assertion);
    const verified = xmlsecVerify(assertion, idp.certificatePem, 'Assertion');
    assert.equal(verified.ok, true, verified.output);
  });
});
