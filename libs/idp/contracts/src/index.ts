import { z } from 'zod';
import { defineEvent, defineStream } from '@jit/messaging';

/** Why the IdP refused to issue an assertion. Typed so that dashboards can count them. */
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
] as const;

const audit = {
  organizationId: z.uuid(),
  applicationId: z.string(),
  occurredAt: z.iso.datetime(),
};

export const IdpEvents = {
  /** An assertion went out: attribute names only, never their values. */
  assertionIssued: defineEvent(
    'idp.sso.issued.v1',
    z.object({ ...audit, userId: z.uuid(), attributeNames: z.array(z.string()), inResponseTo: z.string().nullable() }),
  ),
  ssoRefused: defineEvent(
    'idp.sso.refused.v1',
    z.object({ ...audit, userId: z.uuid().nullable(), reason: z.enum(REFUSAL_REASONS), detail: z.string() }),
  ),
} as const;

export const IDP_STREAM = defineStream('IDP', ['idp.>'], Object.values(IdpEvents));
