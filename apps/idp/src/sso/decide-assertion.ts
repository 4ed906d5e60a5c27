import { createHmac } from 'node:crypto';
import { NAMEID, type ApplicationSnapshot } from '@jit/catalog-contracts';
import type { UserProfile } from '@jit/directory-contracts';
import { MISSING_ATTRIBUTE_PREFIX, type RefusalReason } from '@jit/idp-contracts';
import type { SamlAttribute } from '@jit/saml';
import type { AuthorisationFacts } from '../read-model/read-model.service';
import { assertionAttributes, directoryValue } from './attributes';

/** What stops an assertion, for an administrator to read (a person signing in sees the refusal page instead). */
export interface Blocker {
  reason: RefusalReason;
  message: string;
  /** What the refusal page adds to its reason's wording, for the person signing in. */
  detail?: string;
}

export interface AssertionDecision {
  /** In the order they are checked; the first is the refusal a sign-in gets. Empty: issue. */
  blockers: Blocker[];
  nameId: { format: string; value: string | null };
  attributes: SamlAttribute[];
  /** The SP attributes (then `NameID`) without a value, each also a blocker. */
  missing: string[];
}

export interface DecisionInput {
  applicationId: string;
  userId: string;
  /** As the read model gives them, for this user and application. */
  facts: AuthorisationFacts;
  /** Keys the persistent NameID (IDP_NAMEID_SECRET). */
  nameIdSecret: string;
  /** The value a transient NameID takes: new for every assertion, made by the caller. */
  transientNameId: string;
  /** The NameID an AuthnRequest's Subject asks for: only that person may be asserted. */
  requestedSubject?: string;
}

/**
 * Decides whether `userId` gets an assertion for `applicationId`, with which NameID and
 * attributes, from the read model's facts alone (no I/O): SSO issues only when this finds no
 * blocker, and the admin preview shows exactly this, so the two cannot disagree.
 */
export function decideAssertion(input: DecisionInput): AssertionDecision {
  const { facts, userId } = input;
  const snapshot = facts.application?.snapshot ?? null;
  const isConsole = facts.application?.builtIn === 'console';
  const blockers: Blocker[] = [];
  // Roles not all read yet (an upgraded IdP's one-time backfill): fail closed, briefly, rather than
  // refuse an administrator for lack of a role the IdP has not read.
  if (isConsole && !facts.adminRolesKnown)
    blockers.push({ reason: 'stale_read_model', message: 'The IdP is still reading admin roles from the directory.' });
  if (!snapshot || !snapshot.active) blockers.push({ reason: 'app_inactive', message: 'The application is not active.' });
  const user = facts.user;
  if (!user) {
    blockers.push({ reason: 'user_not_found', message: 'The user does not exist.' });
  } else if (user.profile.state !== 'ACTIVATED') {
    blockers.push({ reason: 'user_not_active', message: `The user is ${user.profile.state}.` });
  }
  if (!facts.granted && isConsole) {
    // The console is for admins: their role decides, not a group binding.
    blockers.push({
      reason: 'app_not_authorized',
      message: 'The user holds no admin role in the organisation.',
      detail: 'you hold no admin role in this organisation',
    });
  } else if (!facts.granted) {
    blockers.push({ reason: 'app_not_authorized', message: 'The user is in no group bound to the application.' });
  }
  if (!snapshot || !user)
    return { blockers, nameId: { format: snapshot?.nameIdFormat ?? NAMEID.unspecified, value: null }, attributes: [], missing: [] };

  const { attributes, missing } = assertionAttributes(snapshot, userId, user.profile, facts.groupNames);
  // The one console attribute that is no directory attribute: the role the console opens its session with.
  if (isConsole && facts.adminRole !== null) attributes.push({ name: 'adminRole', values: [facts.adminRole] });
  for (const name of missing)
    blockers.push({ reason: `${MISSING_ATTRIBUTE_PREFIX}${name}`, message: `No value for the required attribute ${name}.` });
  const nameId = nameIdValue(snapshot, input, user.profile);
  if (nameId === null) {
    missing.push('NameID');
    blockers.push({ reason: `${MISSING_ATTRIBUTE_PREFIX}NameID`, message: `No value for the NameID source ${snapshot.nameIdSource}.` });
  } else if (input.requestedSubject !== undefined && input.requestedSubject !== nameId) {
    blockers.push({ reason: 'subject_mismatch', message: "The request's Subject names another person than this user." });
  }
  return { blockers, nameId: { format: snapshot.nameIdFormat, value: nameId }, attributes, missing };
}

/**
 * persistent: opaque and stable per (user, application), so two SPs cannot correlate a person;
 * transient: new for every assertion; emailAddress and unspecified: the configured directory attribute.
 */
function nameIdValue(snapshot: ApplicationSnapshot, input: DecisionInput, profile: UserProfile): string | null {
  if (snapshot.nameIdFormat === NAMEID.transient) return input.transientNameId;
  if (snapshot.nameIdFormat === NAMEID.persistent) return persistentNameId(input.nameIdSecret, input.applicationId, input.userId);
  return directoryValue(input.userId, profile, snapshot.nameIdSource);
}

/** HMAC-SHA256 of `<applicationId>:<userId>` under the NameID secret, base64url. */
export function persistentNameId(secret: string, applicationId: string, userId: string): string {
  return createHmac('sha256', secret).update(`${applicationId}:${userId}`).digest('base64url');
}
