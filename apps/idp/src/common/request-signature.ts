import { SamlRequestError, verifyPostSignature, verifyRedirectSignature } from '@jit/saml';
import type { ReadApplicationView } from '../read-model/read-model.service';
import { Refusal, type RefusalContext } from './refusals';

/**
 * Checks an incoming request's signature with the SP's registered certificates (never one the
 * message carries) and returns the XML to read fields from: for POST, only the signed element.
 * An unsigned request passes only when the application does not require signatures.
 */
export function verifiedRequestXml(
  app: ReadApplicationView,
  request: { binding: 'redirect'; xml: string; rawQuery: string } | { binding: 'post'; xml: string },
  /** Refuse an unsigned request whatever the application says (Single Logout). */
  alwaysRequireSigned = false,
): string {
  const { spSigningCertificates: certificates } = app.snapshot;
  const requireSignedRequests = alwaysRequireSigned || app.snapshot.requireSignedRequests;
  const check = certificates.length > 0 || requireSignedRequests;
  if (request.binding === 'redirect') {
    const signature = check ? verifyRedirectSignature(request.rawQuery, certificates) : { signed: false };
    requireSignedIfConfigured(app, signature.signed, requireSignedRequests);
    return request.xml;
  }
  const signature = check ? verifyPostSignature(request.xml, certificates) : { signed: false as const };
  requireSignedIfConfigured(app, signature.signed, requireSignedRequests);
  return signature.signed ? signature.signedXml : request.xml;
}

function requireSignedIfConfigured(app: ReadApplicationView, signed: boolean, required: boolean): void {
  if (required && !signed) throw new Refusal('unsigned_request_rejected', { appName: app.snapshot.name });
}

/** The SAML library's refusals of a request (signature, size, syntax) as the IdP's typed refusals. */
export function samlRequestRefusal(error: unknown, context: RefusalContext): never {
  if (!(error instanceof SamlRequestError)) throw error;
  const detail = { ...context, detail: error.message };
  if (error.reason === 'bad_request_signature') throw new Refusal('bad_request_signature', detail);
  throw new Refusal('malformed_request', { ...detail, tooLarge: context.flow !== 'slo' && error.reason === 'request_too_large' });
}
