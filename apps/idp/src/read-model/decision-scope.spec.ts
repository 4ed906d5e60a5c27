import assert from 'node:assert/strict';
import type { z } from 'zod';
import { CATALOG_STREAM } from '@jit/catalog-contracts';
import { DIRECTORY_STREAM } from '@jit/directory-contracts';
import { IDP_STREAM } from '@jit/idp-contracts';
import { eventSubject, type EventContract } from '@jit/messaging';
import { DECISION_DEPENDS_ON, IDP_CONSUMES, NOT_DECISIVE, decisionScope } from './consumed-streams';

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
    const filters = filtersOf(decisionScope({ person: { userId: U, organizationId: O }, applicationId: X }));
    const ours = { userId: U, organizationId: O, applicationId: X };
    const theirs = { ...OTHER, applicationId: '0190a000-0000-7000-8000-0000000000c2' };
    for (const event of Object.values(DECISION_DEPENDS_ON).flat()) {
      const subject = subjectOf(event, ours);
      assert.ok(
        filters.some((f) => matches(f, subject)),
        `${subject} is in the scope`,
      );
      assert.ok(!filters.some((f) => matches(f, subjectOf(event, theirs))), `${event.subject} about others is not`);
    }
  });

  it("leaves out another organisation's import: users created, memberships added", () => {
    const filters = filtersOf(decisionScope({ person: { userId: U, organizationId: O }, applicationId: X }));
    for (const event of [...DECISION_DEPENDS_ON.person, ...NOT_DECISIVE.keys()]) {
      const subject = subjectOf(event, OTHER);
      assert.ok(!filters.some((f) => matches(f, subject)), subject);
    }
  });

  it('waits for no person before one is known, and for every stream whole for an id that cannot be ours', () => {
    assert.deepEqual(decisionScope({ applicationId: X })[DIRECTORY_STREAM.name], []);
    assert.deepEqual(decisionScope({ person: { userId: U, organizationId: O } })[CATALOG_STREAM.name], []);
    assert.deepEqual(decisionScope({ applicationId: 'a.b' }), {});
    assert.deepEqual(decisionScope({ applicationId: '>' }), {});
  });

  it("finds every application of the organisation for the portal's tiles", () => {
    const filters = decisionScope({ person: { userId: U, organizationId: O }, applicationsOf: O })[CATALOG_STREAM.name];
    for (const event of DECISION_DEPENDS_ON.application) {
      assert.ok(
        filters.some((f) => matches(f, subjectOf(event, { organizationId: O, applicationId: X }))),
        event.subject,
      );
      assert.ok(!filters.some((f) => matches(f, subjectOf(event, { organizationId: OTHER.organizationId, applicationId: X }))));
    }
  });
});
