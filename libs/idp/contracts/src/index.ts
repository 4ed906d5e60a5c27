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
  'unsigned_request_rejected',
  'bad_request_signature',
  'invalid_name_id_policy',
  'no_passive',
  'idp_initiated_disabled',
  'relay_state_too_long',
  'request_replayed',
  'user_not_found',
  'slo_not_configured',
  // Added later: an AuthnRequest naming another person than the one signed in; Single Logout for
  // an application without a registered signing certificate (its requests cannot be authenticated).
  'subject_mismatch',
  'slo_not_authenticated',
  // PostgreSQL (the replay cache, the signing keys) cannot be reached: 503, try again.
  'database_unavailable',
  // The directory cannot check a password (it or its database is down, or the bus does not answer).
  'directory_unavailable',
  // A RequestedAuthnContext nothing the IdP does can meet (answered NoAuthnContext to the ACS).
  'no_authn_context',
] as const;

export const MISSING_ATTRIBUTE_PREFIX = 'missing_required_attribute:';

/** A refusal's reason without its attribute name: what a table of refusal pages is keyed by. */
export type RefusalCode = (typeof REFUSAL_REASONS)[number] | 'missing_required_attribute';

/** The code of a reason: `missing_required_attribute:<name>` is one code whatever the name. */
export function refusalCode(reason: RefusalReason): RefusalCode {
  return reason.startsWith(MISSING_ATTRIBUTE_PREFIX) ? 'missing_required_attribute' : (reason as RefusalCode);
}

/** A fixed reason, or `missing_required_attribute:<SP attribute name>`. */
export const RefusalReason = z.union([z.enum(REFUSAL_REASONS), z.templateLiteral([MISSING_ATTRIBUTE_PREFIX, z.string().min(1)])]);
export type RefusalReason = z.infer<typeof RefusalReason>;

const audit = {
  organizationId: z.uuid(),
  applicationId: z.string(),
  occurredAt: z.iso.datetime(),
};

/** Why a second-factor code was refused (idp.mfa.rejected.v1). */
export const MFA_REJECTION_REASONS = [
  'wrong_code',
  'throttled',
  'locked_out',
  // A passkey's answer that did not verify (signature, challenge, origin, user verification).
  'invalid_passkey',
  // A passkey whose signature counter went backwards or stood still: possibly a cloned authenticator.
  'passkey_counter_regressed',
] as const;
export type MfaRejectionReason = (typeof MFA_REJECTION_REASONS)[number];
/** The kinds of second factor: an authenticator app's codes, or a WebAuthn passkey. */
export const MFA_FACTOR_KINDS = ['totp', 'webauthn'] as const;
/** How a second factor was given: a code, a recovery code, or a passkey (also alone, for passwordless sign-in). */
export const MFA_METHODS = ['totp', 'recovery_code', 'webauthn'] as const;

const mfaAudit = { organizationId: z.uuid(), userId: z.uuid(), occurredAt: z.iso.datetime() };

/**
 * What follows the type on the wire (docs/events.md): the organisation and the person (`_` for a
 * refusal before anybody signed in). Not the application: its id in a refusal is whatever the
 * address named, which need not be a subject token.
 */
const PERSON = ['organizationId', 'userId'] as const;

export const IdpEvents = {
  /** An assertion went out: attribute names only, never their values. */
  assertionIssued: defineEvent(
    'idp.sso.issued.v1',
    z.object({
      ...audit,
      userId: z.uuid(),
      attributeNames: z.array(z.string()),
      inResponseTo: z.string().nullable(),
      // Added after v1: which binding and options the assertion went out with.
      initiatedBy: z.enum(['sp', 'idp']).optional(),
      encrypted: z.boolean().optional(),
      // And the AuthnContextClassRef it named (what the person gave, as the request let it be said).
      authnContextClassRef: z.string().optional(),
    }),
    PERSON,
  ),
  ssoRefused: defineEvent(
    'idp.sso.refused.v1',
    z.object({ ...audit, userId: z.uuid().nullable(), reason: RefusalReason, detail: z.string() }),
    PERSON,
  ),
  /** A session ended by Single Logout. */
  loggedOut: defineEvent('idp.slo.logged-out.v1', z.object({ ...audit, userId: z.uuid(), sessionIndex: z.string() }), PERSON),
  /** A person confirmed a new second factor (by typing a code from it). */
  mfaEnrolled: defineEvent('idp.mfa.enrolled.v1', z.object({ ...mfaAudit, factorId: z.uuid(), kind: z.enum(MFA_FACTOR_KINDS) }), PERSON),
  /** A person removed one of their factors at the account page. */
  mfaRemoved: defineEvent('idp.mfa.removed.v1', z.object({ ...mfaAudit, factorId: z.uuid(), kind: z.enum(MFA_FACTOR_KINDS) }), PERSON),
  /** A person renamed one of their passkeys at the account page (the name itself is not sent). */
  mfaRenamed: defineEvent('idp.mfa.renamed.v1', z.object({ ...mfaAudit, factorId: z.uuid(), kind: z.enum(MFA_FACTOR_KINDS) }), PERSON),
  /** An administrator removed all of a person's factors and recovery codes (and ended their sessions). */
  mfaReset: defineEvent('idp.mfa.reset.v1', z.object({ ...mfaAudit, factorsRemoved: z.number().int().min(0) }), PERSON),
  /** An administrator lifted a person's second-step lockout (too many wrong codes); their factors stay. */
  mfaUnlocked: defineEvent('idp.mfa.unlocked.v1', z.object(mfaAudit), PERSON),
  /** An administrator set the organisation's MFA policy. */
  mfaPolicySet: defineEvent(
    'idp.mfa.policy-set.v1',
    z.object({ organizationId: z.uuid(), policy: z.enum(['off', 'optional', 'required']), occurredAt: z.iso.datetime() }),
    ['organizationId'],
  ),
  /** A person made a new set of recovery codes; the old set is void. */
  mfaRecoveryCodesRegenerated: defineEvent('idp.mfa.recovery-codes-regenerated.v1', z.object(mfaAudit), PERSON),
  /** A second factor was checked at sign-in and accepted. */
  mfaVerified: defineEvent(
    'idp.mfa.verified.v1',
    // passwordless (added after v1): a passkey signed the person in without a password.
    z.object({ ...mfaAudit, method: z.enum(MFA_METHODS), passwordless: z.boolean().optional() }),
    PERSON,
  ),
  /** A second-factor code was refused at sign-in. */
  mfaRejected: defineEvent('idp.mfa.rejected.v1', z.object({ ...mfaAudit, reason: z.enum(MFA_REJECTION_REASONS) }), PERSON),
} as const;

export const IDP_STREAM = defineStream('IDP', ['idp.>'], Object.values(IdpEvents));
export * from './console';
