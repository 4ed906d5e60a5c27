import { consoleApi, unwrap, type ConsoleSchemas } from '../../api/clients';
import { presentParams } from '../../api/query-params';
import type { ActivityKind } from './activity-reasons';

/**
 * The console's own activity store (GET /api/activity, console.openapi.json). Newest first, keyset
 * paged on (occurredAt, id): `nextBefore` is the cursor of the next page.
 */

export { ACTIVITY_KINDS, KIND_LABEL, REFUSAL_REASONS, type ActivityKind } from './activity-reasons';

export type ActivityItem = ConsoleSchemas['ActivityItem'];
/** Who made an admin change (the events' actor); null for sign-ins and for changes outside a request. */
export type ActivityActor = NonNullable<ActivityItem['actor']>;
export type ActivityPage = ConsoleSchemas['ActivityPage'];

export interface ActivityFilter {
  kind?: ActivityKind;
  userId?: string;
  applicationId?: string;
  reason?: string;
  /** ISO date-times. */
  from?: string;
  to?: string;
}

export async function fetchActivity(filter: ActivityFilter, before?: string | null, limit = 50): Promise<ActivityPage> {
  const query = presentParams({ ...filter, limit, before: before ?? undefined });
  return unwrap(await consoleApi.GET('/api/activity', { params: { query } }));
}
