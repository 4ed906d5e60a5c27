import { CATALOG_STREAM, CatalogEvents } from '@jit/catalog-contracts';
import { DIRECTORY_STREAM, DirectoryEvents } from '@jit/directory-contracts';
import { isSubjectToken, scopeFilters, type EventContract, type FreshnessScope, type StreamContract } from '@jit/messaging';

/** The streams whose state decides a sign-in. */
export const IDP_CONSUMES = [DIRECTORY_STREAM, CATALOG_STREAM] as const;

/**
 * Events of one stream the IdP applies at once. Each handler is a versioned upsert of one row
 * (read-model.handler.ts), so any order gives the same read model (a nak'd event already comes
 * back after later ones), and ReadModelService writes those in flight together, a statement per
 * table. As many as the consumer pulls at a time: a bulk call's events go in a few statements
 * instead of one each (docs/performance.md, "Bulk membership").
 */
export const IDP_APPLY_CONCURRENCY = 256;

/**
 * Every event of the consumed streams, by what it can change in a decision for (person,
 * application, organisation) (docs/decisions/0009-scoped-freshness.md). A scoped freshness check
 * waits for the events of the classes its decision has: `person` (the person's state, admin role
 * and memberships) and `organisation` (group renames and deletions: the groups attribute names
 * the person's groups) with a person, `application` with an application, `organisationExists`
 * with an organisation whose existence it reads. `none` never changes a decision, with the
 * reason. `decision-scope.spec.ts` fails for an event classified nowhere, and for an event the
 * read model applies that `organisationExists` leaves out.
 */
export const DECISION_DEPENDS_ON = {
  person: [
    DirectoryEvents.userCreated,
    DirectoryEvents.userUpdated,
    DirectoryEvents.userStateChanged,
    DirectoryEvents.userDeleted,
    DirectoryEvents.userAdminRoleChanged,
    DirectoryEvents.membershipAdded,
    DirectoryEvents.membershipRemoved,
    // They change nothing the IdP holds (the directory refuses a locked account's password
    // itself), but they are the person's own and rare: with them, one filter finds all of
    // `directory.user.*.v1.*.<userId>`.
    DirectoryEvents.userLockedOut,
    DirectoryEvents.userUnlocked,
  ],
  // Not a group's creation: a new group has no members, a person is in it only through a
  // membership.added that comes after it in the stream, in the person's scope.
  organisation: [DirectoryEvents.groupRenamed, DirectoryEvents.groupDeleted],
  application: [
    CatalogEvents.applicationCreated,
    CatalogEvents.applicationUpdated,
    CatalogEvents.applicationDeleted,
    CatalogEvents.applicationActivated,
    CatalogEvents.applicationDeactivated,
    CatalogEvents.mappingsChanged,
    CatalogEvents.groupBound,
    CatalogEvents.groupUnbound,
  ],
  /**
   * Whether the read model knows an organisation (its sign-in link, its admin console's
   * application, its metadata): any row written for it makes it known, so every event the read
   * model applies (read-model.handler.ts), whichever the first of the organisation's turns out
   * to be. The ones it does not apply write nothing and cannot.
   */
  organisationExists: [
    DirectoryEvents.organizationCreated,
    DirectoryEvents.organizationUpdated,
    DirectoryEvents.userCreated,
    DirectoryEvents.userUpdated,
    DirectoryEvents.userStateChanged,
    DirectoryEvents.userDeleted,
    DirectoryEvents.userAdminRoleChanged,
    DirectoryEvents.groupCreated,
    DirectoryEvents.groupRenamed,
    DirectoryEvents.groupDeleted,
    DirectoryEvents.membershipAdded,
    DirectoryEvents.membershipRemoved,
    CatalogEvents.applicationCreated,
    CatalogEvents.applicationUpdated,
    CatalogEvents.applicationDeleted,
    CatalogEvents.groupBound,
    CatalogEvents.groupUnbound,
  ],
} as const satisfies Record<string, readonly EventContract[]>;

/** Events the read model does not decide from, and why. */
export const NOT_DECISIVE: ReadonlyMap<EventContract, string> = new Map<EventContract, string>([
  [DirectoryEvents.credentialsRejected, 'audit only: the directory checks passwords and lockouts at sign-in itself'],
  [DirectoryEvents.apiKeyCreated, 'API keys do not sign anybody in to an application'],
  [DirectoryEvents.apiKeyRevoked, 'API keys do not sign anybody in to an application'],
]);

/** Who and what one decision is about; a part not known yet (no person before a sign-in) is left out. */
export interface DecisionSubject {
  /** The person, with their organisation (group renames and deletions there). */
  person?: { userId: string; organizationId: string };
  /** The application the decision is for. */
  applicationId?: string;
  /** Applications it reads besides (Single Logout: the session's others, whose SLO addresses the sign-out walk follows). */
  otherApplications?: readonly string[];
  /** Every application of this organisation (the portal's tiles, an organisation's metadata). */
  applicationsOf?: string;
  /** An organisation whose existence the decision reads (its sign-in link, its metadata's console). */
  organisationExists?: string;
}

/**
 * What the read model has learnt for good, which narrows a scope further: it forgets no
 * organisation and no application id (a deletion, and a resync, leave a tombstone), so what
 * these answer now they answer after any event still on its way.
 */
export interface KnownEntities {
  knowsOrganization(organizationId: string): boolean;
  /**
   * `catalog`: a catalog application it has a row of, deleted or not; `console`: the admin console
   * of an organisation it knows (console-application.ts); null: neither yet.
   */
  applicationKind(applicationId: string): 'catalog' | 'console' | null;
}

/**
 * The subjects whose events can change a decision about `about`, for FreshnessGate.check: a
 * decision that knows no person waits for no person's events, and one about the admin console
 * (built from configuration, not a catalog application) finds none in CATALOG.
 */
export function decisionScope(about: DecisionSubject, known: KnownEntities): FreshnessScope {
  const applications = [...(about.applicationId === undefined ? [] : [about.applicationId]), ...(about.otherApplications ?? [])];
  const ids = [about.person?.userId, about.person?.organizationId, ...applications, about.applicationsOf, about.organisationExists];
  // No entity of ours has such an id (they are UUIDs); nothing narrower is proven: every stream whole.
  if (ids.some((id) => id !== undefined && !isSubjectToken(id))) return {};
  const kinds = applications.map((id) => [id, known.applicationKind(id)] as const);
  // An application id the read model has not placed yet may be the admin console of an
  // organisation whose first event is on its way: the console's id is a hash of the
  // organisation's, so no filter can name that organisation. Every stream whole.
  if (kinds.some(([, kind]) => kind === null)) return {};
  const directory: string[] = [];
  const catalog: string[] = [];
  const add = (events: readonly EventContract[], values: Record<string, string>) => {
    directory.push(...filtersIn(DIRECTORY_STREAM, events, values));
    catalog.push(...filtersIn(CATALOG_STREAM, events, values));
  };
  // Ids are UUIDs, unique across organisations: a person's and an application's filters leave the
  // organisation open, so that a wrong organisation could never hide their events.
  const { person } = about;
  if (person) {
    add(DECISION_DEPENDS_ON.person, { userId: person.userId });
    add(DECISION_DEPENDS_ON.organisation, { organizationId: person.organizationId });
  }
  // A console's view is configuration, and its organisation stays known: no event changes it.
  for (const [id, kind] of kinds) if (kind === 'catalog') add(DECISION_DEPENDS_ON.application, { applicationId: id });
  if (about.applicationsOf) add(DECISION_DEPENDS_ON.application, { organizationId: about.applicationsOf });
  // Known, it stays known; not yet, the first of its events the read model applies makes it so.
  if (about.organisationExists && !known.knowsOrganization(about.organisationExists)) {
    add(DECISION_DEPENDS_ON.organisationExists, { organizationId: about.organisationExists });
  }
  return { [DIRECTORY_STREAM.name]: [...new Set(directory)], [CATALOG_STREAM.name]: [...new Set(catalog)] };
}

/** The filters for those of `events` that `stream` carries (a class may span both streams). */
function filtersIn(stream: StreamContract, events: readonly EventContract[], values: Record<string, string>): string[] {
  const ours = events.filter((e) => stream.events.includes(e));
  return ours.length === 0 ? [] : scopeFilters(stream, ours, values);
}
