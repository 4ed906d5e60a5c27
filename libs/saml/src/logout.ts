import { createPrivateKey, sign } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import {
  SamlRequestError,
  optionalAttribute,
  parseDateTime,
  parseProtocolMessage,
  readNameId,
  requiredAttribute,
  requiredId,
  requiredIssuer,
  singleChild,
  textOnly,
} from './authn-request';
import type { SigningCredentials } from './credentials';
import { newSamlId } from './ids';
import { NS } from './namespaces';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithmName } from './signing';
import { element, renderXml } from './xml-writer';

/**
 * The session to end is named by `nameId` (with `nameIdFormat`) and `sessionIndexes` (none means
 * every session of that NameID at this SP): the IdP checks them against its own session before
 * ending anything.
 */
export interface ParsedLogoutRequest {
  id: string;
  issuer: string;
  issueInstant: Date;
  destination?: string;
  nameId: string;
  nameIdFormat?: string;
  sessionIndexes: string[];
}

/** A samlp:LogoutRequest, with the same strict parse as AuthnRequests. */
export function parseLogoutRequest(xml: string): ParsedLogoutRequest {
  const root = parseProtocolMessage(xml, 'LogoutRequest');
  const issuer = requiredIssuer(root);
  const nameIdElement = singleChild(root, NS.assertion, 'NameID');
  if (!nameIdElement) throw new SamlRequestError('missing_field', 'NameID is required (EncryptedID is not supported)');
  const { nameId, nameIdFormat } = readNameId(nameIdElement);
  const sessionIndexes = root.childElements(NS.protocol, 'SessionIndex').map((e) => textOnly(e, 'SessionIndex'));
  if (sessionIndexes.includes('')) throw new SamlRequestError('missing_field', 'SessionIndex must not be empty');
  return {
    id: requiredId(root),
    issuer,
    issueInstant: parseDateTime(requiredAttribute(root, 'IssueInstant')),
    destination: optionalAttribute(root, 'Destination'),
    nameId,
    nameIdFormat,
    sessionIndexes,
  };
}

export const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';

/** IssueInstant to the second, as the other messages carry it. */
const instant = (now: Date | undefined): string =>
  new Date(Math.floor((now ?? new Date()).getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * An IdP-initiated samlp:LogoutRequest, unsigned: the HTTP-Redirect binding signs the query. It
 * names the principal exactly as the assertion to that SP did (NameID, its Format, SessionIndex).
 */
export function buildLogoutRequest(opts: {
  issuer: string;
  destination: string;
  nameId: string;
  nameIdFormat?: string;
  sessionIndex: string;
  now?: Date;
}): { id: string; xml: string } {
  const id = newSamlId();
  const xml = renderXml(
    element(
      'samlp:LogoutRequest',
      {
        'xmlns:samlp': NS.protocol,
        'xmlns:saml': NS.assertion,
        ID: id,
        Version: '2.0',
        IssueInstant: instant(opts.now),
        Destination: opts.destination,
      },
      [
        element('saml:Issuer', {}, [opts.issuer]),
        element('saml:NameID', opts.nameIdFormat ? { Format: opts.nameIdFormat } : {}, [opts.nameId]),
        element('samlp:SessionIndex', {}, [opts.sessionIndex]),
      ],
    ),
  );
  return { id, xml };
}

/** What the IdP reads from an SP's answer to its LogoutRequest. */
export interface ParsedLogoutResponse {
  issuer: string;
  inResponseTo?: string;
  /** The top-level StatusCode's Value. */
  statusCode: string;
}

/** A samlp:LogoutResponse, with the same strict parse as the requests. */
export function parseLogoutResponse(xml: string): ParsedLogoutResponse {
  const root = parseProtocolMessage(xml, 'LogoutResponse');
  requiredId(root);
  const status = singleChild(root, NS.protocol, 'Status');
  const code = status && singleChild(status, NS.protocol, 'StatusCode');
  if (!code) throw new SamlRequestError('missing_field', 'Status/StatusCode is required');
  return {
    issuer: requiredIssuer(root),
    inResponseTo: optionalAttribute(root, 'InResponseTo'),
    statusCode: requiredAttribute(code, 'Value'),
  };
}

/** A samlp:LogoutResponse, unsigned: the HTTP-Redirect binding signs the query instead. */
export function buildLogoutResponse(opts: {
  issuer: string;
  destination: string;
  inResponseTo: string;
  statusCode?: string;
  now?: Date;
}): string {
  return renderXml(
    element(
      'samlp:LogoutResponse',
      {
        'xmlns:samlp': NS.protocol,
        'xmlns:saml': NS.assertion,
        ID: newSamlId(),
        Version: '2.0',
        IssueInstant: instant(opts.now),
        Destination: opts.destination,
        InResponseTo: opts.inResponseTo,
      },
      [
        element('saml:Issuer', {}, [opts.issuer]),
        element('samlp:Status', {}, [element('samlp:StatusCode', { Value: opts.statusCode ?? STATUS_SUCCESS })]),
      ],
    ),
  );
}

/**
 * The HTTP-Redirect binding URL for a message: DEFLATE, base64, URL-encode, then SigAlg and a
 * signature over exactly the octets `param=…&RelayState=…&SigAlg=…` that go on the wire.
 */
export function redirectBindingUrl(
  location: string,
  param: 'SAMLRequest' | 'SAMLResponse',
  xml: string,
  relayState: string | null,
  credentials: SigningCredentials,
  algorithm: SignatureAlgorithmName = 'rsa-sha256',
): string {
  const alg = SIGNATURE_ALGORITHMS[algorithm];
  const octets =
    `${param}=${encodeURIComponent(deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64'))}` +
    (relayState === null ? '' : `&RelayState=${encodeURIComponent(relayState)}`) +
    `&SigAlg=${encodeURIComponent(alg.signature)}`;
  const key = typeof credentials.privateKey === 'string' ? createPrivateKey(credentials.privateKey) : credentials.privateKey;
  const signature = sign(alg.hash, Buffer.from(octets, 'utf8'), key).toString('base64');
  return `${location}${location.includes('?') ? '&' : '?'}${octets}&Signature=${encodeURIComponent(signature)}`;
}
