import { inflateRawSync } from 'node:zlib';
import type { Element } from '@xmldom/xmldom';
import { MESSAGE_LIMITS, parseMessage, parseSingleRoot, UnsafeXmlError, type MessageElement } from '@jit/xml';
import { NS } from './namespaces';
import { readRequestedAuthnContext, RequestedAuthnContextError, type RequestedAuthnContext } from './requested-authn-context';

/** `reason` is a stable code for audit events and 4xx bodies; `message` is for humans. */
export class SamlRequestError extends Error {
  constructor(
    public readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'SamlRequestError';
  }
}

export interface ParsedAuthnRequest {
  id: string;
  issuer: string;
  issueInstant: Date;
  destination?: string;
  assertionConsumerServiceUrl?: string;
  assertionConsumerServiceIndex?: number;
  protocolBinding?: string;
  forceAuthn: boolean;
  isPassive: boolean;
  nameIdPolicyFormat?: string;
  /**
   * The subject the SP asks us to authenticate (SAML core 3.4.1.4): when present, the assertion
   * must be about exactly this NameID, or the request must fail.
   */
  subject?: RequestedSubject;
  /** The context the SP asks for (SAML core 3.3.2.2), when it asks. */
  requestedAuthnContext?: RequestedAuthnContext;
  /**
   * Why the request's RequestedAuthnContext could not be read. Kept apart rather than thrown: the
   * rest of the request says where answers go, and once that is verified the SP gets a status
   * Response saying what was wrong instead of a page its user cannot act on.
   */
  requestedAuthnContextError?: string;
}

/** A saml:NameID as a request names it: its value, and its Format when given. */
export interface RequestedSubject {
  nameId: string;
  nameIdFormat?: string;
}

// Real AuthnRequests are a few KB even when signed; these caps leave room and stop amplification.
export const MAX_SAML_REQUEST_ENCODED_BYTES = 64 * 1024;
export const MAX_SAML_REQUEST_INFLATED_BYTES = 128 * 1024;
/**
 * HTTP-POST carries the XML base64-encoded, not deflated (bindings 3.5.4); node-saml deflates it
 * anyway, so deflated input is inflated, but only this far: a signed AuthnRequest is about 5 KB.
 */
export const MAX_POST_INFLATED_BYTES = 32 * 1024;
/** xs:ID values SPs send are 20-50 characters; an ID is stored (replay cache) and echoed back. */
export const MAX_SAML_ID_LENGTH = 256;
/** SAML core 8.3.6: an entity identifier is at most 1024 characters. */
export const MAX_ENTITY_ID_LENGTH = 1024;

/** HTTP-Redirect binding: base64 of raw DEFLATE. */
export function decodeRedirectSamlRequest(samlRequestParam: string): string {
  return inflateCapped(decodeBase64(samlRequestParam), MAX_SAML_REQUEST_INFLATED_BYTES);
}

function inflateCapped(compressed: Buffer, cap: number): string {
  let inflated: Buffer;
  try {
    // maxOutputLength makes zlib stop as soon as the cap is passed, so a deflate bomb costs at most
    // the cap in memory; checking the size after inflating would already be too late.
    inflated = inflateRawSync(compressed, { maxOutputLength: cap });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new SamlRequestError('request_too_large', `SAMLRequest inflates to more than ${cap} bytes`);
    }
    throw new SamlRequestError('malformed_request', 'SAMLRequest is not raw DEFLATE data');
  }
  return decodeUtf8(inflated);
}

/**
 * HTTP-POST binding: base64 of the XML. The binding says uncompressed, but node-saml (and so
 * passport-saml) deflates it by default; raw DEFLATE is accepted too, inflated no further than
 * MAX_POST_INFLATED_BYTES.
 */
export function decodePostSamlRequest(samlRequestParam: string): string {
  const bytes = decodeBase64(samlRequestParam);
  if (/^(\xEF\xBB\xBF)?[ \t\r\n]*</.test(bytes.subarray(0, 64).toString('latin1'))) return decodeUtf8(bytes);
  return inflateCapped(bytes, MAX_POST_INFLATED_BYTES);
}

export function parseAuthnRequest(xml: string): ParsedAuthnRequest {
  const root = parseProtocolMessage(xml, 'AuthnRequest');
  const issuer = requiredIssuer(root);

  const acsUrl = optionalAttribute(root, 'AssertionConsumerServiceURL');
  const acsIndexText = optionalAttribute(root, 'AssertionConsumerServiceIndex');
  const protocolBinding = optionalAttribute(root, 'ProtocolBinding');
  // SAML core 3.4.1: the index excludes the URL and the binding. Refusing is clearer than guessing
  // which one the SP meant when choosing where the assertion goes.
  if (acsIndexText !== undefined && (acsUrl !== undefined || protocolBinding !== undefined)) {
    throw new SamlRequestError(
      'malformed_request',
      'AssertionConsumerServiceIndex excludes AssertionConsumerServiceURL and ProtocolBinding',
    );
  }

  const nameIdPolicies = root.childElements(NS.protocol, 'NameIDPolicy');
  if (nameIdPolicies.length > 1) throw new SamlRequestError('malformed_request', 'more than one NameIDPolicy');

  return {
    id: requiredId(root),
    issuer,
    issueInstant: parseDateTime(requiredAttribute(root, 'IssueInstant')),
    destination: optionalAttribute(root, 'Destination'),
    assertionConsumerServiceUrl: acsUrl,
    assertionConsumerServiceIndex: acsIndexText === undefined ? undefined : parseUnsignedShort(acsIndexText),
    protocolBinding,
    forceAuthn: parseBoolean(root, 'ForceAuthn'),
    isPassive: parseBoolean(root, 'IsPassive'),
    nameIdPolicyFormat: nameIdPolicies[0] ? optionalAttribute(nameIdPolicies[0], 'Format') : undefined,
    subject: requestedSubject(root),
    ...requestedAuthnContext(root),
  };
}

function requestedAuthnContext(root: MessageElement): Pick<ParsedAuthnRequest, 'requestedAuthnContext' | 'requestedAuthnContextError'> {
  try {
    return { requestedAuthnContext: readRequestedAuthnContext(root) };
  } catch (error) {
    if (error instanceof RequestedAuthnContextError) return { requestedAuthnContextError: error.message };
    throw error;
  }
}

function requestedSubject(root: MessageElement): RequestedSubject | undefined {
  const subject = singleChild(root, NS.assertion, 'Subject');
  if (!subject) return undefined;
  const nameId = singleChild(subject, NS.assertion, 'NameID');
  // A Subject we cannot read must not be ignored: the SP asked for that subject and no other.
  if (!nameId) throw new SamlRequestError('unsupported_subject', 'Subject must name a NameID (BaseID and EncryptedID are not supported)');
  return readNameId(nameId);
}

/** A saml:NameID's value (text only, required) and Format. */
export function readNameId(nameId: MessageElement): RequestedSubject {
  const value = textOnly(nameId, 'NameID');
  if (!value) throw new SamlRequestError('missing_field', 'NameID must not be empty');
  return { nameId: value, nameIdFormat: optionalAttribute(nameId, 'Format') };
}

/** The message's one saml:Issuer: an entity ID, text only. */
export function requiredIssuer(root: MessageElement): string {
  const element = singleChild(root, NS.assertion, 'Issuer');
  const issuer = element ? textOnly(element, 'Issuer') : '';
  if (!issuer) throw new SamlRequestError('missing_field', 'Issuer is required');
  if (issuer.length > MAX_ENTITY_ID_LENGTH) {
    throw new SamlRequestError('malformed_request', `Issuer is longer than ${MAX_ENTITY_ID_LENGTH} characters`);
  }
  return issuer;
}

/**
 * The trimmed text of an element the schema types as a string: an element inside is refused, not
 * flattened into the value (the SP meant something we would be guessing at).
 */
export function textOnly(element: MessageElement, name: string): string {
  if (element.elements.length > 0) {
    throw new SamlRequestError('malformed_request', `${name} must be text only, but contains <${element.elements[0].nodeName}>`);
  }
  return element.textContent.trim();
}

/**
 * The checks every incoming message gets before any field is read: size, no DTD, well-formed,
 * exactly one root element, of the expected samlp type and SAML Version 2.0.
 */
export function parseProtocolMessage(xml: string, localName: 'AuthnRequest' | 'LogoutRequest' | 'LogoutResponse'): MessageElement {
  if (xml.length > MAX_SAML_REQUEST_INFLATED_BYTES) {
    throw new SamlRequestError('request_too_large', `${localName} XML is too large`);
  }
  const root = strict(parseMessage, xml);
  if (root.localName !== localName || root.namespaceURI !== NS.protocol) {
    throw new SamlRequestError('wrong_root_element', `expected samlp:${localName}, got ${root.nodeName}`);
  }
  if (root.getAttribute('Version') !== '2.0') {
    throw new SamlRequestError('unsupported_version', 'only SAML Version="2.0" is supported');
  }
  return root;
}

/** The one child element (namespace, local name) of `parent`, or undefined; two are refused. */
export function singleChild(parent: MessageElement, namespace: string, localName: string): MessageElement | undefined {
  const found = parent.childElements(namespace, localName);
  if (found.length > 1) throw new SamlRequestError('malformed_request', `more than one ${localName}`);
  return found[0];
}

export { requiredAttribute, optionalAttribute, parseDateTime };

// An NCName in ASCII. XML names allow more letters, but validators disagree past ASCII (libxml2
// keeps the XML 1.0 4th-edition tables and refuses, say, U+10400), and SPs generate hex or UUID IDs.
const NCNAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * The request's ID, which the schema types xs:ID (an NCName). It goes back as our InResponseTo,
 * typed NCName too: echoing anything else would make our answer schema-invalid, so it is refused.
 */
export function requiredId(root: MessageElement): string {
  const id = requiredAttribute(root, 'ID');
  if (id.length > MAX_SAML_ID_LENGTH) throw new SamlRequestError('malformed_request', `ID is longer than ${MAX_SAML_ID_LENGTH} characters`);
  if (!NCNAME.test(id))
    throw new SamlRequestError(
      'malformed_request',
      'ID must be an xs:ID: ASCII letters, digits, "_", "-" and ".", not starting with a digit, "-" or "."',
    );
  return id;
}

function decodeBase64(param: string): Buffer {
  if (param.length > MAX_SAML_REQUEST_ENCODED_BYTES) {
    throw new SamlRequestError('request_too_large', `SAMLRequest is longer than ${MAX_SAML_REQUEST_ENCODED_BYTES} characters`);
  }
  // Some SPs wrap base64 lines; anything else outside the alphabet is refused rather than skipped
  // (Buffer.from silently ignores bad characters).
  const compact = param.replace(/[\r\n\t ]/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new SamlRequestError('malformed_request', 'SAMLRequest is not base64');
  }
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length > MAX_SAML_REQUEST_INFLATED_BYTES) {
    throw new SamlRequestError('request_too_large', 'SAMLRequest is too large');
  }
  return bytes;
}

function decodeUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SamlRequestError('malformed_request', 'SAMLRequest is not UTF-8');
  }
}

/**
 * @jit/xml's strict parse into a DOM (for xml-crypto), its refusals as SamlRequestError codes.
 * The text is read under the same bounds as parseMessage before xmldom sees it.
 */
export function parseStrict(xml: string): Element {
  return strict((text) => parseSingleRoot(text, MESSAGE_LIMITS), xml);
}

const REASONS: Record<UnsafeXmlError['kind'], string> = {
  dtd: 'doctype_forbidden',
  malformed: 'malformed_request',
  root: 'malformed_request',
  // Deeper, longer or wider than any real message (@jit/xml's MESSAGE_LIMITS).
  limit: 'request_too_complex',
};

function strict<T>(parse: (xml: string) => T, xml: string): T {
  try {
    return parse(xml);
  } catch (error) {
    if (!(error instanceof UnsafeXmlError)) throw error;
    throw new SamlRequestError(REASONS[error.kind], error.message);
  }
}

function optionalAttribute(el: MessageElement, name: string): string | undefined {
  return el.hasAttribute(name) ? (el.getAttribute(name) ?? undefined) : undefined;
}

function requiredAttribute(el: MessageElement, name: string): string {
  const value = el.getAttribute(name);
  if (!value) throw new SamlRequestError('missing_field', `${name} is required`);
  return value;
}

// xs:dateTime as SAML requires it (core 1.3.3: UTC, "Z"); offsets are accepted since Date handles them.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function parseDateTime(value: string): Date {
  const date = new Date(value);
  if (!DATE_TIME.test(value) || Number.isNaN(date.getTime())) {
    throw new SamlRequestError('malformed_request', 'IssueInstant is not an xs:dateTime');
  }
  return date;
}

function parseUnsignedShort(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n > 65535) {
    throw new SamlRequestError('malformed_request', 'AssertionConsumerServiceIndex is not an unsigned short');
  }
  return n;
}

function parseBoolean(el: MessageElement, name: string): boolean {
  const value = optionalAttribute(el, name);
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw new SamlRequestError('malformed_request', `${name} is not an xs:boolean`);
}
