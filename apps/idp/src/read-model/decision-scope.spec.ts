import assert from 'node:assert/strict';
import type { z } from 'zod';
import { CATALOG_STREAM, CatalogEvents } from '@jit/catalog-contracts';
import { DIRECTORY_STREAM, DirectoryEvents } from '@jit/directory-contracts';
import { IDP_STREAM } from '@jit/idp-contracts';
import { eventSubject, type EventContract } from '@jit/messaging';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import { DECISION_DEPENDS_ON, IDP_CONSUMES, NOT_DECISIVE, decisionScope, type KnownEntities } from './consumed-streams';
import { ReadModelHandler } from './read-model.handler';

/** NATS subject matching: `*` one token, `>` one or more at the end. */
function matches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

const U = '0190a000-0000-7000-8000-000000000001';
const O = '0190a000-0000-7000-8000-0000000000a1';
const X = '0190a000-0000-7000-8000-0000000000c1';
const G = '0190a000-0000-7000-8000-0000000000b1';
const OTHER = { userId: '0190a000-0000-7000-8000-000000000002', organizationId: '0190a000-0000-7000-8000-0000000000a2' };

/** The subject an event about these ids is published on (only the scope's fields are read). */
function subjectOf(contract: EventContract, ids: Record<string, string>): string {
  const payload = Object.fromEntries(contract.scope.map((field) => [field, ids[field] ?? G]));
  return eventSubject(contract, payload);
}

const filtersOf = (scope: ReturnType<typeof decisionScope>) => Object.values(scope).flat();

/** A read model that has heard of organisation O and application X, and of the console C of O. */
const C = '0190a000-0000-5000-8000-0000000000d1';
const KNOWN: KnownEntities = {
  knowsOrganization: (id) => id === O,
  applicationKind: (id) => (id === X ? 'catalog' : id === C ? 'console' : null),
};
/** The same before anything of O's reached it. */
const NOTHING_YET: KnownEntities = { knowsOrganization: () => false, applicationKind: () => null };

describe("the IdP decision's scope", () => {
  it('classifies every event of the streams it decides from: a new contract fails here until it is', () => {
    const decisive = new Set<EventContract>(Object.values(DECISION_DEPENDS_ON).flat());
    for (const stream of IDP_CONSUMES) {
      for (const event of stream.events) {
        const classified = Number(decisive.has(event)) + Number(NOT_DECISIVE.has(event));
        assert.equal(classified, 1, `${event.subject}: in DECISION_DEPENDS_ON or NOT_DECISIVE (consumed-streams.ts), once`);
      }
    }
  });

  it('gives every event of every stream a scope that starts with its organisation and names fields it has', () => {
    for (const stream of [DIRECTORY_STREAM, CATALOG_STREAM, IDP_STREAM]) {
      for (const event of stream.events) {
        assert.equal(event.scope[0], 'organizationId', `${event.subject}: a scope starting with organizationId`);
        const shape = (event.schema as z.ZodObject).shape as Record<string, unknown> | undefined;
        assert.ok(shape, `${event.subject}: an object schema`);
        for (const field of event.scope) assert.ok(field in shape, `${event.subject}: its scope field ${field} is in its schema`);
      }
    }
  });

  it("finds every decisive event about the person, their organisation's groups and the application, and none about others", () => {
    const filters = filtersOf(decisionScope({ person: { userId: U, organizationId: O }, applicationId: X }, KNOWN));
    const ours = { userId: U, organizationId: O, applicationId: X };
    const theirs = { ...OTHER, applicationId: '0190a000-0000-7000-8000-0000000000c2' };
    for (const event of [...DECISION_DEPENDS_ON.person, ...DECISION_DEPENDS_ON.organisation, ...DECISION_DEPENDS_ON.application]) {
      const subject = subjectOf(event, ours);
      assert.ok(
        filters.some((f) => matches(f, subject)),
        `${subject} is in the scope`,
      );
      assert.ok(!filters.some((f) => matches(f, subjectOf(event, theirs))), `${event.subject} about others is not`);
    }
  });

  it("leaves out another organisation's import: users created, memberships added", () => {
    const filters = filtersOf(decisionScope({ person: { userId: U, organizationId: O }, applicationId: X }, KNOWN));
    for (const event of [...DECISION_DEPENDS_ON.person, ...NOT_DECISIVE.keys()]) {
      const subject = subjectOf(event, OTHER);
      assert.ok(!filters.some((f) => matches(f, subject)), subject);
    }
  });

  it('waits for no person before one is known, and for every stream whole for an id that cannot be ours', () => {
    assert.deepEqual(decisionScope({ applicationId: X }, KNOWN)[DIRECTORY_STREAM.name], []);
    assert.deepEqual(decisionScope({ person: { userId: U, organizationId: O } }, KNOWN)[CATALOG_STREAM.name], []);
    assert.deepEqual(decisionScope({ applicationId: 'a.b' }, KNOWN), {});
    assert.deepEqual(decisionScope({ applicationId: '>' }, KNOWN), {});
    assert.deepEqual(decisionScope({ organisationExists: 'a.*' }, NOTHING_YET), {});
  });

  it("finds every application of the organisation for the portal's tiles", () => {
    const filters = decisionScope({ person: { userId: U, organizationId: O }, applicationsOf: O }, KNOWN)[CATALOG_STREAM.name];
    for (const event of DECISION_DEPENDS_ON.application) {
      assert.ok(
        filters.some((f) => matches(f, subjectOf(event, { organizationId: O, applicationId: X }))),
        event.subject,
      );
      assert.ok(!filters.some((f) => matches(f, subjectOf(event, { organizationId: OTHER.organizationId, applicationId: X }))));
    }
  });

  it('classifies as organisationExists exactly the events the read model applies: any of them can make an organisation known', () => {
    const applied = new Set<string>();
    for (const name of Object.getOwnPropertyNames(ReadModelHandler.prototype)) {
      const method = (ReadModelHandler.prototype as unknown as Record<string, unknown>)[name];
      const patterns = typeof method === 'function' ? (Reflect.getMetadata(PATTERN_METADATA, method) as string[] | undefined) : undefined;
      for (const subject of patterns ?? []) applied.add(subject);
    }
    // Its resync hooks are patterns too, of no event.
    const events = new Set(IDP_CONSUMES.flatMap((stream) => stream.events.map((e) => e.subject)));
    const appliedEvents = new Set([...applied].filter((subject) => events.has(subject)));
    assert.ok(appliedEvents.size > 0, 'the handler declares its events');
    assert.deepEqual(new Set(DECISION_DEPENDS_ON.organisationExists.map((e) => e.subject)), appliedEvents);
  });

  it("waits, for an organisation not known yet, for every event of it the read model applies, and for nobody else's", () => {
    const scope = decisionScope({ organisationExists: O }, NOTHING_YET);
    const filters = filtersOf(scope);
    assert.ok(scope[DIRECTORY_STREAM.name].length > 0 && scope[CATALOG_STREAM.name].length > 0, 'both streams can bring it');
    for (const event of DECISION_DEPENDS_ON.organisationExists) {
      const subject = subjectOf(event, { organizationId: O, userId: U, applicationId: X });
      assert.ok(
        filters.some((f) => matches(f, subject)),
        `${subject} is in the scope`,
      );
      assert.ok(!filters.some((f) => matches(f, subjectOf(event, OTHER))), `${event.subject} of another organisation is not`);
    }
    // Another organisation's import: its users, memberships, groups, and its failed sign-ins.
    for (const event of [...DECISION_DEPENDS_ON.person, ...NOT_DECISIVE.keys()]) {
      assert.ok(!filters.some((f) => matches(f, subjectOf(event, OTHER))), subjectOf(event, OTHER));
    }
  });

  it('waits for nothing about an organisation the read model knows already: it stays known', () => {
    assert.deepEqual(decisionScope({ organisationExists: O }, KNOWN), { [DIRECTORY_STREAM.name]: [], [CATALOG_STREAM.name]: [] });
  });

  it("finds an organisation's applications and, not known yet, its existence for its metadata", () => {
    const known = decisionScope({ applicationsOf: O, organisationExists: O }, KNOWN);
    assert.deepEqual(known[DIRECTORY_STREAM.name], [], 'its applications are in CATALOG, and it is known');
    const fresh = filtersOf(decisionScope({ applicationsOf: O, organisationExists: O }, NOTHING_YET));
    assert.ok(fresh.some((f) => matches(f, subjectOf(DirectoryEvents.organizationCreated, { organizationId: O }))));
    assert.ok(fresh.some((f) => matches(f, subjectOf(CatalogEvents.applicationDeactivated, { organizationId: O, applicationId: X }))));
  });

  it("finds every application a Single Logout reads, waits for none of a console's, and for every stream whole for an application it cannot place", () => {
    const Y = '0190a000-0000-7000-8000-0000000000c3';
    const known: KnownEntities = { ...KNOWN, applicationKind: (id) => (id === X || id === Y ? 'catalog' : id === C ? 'console' : null) };
    const scope = decisionScope({ applicationId: X, otherApplications: [Y, C] }, known);
    assert.deepEqual(scope[DIRECTORY_STREAM.name], []);
    for (const app of [X, Y]) {
      for (const event of DECISION_DEPENDS_ON.application) {
        const subject = subjectOf(event, { organizationId: O, applicationId: app });
        assert.ok(
          scope[CATALOG_STREAM.name].some((f) => matches(f, subject)),
          subject,
        );
      }
    }
    for (const event of DECISION_DEPENDS_ON.application) {
      assert.ok(!scope[CATALOG_STREAM.name].some((f) => matches(f, subjectOf(event, { organizationId: O, applicationId: C }))));
    }
    assert.deepEqual(decisionScope({ applicationId: C }, KNOWN), { [DIRECTORY_STREAM.name]: [], [CATALOG_STREAM.name]: [] });
    // Maybe the console of an organisation whose first event is on its way: no filter names it.
    assert.deepEqual(decisionScope({ applicationId: '0190a000-0000-7000-8000-0000000000c9' }, KNOWN), {});
    assert.deepEqual(decisionScope({ applicationId: X, otherApplications: ['0190a000-0000-7000-8000-0000000000c9'] }, KNOWN), {});
  });
});
