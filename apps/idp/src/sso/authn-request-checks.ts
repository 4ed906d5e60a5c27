import { NAMEID, acsUrlByIndex, renderableUrl } from '@jit/catalog-contracts';
import { decodePostSamlRequest, decodeRedirectSamlRequest, parseAuthnRequest, type ParsedAuthnRequest } from '@jit/saml';
import type { ReadApplicationView } from '../read-model/read-model.service';
import { Refusal } from '../common/refusals';
import { samlRequestRefusal, verifiedRequestXml } from '../common/request-signature';

const HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

export interface AuthnRequestInput {
  binding: 'redirect' | 'post';
  samlRequest: string;
  /** The raw query string as received (Redirect binding): its octets are what the SP signed. */
  rawQuery?: string;
}

/** Decodes the request and checks its signature; fields come only from what the signature covers. */
export function parseVerifiedAuthnRequest(input: AuthnRequestInput, app: ReadApplicationView): ParsedAuthnRequest {
  try {
    const xml =
      input.binding === 'redirect'
        ? verifiedRequestXml(app, {
            binding: 'redirect',
            xml: decodeRedirectSamlRequest(input.samlRequest),
            rawQuery: input.rawQuery ?? '',
          })
        : verifiedRequestXml(app, { binding: 'post', xml: decodePostSamlRequest(input.samlRequest) });
    return parseAuthnRequest(xml);
  } catch (error) {
    return samlRequestRefusal(error, { flow: 'sso' });
  }
}

/**
 * SECURITY.md: known issuer, registered ACS (exact), POST binding, fresh, addressed to us (not
 * replayed is the caller's check). Returns the ACS URL the response goes to.
 */
export function checkAuthnRequest(
  app: ReadApplicationView,
  request: ParsedAuthnRequest,
  expected: { ssoUrl: string; clockSkewSeconds: number; now: number },
): string {
  const snapshot = app.snapshot;
  const context = { appName: snapshot.name, flow: 'sso' as const };
  if (request.issuer !== snapshot.spEntityId) throw new Refusal('unknown_issuer', context);
  if (request.protocolBinding !== undefined && request.protocolBinding !== HTTP_POST) throw new Refusal('unsupported_binding', context);
  let acsUrl: string | undefined;
  if (request.assertionConsumerServiceUrl !== undefined) {
    acsUrl = snapshot.acsUrls.find((u) => u === request.assertionConsumerServiceUrl);
  } else if (request.assertionConsumerServiceIndex !== undefined) {
    acsUrl = acsUrlByIndex(snapshot, request.assertionConsumerServiceIndex);
  } else {
    acsUrl = snapshot.acsUrls[0];
  }
  if (!acsUrl || !renderableUrl(acsUrl)) throw new Refusal('acs_not_registered', context);
  if (Math.abs(expected.now - request.issueInstant.getTime()) > expected.clockSkewSeconds * 1000)
    throw new Refusal('stale_request', context);
  if (request.destination !== undefined && request.destination !== expected.ssoUrl) throw new Refusal('wrong_destination', context);
  return acsUrl;
}

/** SAML core 3.4.1.1: no format or "unspecified" leaves it to us; any other must be the application's. */
export function nameIdPolicyAccepted(requested: string | undefined, configured: string): boolean {
  return requested === undefined || requested === NAMEID.unspecified || requested === configured;
}
