import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CATALOG_STREAM, CatalogEvents } from '@jit/catalog-contracts';
import { DIRECTORY_STREAM, DirectoryEvents } from '@jit/directory-contracts';
import { consoleApplicationId, IDP_STREAM, IdpEvents } from '@jit/idp-contracts';
import type { EventContract, StreamContract } from '@jit/messaging';
import type { Activity, ActivityActor } from './activity.entity';
import type { NamesOf } from './activity-names';

/**
 * Who made a change, written by the producer beside the contract's fields. Read leniently: an
 * actor of another shape is dropped, never the event.
 */
const Actor = z
  .union([
    z.object({ kind: z.literal('person'), userId: z.uuid(), username: z.string() }),
    z.object({ kind: z.literal('api-key'), fingerprint: z.string() }),
  ])
  .optional()
  .catch(undefined);

/** The contract's schema, keeping the `actor` it would strip. */
function keepingActor(stream: StreamContract): StreamContract {
  return {
    ...stream,
    events: stream.events.map((event): EventContract => ({ ...event, schema: z.intersection(event.schema, z.object({ actor: Actor })) })),
  };
}

/** The streams the activity log is fed from. */
export const CONSOLE_CONSUMES = [keepingActor(IDP_STREAM), keepingActor(DIRECTORY_STREAM), keepingActor(CATALOG_STREAM)] as const;

export const CONSUMED_SUBJECTS = CONSOLE_CONSUMES.flatMap((s) => s.events.map((e) => e.subject));

/**
 * The id of the row an event makes: a UUID derived from where the event sits in its stream (and,
 * should the stream be recreated, its subject and time), so a redelivery inserts nothing twice.
 */
export function activityId(stream: string, sequence: number, subject: string, occurredAt: string): string {
  const bytes = createHash('sha256').update(`${stream}\n${sequence}\n${subject}\n${occurredAt}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80; // version 8: custom
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

type Row = Omit<Activity, 'id'>;
type AnyPayload = Record<string, unknown> & { organizationId: string; occurredAt: string; actor?: ActivityActor };

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** A second factor as the console's Activity names it: its kind is in the event (idp.mfa.enrolled/removed). */
function factorName(kind: unknown): string {
  return kind === 'webauthn' ? 'a passkey' : 'an authenticator app';
}

/**
 * What an event means to the log (null for an event it does not show), with a one-line summary.
 * `names`: the names of the group and API key the event names by id, where the console knows them.
 */
export function toActivity(subject: string, payload: AnyPayload, names: NamesOf = {}): Row | null {
  const base = {
    organizationId: payload.organizationId,
    occurredAt: new Date(payload.occurredAt),
    subject,
    actor: payload.actor ?? null,
    userId: str(payload.userId),
    applicationId: str(payload.applicationId),
    reason: null,
    detail: null,
  };
  const user = str(payload.userId) ?? 'an unknown person';
  switch (subject) {
    case IdpEvents.assertionIssued.subject:
      return { ...base, kind: 'sign-in', summary: `${user} signed in to ${signInTarget(payload)}` };
    case IdpEvents.ssoRefused.subject:
      return {
        ...base,
        kind: 'refusal',
        reason: str(payload.reason),
        detail: str(payload.detail),
        summary: `Sign-in of ${user} to ${signInTarget(payload)} refused: ${String(payload.reason)}`,
      };
    case IdpEvents.loggedOut.subject:
      // Not one of the log's kinds: a sign-out tells an admin nothing to act on.
      return null;
    case IdpEvents.mfaVerified.subject:
      // Part of a sign-in, which has its own row (or refusal).
      return null;
    case IdpEvents.mfaRejected.subject:
      return {
        ...base,
        kind: 'refusal',
        reason: str(payload.reason),
        summary: `Second-factor code of ${user} refused: ${String(payload.reason)}`,
      };
    case DirectoryEvents.credentialsRejected.subject:
      return {
        ...base,
        kind: 'refusal',
        reason: str(payload.reason),
        detail: [
          str(payload.username) && `username ${String(payload.username)}`,
          str(payload.sourceIp) && `from ${String(payload.sourceIp)}`,
        ]
          .filter(Boolean)
          .join(', '),
        summary: `Password check for ${String(payload.username)} refused: ${String(payload.reason)}`,
      };
    case DirectoryEvents.userLockedOut.subject:
      return {
        ...base,
        kind: 'refusal',
        reason: 'locked_out',
        detail: `${String(payload.failures)} failures, locked until ${String(payload.lockedUntil)}`,
        summary: `User ${user} locked out until ${String(payload.lockedUntil)}`,
      };
    default:
      return { ...base, kind: 'admin-change', applicationId: str(payload.applicationId), summary: adminSummary(subject, payload, names) };
  }
}

/** What a sign-in was to: a sign-in to this console carries the id the IdP derives for it, which no catalog application has. */
function signInTarget(payload: AnyPayload): string {
  return payload.applicationId === consoleApplicationId(payload.organizationId)
    ? 'the admin console'
    : `application ${String(payload.applicationId)}`;
}

/** "ada (person) updated user <id>: email" and the like. */
function adminSummary(subject: string, p: AnyPayload, names: NamesOf): string {
  const who = p.actor ? (p.actor.kind === 'person' ? p.actor.username : `API key ${p.actor.fingerprint}`) : 'The system';
  const profile = (p.user ?? {}) as { username?: string };
  const userName = profile.username ? `${profile.username} (${String(p.userId)})` : `user ${String(p.userId)}`;
  const changed = Array.isArray(p.changedAttributes) && p.changedAttributes.length > 0 ? `: ${p.changedAttributes.join(', ')}` : '';
  const app = `application ${String(p.applicationId)}`;
  const group = `group ${names.group ?? String(p.groupId)}`;
  const apiKey = `API key ${names.apiKey ?? String(p.apiKeyId)}`;
  switch (subject) {
    case DirectoryEvents.organizationCreated.subject:
      return `${who} created organisation ${String(p.name)}`;
    case DirectoryEvents.organizationUpdated.subject:
      return `${who} changed the organisation's sign-in page${Array.isArray(p.changedFields) ? `: ${p.changedFields.join(', ')}` : ''}`;
    case DirectoryEvents.userCreated.subject:
      return `${who} created ${userName}`;
    case DirectoryEvents.userUpdated.subject:
      return `${who} updated ${userName}${changed}`;
    case DirectoryEvents.userStateChanged.subject:
      return `${who} changed the state of ${userName} to ${String((p.user as { state?: string } | undefined)?.state)}`;
    case DirectoryEvents.userDeleted.subject:
      return `${who} deleted ${userName}`;
    case DirectoryEvents.userAdminRoleChanged.subject:
      return `${who} changed the admin role of ${userName} from ${str(p.previousRole) ?? 'none'} to ${str(p.role) ?? 'none'}`;
    case DirectoryEvents.groupCreated.subject:
      return `${who} created group ${String(p.name)}`;
    case DirectoryEvents.groupRenamed.subject:
      return `${who} renamed group ${String(p.previousName)} to ${String(p.name)}`;
    case DirectoryEvents.groupDeleted.subject:
      return `${who} deleted ${group}`;
    case DirectoryEvents.membershipAdded.subject:
      return `${who} added ${userName} to ${group}`;
    case DirectoryEvents.membershipRemoved.subject:
      return `${who} removed ${userName} from ${group}`;
    case DirectoryEvents.userUnlocked.subject:
      return p.cause === 'password_reset' ? `${who} reset the password of ${userName}, lifting its lockout` : `${who} unlocked ${userName}`;
    case DirectoryEvents.apiKeyCreated.subject:
      return `${who} created API key ${String(p.name)}`;
    case DirectoryEvents.apiKeyRevoked.subject:
      return `${who} revoked ${apiKey}`;
    case IdpEvents.mfaEnrolled.subject:
      return `${userName} added ${factorName(p.kind)}`;
    case IdpEvents.mfaRemoved.subject:
      return `${userName} removed ${factorName(p.kind)}`;
    case IdpEvents.mfaRenamed.subject:
      return `${userName} renamed a passkey`;
    case IdpEvents.mfaRecoveryCodesRegenerated.subject:
      return `${userName} made new recovery codes`;
    case IdpEvents.mfaReset.subject:
      return `${who} reset the second factors of ${userName} (${String(p.factorsRemoved)} removed)`;
    case IdpEvents.mfaUnlocked.subject:
      return `${who} unlocked the second step of ${userName}`;
    case IdpEvents.mfaPolicySet.subject:
      return `${who} set the MFA policy to ${String(p.policy)}`;
    case CatalogEvents.applicationCreated.subject:
      return `${who} created ${app} (${String((p.application as { name?: string } | undefined)?.name)})`;
    case CatalogEvents.applicationUpdated.subject:
      return `${who} updated ${app}`;
    case CatalogEvents.applicationDeleted.subject:
      return `${who} deleted ${app}`;
    case CatalogEvents.applicationActivated.subject:
      return `${who} activated ${app}`;
    case CatalogEvents.applicationDeactivated.subject:
      return `${who} deactivated ${app}`;
    case CatalogEvents.mappingsChanged.subject:
      return `${who} changed the attribute mappings of ${app}`;
    case CatalogEvents.groupBound.subject:
      return `${who} gave ${group} access to ${app}`;
    case CatalogEvents.groupUnbound.subject:
      return `${who} removed the access of ${group} to ${app}`;
    default:
      return `${who}: ${subject}`;
  }
}
