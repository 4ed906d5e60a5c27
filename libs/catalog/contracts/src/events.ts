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
});
export type AttributeMapping = z.infer<typeof AttributeMapping>;

/** What the IdP needs to issue assertions for an application. */
export const ApplicationSnapshot = z.object({
  name: z.string(),
  connectorId: z.string(),
  spEntityId: z.string(),
  acsUrls: z.array(z.string()).min(1),
  nameIdFormat: z.string(),
  nameIdSource: z.string(),
  signAssertion: z.boolean(),
  signResponse: z.boolean(),
  active: z.boolean(),
  attributes: z.array(AttributeMapping),
});
export type ApplicationSnapshot = z.infer<typeof ApplicationSnapshot>;

const applicationEvent = z.object({ ...entity, applicationId: z.uuid(), application: ApplicationSnapshot });

export const CatalogEvents = {
  applicationCreated: defineEvent('catalog.application.created.v1', applicationEvent),
  applicationUpdated: defineEvent('catalog.application.updated.v1', applicationEvent),
  applicationDeleted: defineEvent(
    'catalog.application.deleted.v1',
    z.object({ ...entity, applicationId: z.uuid() }),
  ),
  /** Binding versions count per (application, group) pair: bind and unbind share one sequence. */
  groupBound: defineEvent(
    'catalog.application.group-bound.v1',
    z.object({ ...entity, applicationId: z.uuid(), groupId: z.uuid() }),
  ),
  groupUnbound: defineEvent(
    'catalog.application.group-unbound.v1',
    z.object({ ...entity, applicationId: z.uuid(), groupId: z.uuid() }),
  ),
} as const;

export const CATALOG_STREAM = defineStream('CATALOG', ['catalog.>'], Object.values(CatalogEvents));
