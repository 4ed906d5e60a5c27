import type { SigningCredentials } from './credentials';
import { newSamlId } from './ids';
import { NS } from './namespaces';
import { scopeOf } from './c14n';
import { encryptAssertion } from './encryption';
import { signEnveloped } from './signing';
import { element, renderXml, type XmlChild, type XmlElement } from './xml-writer';

export interface SamlAttribute {
  name: string;
  values: string[];
  /** Defaults to urn:oasis:names:tc:SAML:2.0:attrname-format:basic. */
  nameFormat?: string;
}

export interface ResponseOptions {
  /** IdP entity ID. */
  issuer: string;
  /** ACS URL; also the SubjectConfirmationData Recipient. */
  destination: string;
  /** Absent for IdP-initiated SSO. */
  inResponseTo?: string;
  /** SP entity ID. */
  audience: string;
  nameId: string;
  nameIdFormat: string;
  sessionIndex: string;
  attributes: SamlAttribute[];
  /** Defaults to new Date(). */
  now?: Date;
  /** When the user actually authenticated (may predate `now` for an existing SSO session). Defaults to `now`. */
  authnInstant?: Date;
  /** Defaults to 60: Conditions NotBefore = now - skew. */
  notBeforeSkewSeconds?: number;
  /** Defaults to 300: NotOnOrAfter of Conditions and SubjectConfirmationData. */
  validitySeconds?: number;
  sessionNotOnOrAfter?: Date;
  /** Defaults to urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport. */
  authnContextClassRef?: string;
  signAssertion: boolean;
  signResponse: boolean;
  /** Defaults to rsa-sha256; the digest follows (sha256 / sha512). */
  signatureAlgorithm?: 'rsa-sha256' | 'rsa-sha512';
  credentials: SigningCredentials;
  /** The SP's certificate (PEM): the signed assertion then goes out as an EncryptedAssertion. */
  encryptionCertificatePem?: string | null;
}

const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const ATTRNAME_FORMAT_BASIC = 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic';
const PASSWORD_PROTECTED_TRANSPORT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';

/** A signed samlp:Response carrying one assertion, in SAML core schema order. */
export async function buildResponse(opts: ResponseOptions): Promise<string> {
  // An unsigned bearer assertion proves nothing, so refusing is safer than emitting one.
  if (!opts.signAssertion && !opts.signResponse) throw new Error('a Response must sign the assertion, the response, or both');
  const now = wholeSeconds(opts.now ?? new Date());
  const assertion = assertionElement(opts, now);
  const response = element(
    'samlp:Response',
    {
      'xmlns:samlp': NS.protocol,
      'xmlns:saml': NS.assertion,
      ID: newSamlId(),
      Version: '2.0',
      IssueInstant: instant(now),
      Destination: opts.destination,
      InResponseTo: opts.inResponseTo,
    },
    [issuer(opts.issuer), status(STATUS_SUCCESS), assertion],
  );

  // Assertion first: the response signature then covers the assertion together with its signature.
  if (opts.signAssertion) await signEnveloped(assertion, scopeOf(response), opts.credentials, opts.signatureAlgorithm);
  // Signed before it is encrypted, so the SP checks the signature on what it decrypted.
  if (opts.encryptionCertificatePem) response.children[2] = encryptAssertion(renderXml(assertion), opts.encryptionCertificatePem);
  if (opts.signResponse) await signEnveloped(response, new Map(), opts.credentials, opts.signatureAlgorithm);
  return renderXml(response);
}

export type AssertionContent = Omit<
  ResponseOptions,
  'signAssertion' | 'signResponse' | 'signatureAlgorithm' | 'credentials' | 'encryptionCertificatePem'
>;

/** The assertion a user would receive, unsigned: for an administrator's preview, never for an SP. */
export function buildAssertionPreview(opts: AssertionContent): string {
  return renderXml(assertionElement(opts, wholeSeconds(opts.now ?? new Date())));
}

function assertionElement(opts: AssertionContent, now: Date): XmlElement {
  const validitySeconds = opts.validitySeconds ?? 300;
  const skewSeconds = opts.notBeforeSkewSeconds ?? 60;
  if (!(validitySeconds > 0) || !(skewSeconds >= 0)) throw new Error('validitySeconds must be > 0 and notBeforeSkewSeconds >= 0');
  const notOnOrAfter = instant(new Date(now.getTime() + validitySeconds * 1000));
  return element(
    'saml:Assertion',
    // xs/xsi are declared here because the AttributeValues use them in xsi:type="xs:string".
    { 'xmlns:saml': NS.assertion, 'xmlns:xs': NS.xs, 'xmlns:xsi': NS.xsi, ID: newSamlId(), Version: '2.0', IssueInstant: instant(now) },
    [
      issuer(opts.issuer),
      element('saml:Subject', {}, [
        element('saml:NameID', { Format: opts.nameIdFormat }, [opts.nameId]),
        element('saml:SubjectConfirmation', { Method: BEARER }, [
          element('saml:SubjectConfirmationData', {
            InResponseTo: opts.inResponseTo,
            NotOnOrAfter: notOnOrAfter,
            Recipient: opts.destination,
          }),
        ]),
      ]),
      element('saml:Conditions', { NotBefore: instant(new Date(now.getTime() - skewSeconds * 1000)), NotOnOrAfter: notOnOrAfter }, [
        element('saml:AudienceRestriction', {}, [element('saml:Audience', {}, [opts.audience])]),
      ]),
      element(
        'saml:AuthnStatement',
        {
          AuthnInstant: instant(wholeSeconds(opts.authnInstant ?? now)),
          SessionIndex: opts.sessionIndex,
          SessionNotOnOrAfter: opts.sessionNotOnOrAfter && instant(wholeSeconds(opts.sessionNotOnOrAfter)),
        },
        [
          element('saml:AuthnContext', {}, [
            element('saml:AuthnContextClassRef', {}, [opts.authnContextClassRef ?? PASSWORD_PROTECTED_TRANSPORT]),
          ]),
        ],
      ),
      ...(opts.attributes.length > 0 ? [attributeStatement(opts.attributes)] : []),
    ],
  );
}

/**
 * A Response that only reports a failure status (e.g. NoPassive, InvalidNameIDPolicy); signed
 * when credentials are given, so that SPs requiring signed responses still read the status.
 */
export async function buildErrorResponse(opts: {
  issuer: string;
  destination: string;
  inResponseTo?: string;
  statusCode: string;
  subStatusCode?: string;
  statusMessage?: string;
  now?: Date;
  credentials?: SigningCredentials;
  signatureAlgorithm?: 'rsa-sha256' | 'rsa-sha512';
}): Promise<string> {
  const response = element(
    'samlp:Response',
    {
      'xmlns:samlp': NS.protocol,
      'xmlns:saml': NS.assertion,
      ID: newSamlId(),
      Version: '2.0',
      IssueInstant: instant(wholeSeconds(opts.now ?? new Date())),
      Destination: opts.destination,
      InResponseTo: opts.inResponseTo,
    },
    [issuer(opts.issuer), status(opts.statusCode, opts.subStatusCode, opts.statusMessage)],
  );
  if (opts.credentials) await signEnveloped(response, new Map(), opts.credentials, opts.signatureAlgorithm);
  return renderXml(response);
}

function issuer(entityId: string): XmlElement {
  return element('saml:Issuer', {}, [entityId]);
}

function status(code: string, subCode?: string, message?: string): XmlElement {
  const statusCode = element('samlp:StatusCode', { Value: code }, subCode ? [element('samlp:StatusCode', { Value: subCode })] : []);
  const children: XmlChild[] = [statusCode];
  if (message !== undefined) children.push(element('samlp:StatusMessage', {}, [message]));
  return element('samlp:Status', {}, children);
}

function attributeStatement(attributes: SamlAttribute[]): XmlElement {
  return element(
    'saml:AttributeStatement',
    {},
    attributes.map((attr) =>
      element(
        'saml:Attribute',
        { Name: attr.name, NameFormat: attr.nameFormat ?? ATTRNAME_FORMAT_BASIC },
        // One AttributeValue per value: that is how SAML carries multi-valued attributes.
        attr.values.map((value) => element('saml:AttributeValue', { 'xsi:type': 'xs:string' }, [value])),
      ),
    ),
  );
}

// All instants are whole seconds so every timestamp in a message is written the same way.
function wholeSeconds(date: Date): Date {
  if (Number.isNaN(date.getTime())) throw new Error('invalid date');
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

// The instants the sign-ins of one second share (now, now + validity, now - skew), each written
// once: toISOString takes about a microsecond, and a response has six of them.
const INSTANTS_KEPT = 256;
const instants = new Map<number, string>();

function instant(date: Date): string {
  const time = date.getTime();
  let text = instants.get(time);
  if (text === undefined) {
    if (instants.size >= INSTANTS_KEPT) instants.clear();
    text = date.toISOString().replace(/\.\d{3}Z$/, 'Z');
    instants.set(time, text);
  }
  return text;
}
