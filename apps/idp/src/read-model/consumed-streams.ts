import { CATALOG_STREAM, CatalogEvents } from '@jit/catalog-contracts';
import { DIRECTORY_STREAM, DirectoryEvents } from '@jit/directory-contracts';
import { isSubjectToken, scopeFilters, type EventContract, type FreshnessScope } from '@jit/messaging';

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
 * the person's groups) with a person, `application` with an application. `none` never changes a
 * decision, with the reason. `read-model.scope.spec.ts` fails for an event classified nowhere.
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
} as const satisfies Record<string, readonly EventContract[]>;

/** Events the read model does not decide from, and why. */
export const NOT_DECISIVE: ReadonlyMap<EventContract, string> = new Map<EventContract, string>([
  // A new group has no members: a person is in it only through a membership.added that comes
  // after it in the stream, in the person's scope, so waiting for that one covers it.
  [DirectoryEvents.groupCreated, 'a new group is empty: only a later membership event (in the person scope) puts anyone in it'],
  [DirectoryEvents.credentialsRejected, 'audit only: the directory checks passwords and lockouts at sign-in itself'],
  [DirectoryEvents.apiKeyCreated, 'API keys do not sign anybody in to an application'],
  [DirectoryEvents.apiKeyRevoked, 'API keys do not sign anybody in to an application'],
  [DirectoryEvents.organizationCreated, "the organisation's name, logo and colour decide nobody's access: the pages show them"],
  [DirectoryEvents.organizationUpdated, "the organisation's name, logo and colour decide nobody's access: the pages show them"],
]);

/** Who and what one decision is about; a part not known yet (no person before a sign-in) is left out. */
export interface DecisionSubject {
  /** The person, with their organisation (group renames and deletions there). */
  person?: { userId: string; organizationId: string };
  applicationId?: string;
  /** Every application of this organisation (the portal's tiles, an organisation's metadata). */
  applicationsOf?: string;
}

/**
 * The subjects whose events can change a decision about `about`, for FreshnessGate.check: a
 * decision that knows no person waits for no person's events, and one about the admin console
 * (not a catalog application) finds none in CATALOG.
 */
export function decisionScope(about: DecisionSubject): FreshnessScope {
  const ids = [about.person?.userId, about.person?.organizationId, about.applicationId, about.applicationsOf];
  // No entity of ours has such an id (they are UUIDs); nothing narrower is proven: every stream whole.
  if (ids.some((id) => id !== undefined && !isSubjectToken(id))) return {};
  // Ids are UUIDs, unique across organisations: a person's and an application's filters leave the
  // organisation open, so that a wrong organisation could never hide their events.
  const { person } = about;
  const directory = person
    ? [
        ...scopeFilters(DIRECTORY_STREAM, DECISION_DEPENDS_ON.person, { userId: person.userId }),
        ...scopeFilters(DIRECTORY_STREAM, DECISION_DEPENDS_ON.organisation, { organizationId: person.organizationId }),
      ]
    : [];
  const catalog = [
    ...(about.applicationId ? scopeFilters(CATALOG_STREAM, DECISION_DEPENDS_ON.application, { applicationId: about.applicationId }) : []),
    ...(about.applicationsOf
      ? scopeFilters(CATALOG_STREAM, DECISION_DEPENDS_ON.application, { organizationId: about.applicationsOf })
      : []),
  ];
  return { [DIRECTORY_STREAM.name]: directory, [CATALOG_STREAM.name]: catalog };
}
