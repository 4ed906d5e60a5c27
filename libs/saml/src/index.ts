export { generateSigningCredentials, certificateBody, type SigningCredentials } from './credentials';
export {
  SamlRequestError,
  MAX_SAML_REQUEST_ENCODED_BYTES,
  MAX_SAML_REQUEST_INFLATED_BYTES,
  decodeRedirectSamlRequest,
  decodePostSamlRequest,
  parseAuthnRequest,
  type ParsedAuthnRequest,
} from './authn-request';
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
export { verifyRedirectSignature, verifyPostSignature, type RedirectSignature, type PostSignature } from './request-signature';
export { canonicalize } from './c14n';
export { type SignatureAlgorithmName } from './signing';
export { parseLogoutRequest, buildLogoutResponse, redirectBindingUrl, type ParsedLogoutRequest } from './logout';
