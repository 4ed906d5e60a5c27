import { z } from 'zod';
import data from './connectors.data.json';

export const SUPPORTED_FUNCTIONALITY = ['SSO', 'JIT Provisioning', 'SLO'] as const;

const ConnectorAttribute = z
  .strictObject({
    spName: z.string().min(1),
    source: z.string().optional(),
    constant: z.string().optional(),
    required: z.boolean(),
    enabled: z.boolean().default(true),
  })
  .refine((a) => (a.source === undefined) !== (a.constant === undefined), 'exactly one of source or constant');

const Connector = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string(),
  description: z.string(),
  supportedFunctionality: z.array(z.enum(SUPPORTED_FUNCTIONALITY)).min(1),
  nameIdFormat: z.string(),
  nameIdSource: z.string(),
  signing: z.enum(['response', 'assertion', 'both']),
  entityIdPattern: z.string().nullable(),
  acsUrlPattern: z.string().nullable(),
  adminNotes: z.string(),
  attributes: z.array(ConnectorAttribute),
  sources: z.array(z.string()),
  confidence: z.enum(['confirmed', 'partial', 'unconfirmed']),
});
export type Connector = z.infer<typeof Connector>;

export const GENERIC_CONNECTOR_ID = 'saml2';

/** The catalog is data checked at start: a broken entry stops the service instead of misleading admins. */
export const CONNECTORS: readonly Connector[] = z.array(Connector).parse(data.connectors);

/** How a connector's attribute looks to API callers: pre-built ones lock their SP names. */
export function connectorView(c: Connector) {
  const prebuilt = c.id !== GENERIC_CONNECTOR_ID;
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    supportedFunctionality: c.supportedFunctionality,
    nameIdFormat: c.nameIdFormat,
    nameIdSource: c.nameIdSource,
    signing: c.signing,
    entityIdPattern: c.entityIdPattern,
    acsUrlPattern: c.acsUrlPattern,
    adminNotes: c.adminNotes,
    sources: c.sources,
    confidence: c.confidence,
    attributes: c.attributes.map((a) => ({
      spName: a.spName,
      ...(a.source !== undefined ? { source: a.source } : {}),
      ...(a.constant !== undefined ? { constant: a.constant } : {}),
      enabled: a.enabled,
      required: a.required,
      editable: !prebuilt,
    })),
  };
}
