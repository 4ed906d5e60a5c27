import { inflateRawSync } from 'node:zlib';
import type { Element } from '@xmldom/xmldom';
import { parseMessage, parseSingleRoot, UnsafeXmlError, type MessageElement } from '@jit/xml';
import { NS } from './namespaces';

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
  /** The NameID of the request's `<saml:Subject>`: the SP asks for this person only. */
  subjectNameId?: string;
}

// Real AuthnRequests are a few KB even when signed; these caps leave room and stop amplification.
export const MAX_SAML_REQUEST_ENCODED_BYTES = 64 * 1024;
export const MAX_SAML_REQUEST_INFLATED_BYTES = 128 * 1024;

/** HTTP-Redirect binding: base64 of raw DEFLATE. */
export function decodeRedirectSamlRequest(samlRequestParam: string): string {
  return inflateCapped(decodeBase64(samlRequestParam));
}

function inflateCapped(compressed: Buffer): string {
  let inflated: Buffer;
  try {
    // maxOutputLength makes zlib stop as soon as the cap is passed, so a deflate bomb costs at most
    // the cap in memory; checking the size after inflating would already be too late.
    inflated = inflateRawSync(compressed, { maxOutputLength: MAX_SAML_REQUEST_INFLATED_BYTES });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new SamlRequestError('request_too_large', `SAMLRequest inflates to more than ${MAX_SAML_REQUEST_INFLATED_BYTES} bytes`);
    }
    throw new SamlRequestError('malformed_request', 'SAMLRequest is not raw DEFLATE data');
  }
  return decodeUtf8(inflated);
}

/**
 * HTTP-POST binding: base64 of the XML. The binding says uncompressed, but node-saml (and so
 * passport-saml) deflates it by default; raw DEFLATE is accepted too, with the same inflate cap.
 */
export function decodePostSamlRequest(samlRequestParam: string): string {
  const bytes = decodeBase64(samlRequestParam);
  if (/^(\xEF\xBB\xBF)?[ \t\r\n]*</.test(bytes.subarray(0, 64).toString('latin1'))) return decodeUtf8(bytes);
  return inflateCapped(bytes);
}

export function parseAuthnRequest(xml: string): ParsedAuthnRequest {
  const root = parseProtocolMessage(xml, 'AuthnRequest');

  const issuers = root.childElements(NS.assertion, 'Issuer');
  if (issuers.length > 1) throw new SamlRequestError('malformed_request', 'more than one Issuer');
  const issuer = issuers[0]?.textContent?.trim();
  if (!issuer) throw new SamlRequestError('missing_field', 'Issuer is required');

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

  const subject = singleChild(root, NS.assertion, 'Subject');
  const subjectNameId = subject ? singleChild(subject, NS.assertion, 'NameID')?.textContent?.trim() : undefined;
  // A Subject that names no one by a NameID we can read (an EncryptedID, a BaseID) cannot be honoured.
  if (subject && !subjectNameId) throw new SamlRequestError('malformed_request', 'Subject must hold a NameID');

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
    // Only when present, so that a request without a Subject reads exactly as before.
    ...(subjectNameId === undefined ? {} : { subjectNameId }),
  };
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

/** @jit/xml's strict parse into a DOM (for xml-crypto), its refusals as SamlRequestError codes. */
export function parseStrict(xml: string): Element {
  return strict(parseSingleRoot, xml);
}

function strict<T>(parse: (xml: string) => T, xml: string): T {
  try {
    return parse(xml);
  } catch (error) {
    if (!(error instanceof UnsafeXmlError)) throw error;
    throw new SamlRequestError(error.kind === 'dtd' ? 'doctype_forbidden' : 'malformed_request', error.message);
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
