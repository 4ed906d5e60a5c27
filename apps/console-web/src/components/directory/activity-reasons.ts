/** The kinds of activity and the typed refusal reasons, apart from the fetch so that a test can read them. */

export const ACTIVITY_KINDS = ['sign-in', 'refusal', 'admin-change'] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export const KIND_LABEL: Record<ActivityKind, string> = { 'sign-in': 'Sign-in', refusal: 'Refusal', 'admin-change': 'Admin change' };

/**
 * The IdP's typed refusal reasons (REFUSAL_REASONS in libs/idp/contracts), copied because the SPA
 * cannot import the node libraries; `missing_required_attribute` stands for every
 * `missing_required_attribute:<name>`. activity-reasons.spec.ts fails when the two lists differ.
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
  'no_authn_context',
  'missing_required_attribute',
] as const;
