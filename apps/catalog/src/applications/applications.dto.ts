import { z } from 'zod';
import { ApplicationSnapshot, AttributeMapping, NameIdFormat, SpEntityId } from '@jit/catalog-contracts';
import { ListQuery, PageOf, Timestamp } from '@jit/service';
import { SUPPORTED_FUNCTIONALITY } from '../connectors/connector';
import { APPLICATION_STATUSES } from './application-view';

/** The IdP's default cap on RelayState (IDP_RELAY_STATE_MAX_BYTES); longer ones would be refused there. */
export const MAX_RELAY_STATE_BYTES = 1024;
/** SP metadata documents are small; a bigger one is more likely an attack than an SP. */
export const MAX_METADATA_CHARS = 200_000;

const spName = z.string().trim().min(1).max(512);

const Mapping = z.strictObject({
  spName,
  source: z.string().max(128).nullable().optional(),
  constant: z.string().min(1).max(2048).nullable().optional(),
  enabled: z.boolean().optional(),
  required: z.boolean().optional(),
  multiValued: z.boolean().optional(),
  renameTo: spName.optional(),
  remove: z.literal(true).optional(),
});

const Pem = z.string().max(16_384);

const fields = {
  name: z.string().trim().min(1).max(200),
  /** Sent as the assertion's Audience and compared with the requests' Issuer: a URI reference without whitespace, at most 1024 characters (`entityIdProblem`). */
  spEntityId: SpEntityId,
  acsUrls: z.array(z.string().max(2048)).min(1, 'register at least one ACS URL').max(20),
  nameIdFormat: NameIdFormat.optional(),
  nameIdSource: z.string().max(128).optional(),
  signAssertion: z.boolean().optional(),
  signResponse: z.boolean().optional(),
  signatureAlgorithm: z.enum(['rsa-sha256', 'rsa-sha512']).optional(),
  spSigningCertificates: z.array(Pem).max(5).optional(),
  requireSignedRequests: z.boolean().optional(),
  encryptionCertificate: Pem.nullable().optional(),
  defaultRelayState: z
    .string()
    .min(1)
    .refine((s) => Buffer.byteLength(s, 'utf8') <= MAX_RELAY_STATE_BYTES, `at most ${MAX_RELAY_STATE_BYTES} bytes`)
    .nullable()
    .optional(),
  idpInitiatedAllowed: z.boolean().optional(),
  /** IdP-initiated sign-in may take its caller's RelayState instead of defaultRelayState (default false). */
  idpInitiatedRelayStateFromCaller: z.boolean().optional(),
  singleLogoutUrl: z.string().max(2048).nullable().optional(),
  groupsAttribute: z
    .strictObject({ spName, filter: z.string().trim().min(1).max(200).nullable().optional() })
    .nullable()
    .optional(),
  active: z.boolean().optional(),
  /** The SP's own sign-in address, for the portal when IdP-initiated sign-in is not allowed (https, or http on localhost). */
  launchUrl: z.string().max(2048).nullable().optional(),
  /** Show the application on the portal (default true). */
  portalVisible: z.boolean().optional(),
  portalLabel: z.string().trim().min(1).max(100).nullable().optional(),
  /** `#rgb` or `#rrggbb`. */
  portalColor: z.string().max(16).nullable().optional(),
  /** Every sign-in to the application needs a second factor, whatever the organisation's MFA policy (default false). */
  mfaRequired: z.boolean().optional(),
  /** The AuthnContextClassRef after a second factor: refeds-mfa (default) or microsoft-multipleauthn (for Microsoft Entra ID). */
  mfaAuthnContext: z.enum(['refeds-mfa', 'microsoft-multipleauthn']).optional(),
  /** Every sign-in to the application needs a phishing-resistant factor, a passkey (default false). */
  mfaPhishingResistant: z.boolean().optional(),
  attributes: z.array(Mapping).max(100).optional(),
  /** The SP's metadata; explicit fields of the same body win over what it says. */
  metadataXml: z.string().min(1).max(MAX_METADATA_CHARS).optional(),
};

const { name, spEntityId, acsUrls, ...optional } = fields;

export const CreateApplicationBody = z
  .strictObject({
    connectorId: z.string().min(1).max(64),
    name,
    spEntityId: spEntityId.optional(),
    acsUrls: acsUrls.optional(),
    ...optional,
  })
  .superRefine((b, ctx) => {
    // Without metadata the SP's identity and endpoints must be given.
    if (b.metadataXml !== undefined) return;
    if (b.spEntityId === undefined) ctx.addIssue({ code: 'custom', path: ['spEntityId'], message: 'required (or send metadataXml)' });
    if (b.acsUrls === undefined) ctx.addIssue({ code: 'custom', path: ['acsUrls'], message: 'required (or send metadataXml)' });
  });
export type CreateApplicationBody = z.infer<typeof CreateApplicationBody>;

/** POST /v1/applications/from-metadata: the same body, with the metadata required. */
export const CreateFromMetadataBody = z.strictObject({
  connectorId: z.string().min(1).max(64),
  name,
  spEntityId: spEntityId.optional(),
  acsUrls: acsUrls.optional(),
  ...optional,
  metadataXml: fields.metadataXml.unwrap(),
});

export const UpdateApplicationBody = z
  .strictObject({ name: name.optional(), spEntityId: spEntityId.optional(), acsUrls: acsUrls.optional(), ...optional })
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change');
export type UpdateApplicationBody = z.infer<typeof UpdateApplicationBody>;

export const BindGroupBody = z.strictObject({ groupId: z.uuid({ message: 'must be a UUID' }) });
export type BindGroupBody = z.infer<typeof BindGroupBody>;

export const ReadinessQuery = ListQuery;
export type ReadinessQuery = ListQuery;

/** `GET /v1/applications`: a page, optionally narrowed by name and status. Unknown parameters are refused, not ignored. */
export const ApplicationListQuery = z.strictObject({
  ...ListQuery.shape,
  search: z.string().trim().min(1, 'type something; leave the parameter out to not search').max(200).optional().meta({
    description: 'Part of the application name, ignoring case',
  }),
  status: z.enum(APPLICATION_STATUSES, { message: `must be one of ${APPLICATION_STATUSES.join(', ')}` }).optional(),
});
export type ApplicationListQuery = z.infer<typeof ApplicationListQuery>;

/** `GET /v1/users/:id/applications`. */
export const UserApplicationsQuery = z.strictObject({
  ...ListQuery.shape,
  status: z.enum(APPLICATION_STATUSES, { message: `must be one of ${APPLICATION_STATUSES.join(', ')}` }).optional(),
});
export type UserApplicationsQuery = z.infer<typeof UserApplicationsQuery>;

/** One application of `GET /v1/users/:id/applications`. */
export const UserApplicationView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    connectorId: z.string(),
    supportedFunctionality: z.array(z.enum(SUPPORTED_FUNCTIONALITY)).meta({ description: "The connector's labels" }),
    status: z.enum(APPLICATION_STATUSES).meta({ description: 'An inactive application refuses every sign-in' }),
    viaGroups: z
      .array(z.object({ id: z.uuid(), name: z.string() }))
      .meta({ description: "The user's groups bound to the application (active memberships), by name" }),
  })
  .meta({ id: 'UserApplicationView' });
export const UserApplicationsPage = PageOf(UserApplicationView).meta({ id: 'UserApplicationsPage' });
export type UserApplicationsPage = z.infer<typeof UserApplicationsPage>;

/** The snapshot's fields as answered: always present (their defaults only serve older events). */
type Answered<Shape> = { [K in keyof Shape]: Shape[K] extends z.ZodDefault<infer T> ? T : Shape[K] };
const answeredSnapshot = Object.fromEntries(
  Object.entries(ApplicationSnapshot.shape).map(([key, schema]) => [key, schema instanceof z.ZodDefault ? schema.unwrap() : schema]),
) as Answered<typeof ApplicationSnapshot.shape>;

const readinessFields = {
  authorisedUsers: z.number().int().meta({ description: 'ACTIVATED members of the user groups bound to the application' }),
  jitNotReady: z.number().int().meta({
    description:
      'How many of them lack a value for an enabled required attribute or the NameID source (GET /v1/applications/{id}/jit-readiness lists them)',
  }),
  jitReadiness: z.object({
    usersLacking: z.number().int(),
    authorisedUsers: z.number().int(),
    fresh: z.boolean().meta({ description: 'False when the catalog could not confirm its copy of the directory is current' }),
  }),
};

const applicationFields = {
  id: z.uuid(),
  supportedFunctionality: z.array(z.enum(SUPPORTED_FUNCTIONALITY)).meta({ description: "The connector's labels" }),
  ...answeredSnapshot,
  attributes: z.array(AttributeMapping.extend({ editable: z.boolean().meta({ description: 'False for a row the connector fixes' }) })),
  status: z.enum(APPLICATION_STATUSES).meta({ description: 'An inactive application refuses every sign-in' }),
  version: z.number().int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
};

/**
 * An application as the admin API answers it (application-view.ts builds it). GET answers its
 * readiness counts too; a create or change answers without them (they take a query of the directory's copy).
 */
export const ApplicationView = z
  .object({
    ...applicationFields,
    authorisedUsers: readinessFields.authorisedUsers.optional(),
    jitNotReady: readinessFields.jitNotReady.optional(),
    jitReadiness: readinessFields.jitReadiness.optional(),
  })
  .meta({ id: 'ApplicationView' });
export type ApplicationView = z.infer<typeof ApplicationView>;

/** An item of `GET /v1/applications` (and of a group's applications): always with its readiness counts. */
export const ApplicationListItem = z.object({ ...applicationFields, ...readinessFields }).meta({ id: 'ApplicationListItem' });
export type ApplicationListItem = z.infer<typeof ApplicationListItem>;
export const ApplicationListPage = PageOf(ApplicationListItem).meta({ id: 'ApplicationListPage' });
export type ApplicationListPage = z.infer<typeof ApplicationListPage>;
