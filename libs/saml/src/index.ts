export { generateSigningCredentials, certificateBody, type SigningCredentials } from './credentials';
export {
  SamlRequestError,
  MAX_SAML_REQUEST_ENCODED_BYTES,
  MAX_SAML_REQUEST_INFLATED_BYTES,
  MAX_POST_INFLATED_BYTES,
  MAX_SAML_ID_LENGTH,
  MAX_ENTITY_ID_LENGTH,
  decodeRedirectSamlRequest,
  decodePostSamlRequest,
  parseAuthnRequest,
  type ParsedAuthnRequest,
  type RequestedSubject,
} from './authn-request';
export {
  AUTHN_CONTEXT_CLASS,
  AUTHN_CONTEXT_COMPARISONS,
  MAX_REQUESTED_AUTHN_CONTEXT_REFS,
  MAX_AUTHN_CONTEXT_REF_LENGTH,
  type AuthnContextComparison,
  type RequestedAuthnContext,
} from './requested-authn-context';
export {
  buildResponse,
  buildErrorResponse,
  buildAssertionPreview,
  type SamlAttribute,
  type ResponseOptions,
  type AssertionContent,
} from './response';
export { buildIdpMetadata, buildIdpMetadataSet, type IdpMetadataOptions } from './metadata';
export { newSamlId, randomToken } from './ids';
export {
  verifyRedirectSignature,
  verifyPostSignature,
  MAX_SIGNED_REQUEST_BYTES,
  type RedirectSignature,
  type PostSignature,
} from './request-signature';
export { canonicalize } from './c14n';
export { type SignatureAlgorithmName } from './signing';
export {
  parseLogoutRequest,
  parseLogoutResponse,
  buildLogoutRequest,
  buildLogoutResponse,
  redirectBindingUrl,
  STATUS_SUCCESS,
  type ParsedLogoutRequest,
  type ParsedLogoutResponse,
} from './logout';
