import { createHash } from 'node:crypto';

/**
 * The admin console is a SAML SP of every organisation, known to the IdP by configuration rather
 * than through the catalog: who may sign in to it is decided by admin roles, not group bindings.
 * Its application id in an organisation is derived, so the IdP and the console agree on it
 * without a message: a UUID in the version-5 layout (SHA-1 of a fixed namespace and the
 * organisation id, RFC 9562 section 5.5).
 */
const CONSOLE_NAMESPACE = 'jit-idp:admin-console:v1:';

export function consoleApplicationId(organizationId: string): string {
  const bytes = createHash('sha1')
    .update(CONSOLE_NAMESPACE + organizationId.toLowerCase())
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The console's SAML endpoints, relative to its public URL (CONSOLE_URL). */
export const CONSOLE_SAML_PATHS = { metadata: '/saml/metadata', acs: '/saml/acs', logout: '/saml/logout' } as const;

/** The attributes the IdP sends the console, by name. */
export const CONSOLE_ATTRIBUTES = ['userId', 'username', 'email', 'firstname', 'lastname', 'organizationId', 'adminRole'] as const;
