/**
 * The answers of the endpoints these screens read, under the names the screens use: each is the
 * schema the service documents in its OpenAPI document (generated into api/*.ts), so a change of
 * answer is a type error here rather than a surprise in the browser.
 */
import type { CatalogSchemas, ConsoleSchemas, DirectorySchemas, IdpSchemas } from '../../api/clients';

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

/** The AuthnContextClassRef an application's assertion carries after a second factor (`mfaAuthnContext`). */
export type MfaAuthnContext = CatalogSchemas['ApplicationView']['mfaAuthnContext'];
// The catalog's document names these: `satisfies` fails the build when it drops or renames one.
export const MFA_AUTHN_CONTEXTS = ['refeds-mfa', 'microsoft-multipleauthn'] as const satisfies readonly MfaAuthnContext[];

export const MFA_AUTHN_CONTEXT_TEXT: Record<MfaAuthnContext, { label: string; classRef: string; hint: string }> = {
  'refeds-mfa': {
    label: 'REFEDS MFA',
    classRef: 'https://refeds.org/profile/mfa',
    hint: 'The standard multi-factor class: choose it for every SP except Microsoft Entra ID.',
  },
  'microsoft-multipleauthn': {
    label: 'Microsoft multipleauthn',
    classRef: 'http://schemas.microsoft.com/claims/multipleauthn',
    hint: "For Microsoft Entra ID (a federated domain): Entra honours the IdP's MFA only with this value.",
  },
};

export type Functionality = CatalogSchemas['ConnectorView']['supportedFunctionality'][number];

export type Connector = CatalogSchemas['ConnectorView'];
export type ConnectorAttribute = Connector['attributes'][number];

/** GET /v1/applications/{id}, and a create or change (without the readiness counts). */
export type Application = CatalogSchemas['ApplicationView'];
export type AttributeMapping = Application['attributes'][number];
/** An item of a list (GET /v1/applications, a group's applications): with its readiness counts. */
export type ApplicationListItem = CatalogSchemas['ApplicationListItem'];

export interface Page<T> {
  items: T[];
  total: number;
}

export type ReadinessReport = CatalogSchemas['ReadinessReport'];
export type Lack = ReadinessReport['items'][number]['missing'][number];

export type AssertionPreview = IdpSchemas['AssertionPreview'];

export type Group = DirectorySchemas['GroupView'];

export type UserSummary = Pick<DirectorySchemas['UserView'], 'id' | 'username' | 'email' | 'firstname' | 'lastname' | 'state'>;

/** GET /api/activity (the console service's own store of sign-ins, refusals and admin changes). */
export type ActivityItem = ConsoleSchemas['ActivityItem'];

/** The counts a list shows, from the newer fields when the catalog sends them. */
export function readinessCounts(app: Application): { authorised: number | null; notReady: number | null; fresh: boolean } {
  return {
    authorised: app.authorisedUsers ?? app.jitReadiness?.authorisedUsers ?? null,
    notReady: app.jitNotReady ?? app.jitReadiness?.usersLacking ?? null,
    fresh: app.jitReadiness?.fresh ?? true,
  };
}
