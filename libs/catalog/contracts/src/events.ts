import { z } from 'zod';
import { defineEvent, defineStream } from '@jit/messaging';

const entity = {
  organizationId: z.uuid(),
  version: z.number().int().positive(),
  occurredAt: z.iso.datetime(),
};

export const AttributeMapping = z.object({
  spName: z.string(),
  /** A directory attribute name, or `custom:<name>` for a custom attribute. */
  source: z.string().nullable(),
  constant: z.string().nullable(),
  enabled: z.boolean(),
  required: z.boolean(),
  /** Send every value of a multi-valued source (e.g. a custom attribute holding a list) as its own AttributeValue. */
  multiValued: z.boolean().default(false),
});
export type AttributeMapping = z.infer<typeof AttributeMapping>;

/** What the IdP needs to issue assertions for an application. */
export const ApplicationSnapshot = z.object({
  name: z.string(),
  connectorId: z.string(),
  /**
   * The catalog checks values coming in with `entityIdProblem`; not checked on this schema,
   * so that events and stored snapshots of applications registered before that rule still read.
   */
  spEntityId: z.string(),
  acsUrls: z.array(z.string()).min(1),
  /** One of NAME_ID_FORMATS (name-id.ts) as the catalog writes it; read as any string, as v1 did. */
  nameIdFormat: z.string(),
  nameIdSource: z.string(),
  signAssertion: z.boolean(),
  signResponse: z.boolean(),
  active: z.boolean(),
  attributes: z.array(AttributeMapping),
  // Fields below were added after v1 shipped; their defaults keep older events valid.
  /** Signature algorithm of the Response and/or Assertion. */
  signatureAlgorithm: z.enum(['rsa-sha256', 'rsa-sha512']).default('rsa-sha256'),
  /** The SP's signing certificates (PEM), used to verify signed AuthnRequests and LogoutRequests. */
  spSigningCertificates: z.array(z.string()).default([]),
  /** Refuse AuthnRequests that are not signed with one of spSigningCertificates. */
  requireSignedRequests: z.boolean().default(false),
  /** When set, the signed Assertion is encrypted (AES-256-GCM, RSA-OAEP) with this certificate (PEM). */
  encryptionCertificate: z.string().nullable().default(null),
  /** RelayState sent with IdP-initiated SSO. */
  defaultRelayState: z.string().nullable().default(null),
  idpInitiatedAllowed: z.boolean().default(true),
  /**
   * IdP-initiated sign-in (GET /saml2/:appId/init) may send the RelayState its caller gives
   * instead of defaultRelayState. Off unless the application opts in: the SP then lands where
   * a link chose, which only an SP that checks its RelayState should allow.
   */
  idpInitiatedRelayStateFromCaller: z.boolean().default(false),
  /** The SP's SingleLogoutService (HTTP-Redirect) URL, if it has one. */
  singleLogoutUrl: z.string().nullable().default(null),
  /** Optional attribute carrying the user's group names (all, or those matching `filter`, a case-insensitive substring). */
  groupsAttribute: z
    .object({ spName: z.string(), filter: z.string().nullable().default(null) })
    .nullable()
    .default(null),
  /**
   * Each of acsUrls with the index an AuthnRequest's AssertionConsumerServiceIndex names it by:
   * the `index` attribute of the SP's metadata, or its position in acsUrls when the admin gave
   * the URLs. Empty in events from before this field: then the index is the position.
   */
  acsIndexes: z.array(z.object({ index: z.number().int().min(0), url: z.string() })).default([]),
  /**
   * The application's own sign-in address (checked like an ACS URL, `acsUrlProblem`): where the
   * portal sends a person when the application does not take IdP-initiated sign-in.
   */
  launchUrl: z.string().nullable().default(null),
  /** The portal shows the application (default true). */
  portalVisible: z.boolean().default(true),
  /** The portal tile's label; the application's name when null. */
  portalLabel: z.string().nullable().default(null),
  /** The portal tile's colour, `#rgb` or `#rrggbb` (`PORTAL_COLOR`, portal.ts); none when null. */
  portalColor: z.string().nullable().default(null),
  /** Every sign-in to the application needs a second factor, whatever the organisation's MFA policy (a person without one enrols). */
  mfaRequired: z.boolean().default(false),
  /**
   * The AuthnContextClassRef after a second factor: `refeds-mfa` (https://refeds.org/profile/mfa)
   * or `microsoft-multipleauthn` (http://schemas.microsoft.com/claims/multipleauthn, the value
   * Microsoft Entra ID needs to honour the IdP's MFA). After a password alone it is always
   * PasswordProtectedTransport.
   */
  mfaAuthnContext: z.enum(['refeds-mfa', 'microsoft-multipleauthn']).default('refeds-mfa'),
  /**
   * Every sign-in to the application needs a phishing-resistant factor (a WebAuthn passkey),
   * whatever the organisation's policy: a session verified with a password, a TOTP code or a
   * recovery code steps up, and a person without a passkey enrols one.
   */
  mfaPhishingResistant: z.boolean().default(false),
});
export type ApplicationSnapshot = z.infer<typeof ApplicationSnapshot>;

/** The registered ACS URL an AuthnRequest's AssertionConsumerServiceIndex names, if any. */
export function acsUrlByIndex(snapshot: Pick<ApplicationSnapshot, 'acsUrls' | 'acsIndexes'>, index: number): string | undefined {
  if (snapshot.acsIndexes.length === 0) return snapshot.acsUrls[index];
  return snapshot.acsIndexes.find((a) => a.index === index)?.url;
}

const applicationEvent = z.object({ ...entity, applicationId: z.uuid(), application: ApplicationSnapshot });

/**
 * The specific application events below accompany the applicationUpdated event of the same
 * change and carry its version: applicationUpdated always holds the complete snapshot, so a
 * consumer that only needs the current state can ignore them.
 */
const applicationRef = z.object({ ...entity, applicationId: z.uuid() });

/**
 * What follows the type on the wire (docs/events.md): the organisation and the application, then
 * the group of a binding, so that `catalog.application.*.*.*.<applicationId>` and
 * `catalog.application.*.*.*.<applicationId>.*` find everything about one application.
 */
const APPLICATION = ['organizationId', 'applicationId'] as const;
const BINDING = ['organizationId', 'applicationId', 'groupId'] as const;

export const CatalogEvents = {
  applicationCreated: defineEvent('catalog.application.created.v1', applicationEvent, APPLICATION),
  applicationUpdated: defineEvent('catalog.application.updated.v1', applicationEvent, APPLICATION),
  applicationDeleted: defineEvent('catalog.application.deleted.v1', z.object({ ...entity, applicationId: z.uuid() }), APPLICATION),
  /** The application was switched on (`active: true`); no one may sign in to it while it is off. */
  applicationActivated: defineEvent('catalog.application.activated.v1', applicationRef, APPLICATION),
  applicationDeactivated: defineEvent('catalog.application.deactivated.v1', applicationRef, APPLICATION),
  /** Its attribute mappings or group attribute changed; both are given whole. */
  mappingsChanged: defineEvent(
    'catalog.application.mappings-changed.v1',
    applicationRef.extend({
      attributes: ApplicationSnapshot.shape.attributes,
      groupsAttribute: ApplicationSnapshot.shape.groupsAttribute,
    }),
    APPLICATION,
  ),
  /** Binding versions count per (application, group) pair: bind and unbind share one sequence. */
  groupBound: defineEvent(
    'catalog.application.group-bound.v1',
    z.object({ ...entity, applicationId: z.uuid(), groupId: z.uuid() }),
    BINDING,
  ),
  groupUnbound: defineEvent(
    'catalog.application.group-unbound.v1',
    z.object({ ...entity, applicationId: z.uuid(), groupId: z.uuid() }),
    BINDING,
  ),
} as const;

export const CATALOG_STREAM = defineStream('CATALOG', ['catalog.>'], Object.values(CatalogEvents), {
  outboxSchema: 'catalog',
});
