// Shared by the *.spec.ts files only; not exported from index.ts.
import { SAML, ValidateInResponseTo, type SamlConfig } from '@node-saml/node-saml';
import { DOMParser, type Element, type Node } from '@xmldom/xmldom';
import * as samlify from 'samlify';
import { samlifySchemaValidator } from '@jit/testing';
import { generateSigningCredentials, type SigningCredentials } from './credentials';
import { buildIdpMetadata } from './metadata';

export const IDP_ENTITY_ID = 'https://idp.example.org/saml';
export const SP_ENTITY_ID = 'https://sp.example.com/metadata';
export const ACS_URL = 'https://sp.example.com/saml/acs';
export const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

let cached: Promise<SigningCredentials> | undefined;
/** One key pair per test file: RSA key generation is the slow part. */
export function testCredentials(): Promise<SigningCredentials> {
  cached ??= generateSigningCredentials('idp.example.org').then((c) => ({ privateKey: c.privateKeyPem, certificatePem: c.certificatePem }));
  return cached;
}

/** node-saml as an SP that trusts exactly `idpCert` (never the KeyInfo in the message). */
export function nodeSamlSp(idpCert: string | string[], overrides: Partial<SamlConfig> = {}): SAML {
  return new SAML({
    idpCert,
    issuer: SP_ENTITY_ID,
    audience: SP_ENTITY_ID,
    callbackUrl: ACS_URL,
    idpIssuer: IDP_ENTITY_ID,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    validateInResponseTo: ValidateInResponseTo.never,
    ...overrides,
  });
}

export async function nodeSamlValidate(sp: SAML, responseXml: string) {
  return sp.validatePostResponseAsync({ SAMLResponse: Buffer.from(responseXml, 'utf8').toString('base64') });
}

let samlifyReady = false;
/** samlify refuses to run without an XSD validator; ours is xmllint against the vendored schemas. */
export function samlifyEntities(
  certificatePem: string,
  sp: { wantAssertionsSigned: boolean; wantMessageSigned: boolean; encPrivateKey?: string },
) {
  if (!samlifyReady) {
    samlify.setSchemaValidator(samlifySchemaValidator);
    samlifyReady = true;
  }
  const idp = samlify.IdentityProvider({
    isAssertionEncrypted: sp.encPrivateKey !== undefined,
    metadata: buildIdpMetadata({
      entityId: IDP_ENTITY_ID,
      ssoRedirectUrl: 'https://idp.example.org/saml/sso/redirect',
      ssoPostUrl: 'https://idp.example.org/saml/sso/post',
      certificatePems: [certificatePem],
      nameIdFormats: [EMAIL_FORMAT],
    }),
  });
  const serviceProvider = samlify.ServiceProvider({
    entityID: SP_ENTITY_ID,
    wantAssertionsSigned: sp.wantAssertionsSigned,
    wantMessageSigned: sp.wantMessageSigned,
    ...(sp.encPrivateKey ? { encPrivateKey: sp.encPrivateKey } : {}),
    assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: ACS_URL }],
  });
  return { idp, sp: serviceProvider };
}

export function parseXml(xml: string) {
  return new DOMParser({
    onError: (level, message) => {
      throw new Error(`${level}: ${message}`);
    },
  }).parseFromString(xml, 'text/xml');
}

export function childElements(parent: Node): Element[] {
  return Array.from(parent.childNodes).filter((n: Node): n is Element => n.nodeType === n.ELEMENT_NODE);
}

export function childNames(parent: Node): string[] {
  return childElements(parent).map((e) => e.nodeName);
}

/** The single descendant element with this qualified name; fails loudly when there are 0 or 2+. */
export function only(parent: Element | ReturnType<typeof parseXml>, qualifiedName: string): Element {
  const found = Array.from(parent.getElementsByTagName(qualifiedName));
  if (found.length !== 1) throw new Error(`expected one ${qualifiedName}, found ${found.length}`);
  return found[0];
}

export { assertSchemaValid, xmlsecVerify } from '@jit/testing';
