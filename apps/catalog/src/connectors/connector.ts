import { z } from 'zod';
import { NameIdFormat } from '@jit/catalog-contracts';
import { STANDARD_USER_ATTRIBUTES } from '@jit/directory-contracts';
import data from './connectors.data.json';

export const SUPPORTED_FUNCTIONALITY = ['SSO', 'JIT Provisioning', 'SLO'] as const;

export const GENERIC_CONNECTOR_ID = 'saml2';

/** The ids tools and older clients already use: they must stay in the catalog. */
export const REQUIRED_CONNECTOR_IDS = ['saml2', 'demo-sp', 'slack', 'salesforce'] as const;

/** `{accountId}`-style placeholders in a connector's example constant: the admin must fill them in. */
export const PLACEHOLDER = /\{[A-Za-z][A-Za-z0-9_-]*\}/g;

const ConnectorAttribute = z
  .strictObject({
    spName: z.string().min(1),
    // The data file names standard attributes only: a custom attribute is each organisation's own.
    source: z.enum(STANDARD_USER_ATTRIBUTES).optional(),
    constant: z.string().min(1).optional(),
    required: z.boolean(),
    enabled: z.boolean().default(true),
    /** The SP needs every value as its own AttributeValue; the admin cannot switch this off. */
    multiValued: z.boolean().default(false),
    notes: z.string().optional(),
  })
  .refine((a) => (a.source === undefined) !== (a.constant === undefined), 'exactly one of source or constant')
  .refine((a) => a.enabled || !a.required, 'a required attribute is enabled by default');

/** What the SP insists on, checked each time an application of the connector is saved. */
const ConnectorRules = z.strictObject({
  /** Which signatures the SP accepts: `exactly-one` = the Response or the Assertion, never both. */
  signatures: z.enum(['any', 'response', 'assertion', 'exactly-one']).default('any'),
  /** False when the SP cannot take encrypted assertions. */
  encryption: z.boolean().default(true),
  /** False when the SP has no single logout. */
  singleLogout: z.boolean().default(true),
  /** False when the SP refuses a Response it did not ask for (IdP-initiated sign-in): new applications start with it off. */
  idpInitiated: z.boolean().default(true),
});
export type ConnectorRules = z.infer<typeof ConnectorRules>;

const DEFAULT_RULES: ConnectorRules = { signatures: 'any', encryption: true, singleLogout: true, idpInitiated: true };

const Connector = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9-]+$/),
    name: z.string().min(1),
    description: z.string().min(1),
    /** Does the SP create the account at first sign-in? null: not established by the sources. */
    jit: z.boolean().nullable(),
    supportedFunctionality: z.array(z.enum(SUPPORTED_FUNCTIONALITY)).min(1),
    nameIdFormat: NameIdFormat,
    nameIdSource: z.enum(STANDARD_USER_ATTRIBUTES),
    /** The default: which of Response and Assertion are signed. */
    signing: z.enum(['response', 'assertion', 'both']),
    rules: ConnectorRules.default(DEFAULT_RULES),
    entityIdPattern: z.string().nullable(),
    acsUrlPattern: z.string().nullable(),
    /**
     * The SP's own sign-in page, relative to its ACS URL, `{applicationId}` standing for the new
     * application's id: a new application's launchUrl (the portal's link) when the body gives none.
     */
    launchPath: z.string().startsWith('/').nullable().default(null),
    adminNotes: z.string(),
    attributes: z.array(ConnectorAttribute),
    /** The SP attribute name the SP reads group names from, suggested (not switched on) for new applications. */
    groupsAttribute: z.string().min(1).nullable(),
    sources: z.array(z.string().min(1)),
    confidence: z.enum(['confirmed', 'partial', 'unconfirmed']),
  })
  .superRefine((c, ctx) => {
    const problem = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (c.supportedFunctionality.includes('JIT Provisioning') !== (c.jit === true)) {
      problem(['supportedFunctionality'], 'lists "JIT Provisioning" exactly when jit is true');
    }
    if (!c.supportedFunctionality.includes('SSO')) problem(['supportedFunctionality'], 'every connector supports SSO');
    const names = c.attributes.map((a) => a.spName);
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) problem(['attributes', i, 'spName'], `"${name}" appears twice`);
    });
    if (c.groupsAttribute !== null && names.includes(c.groupsAttribute)) {
      problem(['groupsAttribute'], 'is also an attribute mapping');
    }
    if (signingProblem(c.rules, c.signing !== 'assertion', c.signing !== 'response')) {
      problem(['signing'], `breaks the connector's own rule "${c.rules.signatures}"`);
    }
    if (c.id !== GENERIC_CONNECTOR_ID && c.sources.length === 0) problem(['sources'], 'a pre-built connector cites its sources');
  });
export type Connector = z.infer<typeof Connector>;

const Catalog = z.array(Connector).superRefine((list, ctx) => {
  const ids = list.map((c) => c.id);
  ids.forEach((id, i) => {
    if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `"${id}" appears twice` });
  });
  for (const id of REQUIRED_CONNECTOR_IDS) {
    if (!ids.includes(id)) ctx.addIssue({ code: 'custom', path: [], message: `connector "${id}" is missing` });
  }
});

/** The catalog is data checked at start: a broken entry stops the service instead of misleading admins. */
export const CONNECTORS: readonly Connector[] = Catalog.parse(data.connectors);

export function parseConnectors(value: unknown): Connector[] {
  return Catalog.parse(value);
}

export function findConnector(id: string): Connector | undefined {
  return CONNECTORS.find((c) => c.id === id);
}

/** Why a choice of signatures breaks the connector's rule, or null. */
export function signingProblem(rules: ConnectorRules, signResponse: boolean, signAssertion: boolean): string | null {
  switch (rules.signatures) {
    case 'any':
      return null;
    case 'response':
      return signResponse ? null : 'this SP requires a signed Response';
    case 'assertion':
      return signAssertion ? null : 'this SP requires a signed Assertion';
    case 'exactly-one':
      return signResponse !== signAssertion ? null : 'this SP wants exactly one signature: sign the Response or the Assertion, not both';
  }
}

/** How a connector looks to API callers (`GET /v1/connectors`). */
export const ConnectorView = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    supportedFunctionality: z.array(z.enum(SUPPORTED_FUNCTIONALITY)),
    nameIdFormat: NameIdFormat,
    nameIdSource: z.enum(STANDARD_USER_ATTRIBUTES),
    signing: z.enum(['response', 'assertion', 'both']).meta({ description: 'The default: which of Response and Assertion are signed' }),
    rules: z.object({
      signatures: z.enum(['any', 'response', 'assertion', 'exactly-one']),
      encryption: z.boolean(),
      singleLogout: z.boolean(),
      idpInitiated: z.boolean(),
    }),
    entityIdPattern: z.string().nullable(),
    acsUrlPattern: z.string().nullable(),
    launchPath: z.string().nullable(),
    adminNotes: z.string(),
    groupsAttribute: z.string().nullable(),
    sources: z.array(z.string()),
    confidence: z.enum(['confirmed', 'partial', 'unconfirmed']),
    attributes: z.array(
      z.object({
        spName: z.string(),
        source: z.string().optional(),
        constant: z.string().optional(),
        enabled: z.boolean(),
        required: z.boolean(),
        multiValued: z.boolean(),
        editable: z.boolean().meta({ description: "False for a pre-built connector's rows: their SP names are fixed" }),
        notes: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'ConnectorView' });
export type ConnectorView = z.infer<typeof ConnectorView>;

/** How a connector looks to API callers: a pre-built one's attribute names are fixed (`editable: false`). */
export function connectorView(c: Connector): ConnectorView {
  const prebuilt = c.id !== GENERIC_CONNECTOR_ID;
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    supportedFunctionality: c.supportedFunctionality,
    nameIdFormat: c.nameIdFormat,
    nameIdSource: c.nameIdSource,
    signing: c.signing,
    rules: c.rules,
    entityIdPattern: c.entityIdPattern,
    acsUrlPattern: c.acsUrlPattern,
    launchPath: c.launchPath,
    adminNotes: c.adminNotes,
    groupsAttribute: c.groupsAttribute,
    sources: c.sources,
    confidence: c.confidence,
    attributes: c.attributes.map((a) => ({
      spName: a.spName,
      ...(a.source !== undefined ? { source: a.source } : {}),
      ...(a.constant !== undefined ? { constant: a.constant } : {}),
      enabled: a.enabled,
      required: a.required,
      multiValued: a.multiValued,
      editable: !prebuilt,
      ...(a.notes !== undefined ? { notes: a.notes } : {}),
    })),
  };
}
