import type { Element } from '@xmldom/xmldom';
import { childElements, parseSingleRoot, UnsafeXmlError } from '@jit/xml';
import { NAME_ID_FORMATS, entityIdProblem, type NameIdFormat } from '@jit/catalog-contracts';
import { STANDARD_USER_ATTRIBUTES, type StandardUserAttribute } from '@jit/directory-contracts';
import { checkCertificate } from './certificates';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const HTTP_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

export interface RequestedAttribute {
  name: string;
  friendlyName: string | null;
  required: boolean;
  /** The directory attribute that obviously holds it (by its name or a well-known OID), if any. */
  guessedSource: StandardUserAttribute | null;
}

/** What an SP's metadata tells us about it. Absent fields: the metadata does not say. */
export interface SpMetadata {
  spEntityId: string;
  /** HTTP-POST AssertionConsumerService locations, by index. */
  acsUrls: string[];
  /** The same, each with its `index` attribute: requests name an ACS by it (AssertionConsumerServiceIndex). */
  acsIndexes: { index: number; url: string }[];
  spSigningCertificates: string[];
  encryptionCertificate: string | null;
  requireSignedRequests: boolean;
  nameIdFormat?: NameIdFormat;
  singleLogoutUrl: string | null;
  requestedAttributes: RequestedAttribute[];
}

export class MetadataError extends Error {}

/** Names SPs commonly request (LDAP names, their OIDs, claim URIs), and the directory attribute holding each. */
const WELL_KNOWN: Record<string, StandardUserAttribute> = {
  mail: 'email',
  emailaddress: 'email',
  'urn:oid:0.9.2342.19200300.100.1.3': 'email',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'email',
  givenname: 'firstname',
  'urn:oid:2.5.4.42': 'firstname',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname': 'firstname',
  sn: 'lastname',
  surname: 'lastname',
  'urn:oid:2.5.4.4': 'lastname',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname': 'lastname',
  displayname: 'displayname',
  'urn:oid:2.16.840.1.113730.3.1.241': 'displayname',
  uid: 'username',
  'urn:oid:0.9.2342.19200300.100.1.1': 'username',
  employeenumber: 'employeeIdentifier',
  'urn:oid:2.16.840.1.113730.3.1.3': 'employeeIdentifier',
  title: 'jobTitle',
  'urn:oid:2.5.4.12': 'jobTitle',
  ou: 'department',
  'urn:oid:2.5.4.11': 'department',
  telephonenumber: 'phoneNumber',
  'urn:oid:2.5.4.20': 'phoneNumber',
  o: 'company',
  'urn:oid:2.5.4.10': 'company',
};

function guessSource(name: string, friendlyName: string | null): StandardUserAttribute | null {
  for (const candidate of [name, friendlyName]) {
    if (!candidate) continue;
    const key = candidate.toLowerCase();
    const standard = STANDARD_USER_ATTRIBUTES.find((a) => a.toLowerCase() === key);
    if (standard) return standard;
    if (WELL_KNOWN[key]) return WELL_KNOWN[key];
  }
  return null;
}

/**
 * Reads an SP's SAML metadata (one md:EntityDescriptor with one SPSSODescriptor) the way
 * SECURITY.md asks of anything parsed: no DOCTYPE, DTD or entity, exactly one root element of
 * the expected type, no network or file access. Every refusal says why.
 */
export function parseSpMetadata(xml: string): SpMetadata {
  let root: Element;
  try {
    root = parseSingleRoot(xml);
  } catch (error) {
    throw error instanceof UnsafeXmlError ? new MetadataError(error.message) : error;
  }
  if (root.localName !== 'EntityDescriptor' || root.namespaceURI !== MD) {
    throw new MetadataError(`expected one md:EntityDescriptor as the root element, got ${root.nodeName}`);
  }
  const spEntityId = root.getAttribute('entityID')?.trim();
  if (!spEntityId) throw new MetadataError('EntityDescriptor has no entityID');
  const entityIdRefusal = entityIdProblem(spEntityId);
  if (entityIdRefusal) {
    const shown = spEntityId.length > 100 ? `${spEntityId.slice(0, 100)}…` : spEntityId;
    throw new MetadataError(`entityID ${JSON.stringify(shown)} ${entityIdRefusal}`);
  }
  const sps = childElements(root, MD, 'SPSSODescriptor');
  if (sps.length !== 1) throw new MetadataError(`expected one SPSSODescriptor, found ${sps.length}`);
  const sp = sps[0];

  const acs = childElements(sp, MD, 'AssertionConsumerService');
  const posts = acs
    .filter((e) => e.getAttribute('Binding') === HTTP_POST)
    // The schema requires index; one left out is taken as the element's position.
    .map((e, i) => ({ location: e.getAttribute('Location') ?? '', index: e.hasAttribute('index') ? Number(e.getAttribute('index')) : i }));
  if (posts.length === 0) {
    throw new MetadataError(
      acs.length === 0
        ? 'no AssertionConsumerService'
        : 'no AssertionConsumerService with the HTTP-POST binding (the only binding the IdP answers with)',
    );
  }
  if (posts.some((p) => !p.location)) throw new MetadataError('an AssertionConsumerService has no Location');
  if (posts.some((p) => !Number.isInteger(p.index) || p.index < 0))
    throw new MetadataError('an AssertionConsumerService has an invalid index');
  const duplicate = posts.find((p, i) => posts.findIndex((q) => q.index === p.index) !== i);
  if (duplicate) throw new MetadataError(`two AssertionConsumerService elements have index="${duplicate.index}"`);
  const acsIndexes = posts.sort((a, b) => a.index - b.index).map((p) => ({ index: p.index, url: p.location }));

  const spSigningCertificates: string[] = [];
  let encryptionCertificate: string | null = null;
  for (const kd of childElements(sp, MD, 'KeyDescriptor')) {
    const use = kd.getAttribute('use') || 'both';
    if (use !== 'signing' && use !== 'encryption' && use !== 'both')
      throw new MetadataError(`KeyDescriptor use="${use}" is not signing or encryption`);
    const certs = Array.from(kd.getElementsByTagNameNS(DS, 'X509Certificate'));
    if (certs.length === 0) throw new MetadataError('a KeyDescriptor has no ds:X509Certificate');
    for (const el of certs) {
      const text = el.textContent ?? '';
      if (use !== 'encryption') {
        const checked = checkCertificate(text, 'signing', 'der-base64');
        if ('problem' in checked) throw new MetadataError(`signing certificate: ${checked.problem}`);
        if (!spSigningCertificates.includes(checked.pem)) spSigningCertificates.push(checked.pem);
      }
      // Only a key the SP declares for encryption turns encryption on.
      if (use === 'encryption' && encryptionCertificate === null) {
        const checked = checkCertificate(text, 'encryption', 'der-base64');
        if ('problem' in checked) throw new MetadataError(`encryption certificate: ${checked.problem}`);
        encryptionCertificate = checked.pem;
      }
    }
  }
  const requireSignedRequests = sp.getAttribute('AuthnRequestsSigned') === 'true';
  if (requireSignedRequests && spSigningCertificates.length === 0) {
    throw new MetadataError('AuthnRequestsSigned="true" but no signing certificate is given');
  }

  const formats = childElements(sp, MD, 'NameIDFormat').map((e) => (e.textContent ?? '').trim());
  const supported = formats.find((f): f is NameIdFormat => (NAME_ID_FORMATS as readonly string[]).includes(f));
  if (formats.length > 0 && !supported) {
    throw new MetadataError(`none of its NameID formats is supported (${formats.join(', ')}); supported: ${NAME_ID_FORMATS.join(', ')}`);
  }

  const slo = childElements(sp, MD, 'SingleLogoutService').find((e) => e.getAttribute('Binding') === HTTP_REDIRECT);

  const requestedAttributes: RequestedAttribute[] = [];
  for (const service of childElements(sp, MD, 'AttributeConsumingService')) {
    for (const ra of childElements(service, MD, 'RequestedAttribute')) {
      const name = ra.getAttribute('Name')?.trim();
      if (!name) throw new MetadataError('a RequestedAttribute has no Name');
      if (requestedAttributes.some((r) => r.name === name)) continue;
      const friendlyName = ra.getAttribute('FriendlyName')?.trim() || null;
      const required = ra.getAttribute('isRequired') === 'true' || ra.getAttribute('isRequired') === '1';
      requestedAttributes.push({ name, friendlyName, required, guessedSource: guessSource(name, friendlyName) });
    }
  }

  return {
    spEntityId,
    acsUrls: acsIndexes.map((a) => a.url),
    acsIndexes,
    spSigningCertificates,
    encryptionCertificate,
    requireSignedRequests,
    ...(supported ? { nameIdFormat: supported } : {}),
    singleLogoutUrl: slo?.getAttribute('Location') || null,
    requestedAttributes,
  };
}
