import assert from 'node:assert/strict';
import { buildIdpMetadata, generateSigningCredentials } from '@jit/saml';
import { IdpMetadataService, parseIdpMetadata } from './idp-metadata';

const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

describe('parseIdpMetadata', () => {
  it('reads what @jit/saml writes: entity ID, Redirect SSO location, every signing certificate', async () => {
    const [a, b] = await Promise.all([generateSigningCredentials('a'), generateSigningCredentials('b')]);
    const xml = buildIdpMetadata({
      entityId: 'http://idp.test/saml2/app/metadata',
      ssoRedirectUrl: 'http://idp.test/saml2/app/sso',
      ssoPostUrl: 'http://idp.test/saml2/app/sso-post',
      certificatePems: [a.certificatePem, b.certificatePem],
      nameIdFormats: [],
    });
    const parsed = parseIdpMetadata(xml);
    assert.equal(parsed.entityId, 'http://idp.test/saml2/app/metadata');
    assert.equal(parsed.ssoRedirectUrl, 'http://idp.test/saml2/app/sso');
    const body = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s/g, '');
    assert.deepEqual(parsed.signingCertificates, [body(a.certificatePem), body(b.certificatePem)]);
  });

  it('takes KeyDescriptors without `use`, skips encryption-only ones, and reads other prefixes', () => {
    const xml = `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="urn:idp">
      <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
        <KeyDescriptor use="encryption"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>RU5D</X509Certificate></X509Data></KeyInfo></KeyDescriptor>
        <KeyDescriptor><dsig:KeyInfo xmlns:dsig="http://www.w3.org/2000/09/xmldsig#"><dsig:X509Data><dsig:X509Certificate>
          QUJD
          REVG
        </dsig:X509Certificate></dsig:X509Data></dsig:KeyInfo></KeyDescriptor>
        <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="http://post"/>
        <SingleSignOnService Binding="${REDIRECT}" Location="http://redirect"/>
      </IDPSSODescriptor>
    </EntityDescriptor>`;
    assert.deepEqual(parseIdpMetadata(xml), { entityId: 'urn:idp', ssoRedirectUrl: 'http://redirect', signingCertificates: ['QUJDREVG'] });
  });

  it('says what is missing', () => {
    assert.throws(() => parseIdpMetadata('<nope'), /not well-formed XML/);
    assert.throws(() => parseIdpMetadata('<x xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>'), /no IDPSSODescriptor/);
    const noCert = `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="e"><IDPSSODescriptor>
      <SingleSignOnService Binding="${REDIRECT}" Location="http://r"/></IDPSSODescriptor></EntityDescriptor>`;
    assert.throws(() => parseIdpMetadata(noCert), /no signing certificate/);
    const noRedirect = `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="e"><IDPSSODescriptor>
      <KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>QUJD</X509Certificate></X509Data></KeyInfo></KeyDescriptor>
      </IDPSSODescriptor></EntityDescriptor>`;
    assert.throws(() => parseIdpMetadata(noRedirect), /HTTP-Redirect/);
  });
});

describe('IdpMetadataService.appIdOfEntity: whose metadata verifies an IdP LogoutRequest', () => {
  it('the application of an entity of this IdP, nothing for any other entity', () => {
    const metadata = new IdpMetadataService('http://idp.test');
    assert.equal(metadata.appIdOfEntity('http://idp.test/saml2/app-1'), 'app-1');
    assert.equal(metadata.appIdOfEntity('http://idp.test.evil/saml2/app-1'), undefined);
    assert.equal(metadata.appIdOfEntity('https://other.example/saml2/app-1'), undefined);
    assert.equal(metadata.appIdOfEntity(undefined), undefined);
  });
});
