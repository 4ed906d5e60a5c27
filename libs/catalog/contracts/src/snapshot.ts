import { z } from 'zod';
import { defineSnapshot } from '@jit/messaging';
import { CatalogEvents } from './events';

/**
 * The catalog's current state, for a consumer that finds the CATALOG stream trimmed past what it
 * applied (SECURITY.md). Each item says what the entity's latest event says, with that event's
 * version; an application or binding a complete snapshot does not list has been deleted. Paged
 * in key order: `after` is the previous page's `next`. Only for the IdP: it holds every
 * organisation.
 */
export const CatalogSnapshot = {
  applications: defineSnapshot('rpc.catalog.snapshot.applications.v1', CatalogEvents.applicationUpdated.schema.omit({ occurredAt: true })),
  /** Unbound pairs too (`active: false`): the pair's version keeps counting. */
  bindings: defineSnapshot(
    'rpc.catalog.snapshot.bindings.v1',
    CatalogEvents.groupBound.schema.omit({ occurredAt: true }).extend({ active: z.boolean() }),
  ),
} as const;
