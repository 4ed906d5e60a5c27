import { ApiFailure, type ApiError } from '../../api/clients';
import type { ActivityKind } from './activity-reasons';

/**
 * The console's own activity store (GET /api/activity): not a service API, so it has no generated
 * client. Newest first, keyset paged on (occurredAt, id): `nextBefore` is the cursor of the next page.
 */

export { ACTIVITY_KINDS, KIND_LABEL, REFUSAL_REASONS, type ActivityKind } from './activity-reasons';

export type ActivityActor = string | { kind: 'person'; userId: string; username: string } | { kind: 'api-key'; fingerprint: string };

export interface ActivityItem {
  id: string;
  kind: ActivityKind;
  occurredAt: string;
  userId: string | null;
  applicationId: string | null;
  reason: string | null;
  detail: string | null;
  /** Who made an admin change (the events' actor); null for sign-ins and for changes outside a request. */
  actor: ActivityActor | null;
  subject: string;
  summary: string;
}

export interface ActivityPage {
  items: ActivityItem[];
  nextBefore: string | null;
}

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
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) {
    if (typeof value === 'string' && value !== '') params.set(key, value);
  }
  params.set('limit', String(limit));
  if (before) params.set('before', before);
  const response = await fetch(`/api/activity?${params.toString()}`, {
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as Partial<ApiError>;
    throw new ApiFailure({
      statusCode: body.statusCode ?? response.status,
      error: body.error ?? response.statusText,
      message: body.message ?? `The console answered ${response.status}`,
    });
  }
  return (await response.json()) as ActivityPage;
}
