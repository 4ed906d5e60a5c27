import { ApiFailure, type ApiError } from '../../api/clients';

/**
 * The console's own activity store (GET /api/activity): not a service API, so it has no generated
 * client. Newest first, keyset paged on (occurredAt, id): `nextBefore` is the cursor of the next page.
 */

export const ACTIVITY_KINDS = ['sign-in', 'refusal', 'admin-change'] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export const KIND_LABEL: Record<ActivityKind, string> = { 'sign-in': 'Sign-in', refusal: 'Refusal', 'admin-change': 'Admin change' };

/**
 * The IdP's typed refusal reasons (REFUSAL_REASONS in libs/idp/contracts), copied because the SPA
 * cannot import the node libraries; `missing_required_attribute` stands for every
 * `missing_required_attribute:<name>`.
 */
export const REFUSAL_REASONS = [
  'app_not_found',
  'app_inactive',
  'app_not_authorized',
  'user_not_active',
  'acs_not_registered',
  'unknown_issuer',
  'unsupported_binding',
  'malformed_request',
  'stale_request',
  'wrong_destination',
  'stale_read_model',
  'unsigned_request_rejected',
  'bad_request_signature',
  'invalid_name_id_policy',
  'no_passive',
  'idp_initiated_disabled',
  'relay_state_too_long',
  'request_replayed',
  'user_not_found',
  'slo_not_configured',
  'subject_mismatch',
  'slo_not_authenticated',
  'database_unavailable',
  'directory_unavailable',
  'missing_required_attribute',
] as const;

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
