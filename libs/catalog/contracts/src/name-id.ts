import { z } from 'zod';

/** The NameID formats an application may use (SAML core 8.3), by the name the code uses for each. */
export const NAMEID = {
  email: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
} as const;

/** The same URIs as a list, in the order error messages name them. */
export const NAME_ID_FORMATS = [NAMEID.email, NAMEID.unspecified, NAMEID.persistent, NAMEID.transient] as const;

export const NameIdFormat = z.enum(NAME_ID_FORMATS);
export type NameIdFormat = z.infer<typeof NameIdFormat>;
