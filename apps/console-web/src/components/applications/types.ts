/**
 * The answers of the endpoints these screens read. The services' OpenAPI documents describe their
 * request bodies and parameters but not yet their answers (`content?: never`), so the shapes are
 * written here, as the services build them (catalog application-view.ts, connector.ts,
 * readiness.service.ts; IdP preview.service.ts).
 */

export const NAME_ID_FORMATS = [
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
] as const;
export type NameIdFormat = (typeof NAME_ID_FORMATS)[number];

export const NAME_ID_FORMAT_LABEL: Record<NameIdFormat, string> = {
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress': 'Email address',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified': 'Unspecified',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent': 'Persistent',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:transient': 'Transient',
};

export type Functionality = 'SSO' | 'JIT Provisioning' | 'SLO';

export interface ConnectorAttribute {
  spName: string;
  source?: string;
  constant?: string;
  enabled: boolean;
  required: boolean;
  multiValued: boolean;
  /** False for a pre-built connector's attributes: the SP expects exactly this name. */
  editable: boolean;
  notes?: string;
}

export interface Connector {
  id: string;
  name: string;
  description: string;
  supportedFunctionality: Functionality[];
  nameIdFormat: NameIdFormat;
  nameIdSource: string;
  signing: 'response' | 'assertion' | 'both';
  rules: {
    signatures: 'any' | 'response' | 'assertion' | 'exactly-one';
    encryption: boolean;
    singleLogout: boolean;
    idpInitiated: boolean;
  };
  entityIdPattern: string | null;
  acsUrlPattern: string | null;
  launchPath: string | null;
  adminNotes: string;
  groupsAttribute: string | null;
  sources: string[];
  confidence: 'confirmed' | 'partial' | 'unconfirmed';
  attributes: ConnectorAttribute[];
}

export interface AttributeMapping {
  spName: string;
  source: string | null;
  constant: string | null;
  enabled: boolean;
  required: boolean;
  multiValued: boolean;
  editable: boolean;
}

export interface Application {
  id: string;
  name: string;
  connectorId: string;
  supportedFunctionality: Functionality[];
  spEntityId: string;
  acsUrls: string[];
  nameIdFormat: string;
  nameIdSource: string;
  signAssertion: boolean;
  signResponse: boolean;
  active: boolean;
  attributes: AttributeMapping[];
  signatureAlgorithm: 'rsa-sha256' | 'rsa-sha512';
  spSigningCertificates: string[];
  requireSignedRequests: boolean;
  encryptionCertificate: string | null;
  defaultRelayState: string | null;
  idpInitiatedAllowed: boolean;
  idpInitiatedRelayStateFromCaller: boolean;
  singleLogoutUrl: string | null;
  groupsAttribute: { spName: string; filter: string | null } | null;
  launchUrl: string | null;
  portalVisible: boolean;
  portalLabel: string | null;
  portalColor: string | null;
  /** How many authorised users would fail JIT; `fresh` false when the catalog could not confirm its copy of the directory is current. */
  jitReadiness?: { usersLacking: number; authorisedUsers: number; fresh: boolean };
  /** The list's counts, by their newer names (pending-api.ts). */
  authorisedUsers?: number;
  jitNotReady?: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface Lack {
  spName: string | null;
  kind: 'attribute' | 'nameId';
  source: string;
}

export interface ReadinessReport extends Page<{ userId: string; username: string; email: string; missing: Lack[] }> {
  applicationId: string;
  authorisedUsers: number;
}

export interface AssertionPreview {
  applicationId: string;
  userId: string;
  wouldIssue: boolean;
  blockers: Array<{ reason: string; message: string }>;
  nameId: { format: string; value: string | null };
  attributes: Array<{ name: string; values: string[]; nameFormat?: string }>;
  assertionXml: string | null;
}

export interface Group {
  id: string;
  name: string;
  version: number;
  createdAt: string;
}

export interface UserSummary {
  id: string;
  username: string;
  email: string;
  firstname: string | null;
  lastname: string | null;
  state: string;
}

/** GET /api/activity (the console service's own store of sign-ins, refusals and admin changes). */
export interface ActivityItem {
  id: string;
  kind: 'sign-in' | 'refusal' | 'admin-change';
  occurredAt: string;
  userId: string | null;
  applicationId: string | null;
  reason: string | null;
  detail: string | null;
  actor: unknown;
  subject: string;
  summary: string;
}

/** The counts a list shows, from the newer fields when the catalog sends them. */
export function readinessCounts(app: Application): { authorised: number | null; notReady: number | null; fresh: boolean } {
  return {
    authorised: app.authorisedUsers ?? app.jitReadiness?.authorisedUsers ?? null,
    notReady: app.jitNotReady ?? app.jitReadiness?.usersLacking ?? null,
    fresh: app.jitReadiness?.fresh ?? true,
  };
}
