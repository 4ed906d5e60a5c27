import assert from 'node:assert/strict';
import { z } from 'zod';
import {
  NO_SCOPE_VALUE,
  contractOfSubject,
  contractsByType,
  defineEvent,
  defineStream,
  eventSubject,
  scopeFilters,
  scopeMatches,
  unscopedFilters,
} from './contract';

const entity = { organizationId: z.string(), version: z.number() };
const UserCreated = defineEvent('d.user.created.v1', z.object({ ...entity, userId: z.string() }), ['organizationId', 'userId']);
const UserDeleted = defineEvent('d.user.deleted.v1', z.object({ ...entity, userId: z.string() }), ['organizationId', 'userId']);
const UserLocked = defineEvent('d.user.locked.v1', z.object({ ...entity, userId: z.string() }), ['organizationId', 'userId']);
const Added = defineEvent('d.membership.added.v1', z.object({ ...entity, userId: z.string(), groupId: z.string() }), [
  'organizationId',
  'userId',
  'groupId',
]);
const Removed = defineEvent('d.membership.removed.v1', z.object({ ...entity, userId: z.string(), groupId: z.string() }), [
  'organizationId',
  'userId',
  'groupId',
]);
const Rejected = defineEvent('d.credentials.rejected.v1', z.object({ organizationId: z.string(), userId: z.string().nullable() }), [
  'organizationId',
  'userId',
]);
const STREAM = defineStream('D', ['d.>'], [UserCreated, UserDeleted, UserLocked, Added, Removed, Rejected]);

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

describe('event scopes on the wire', () => {
  it('puts the scope fields after the type, in order, and `_` for a null one', () => {
    assert.equal(eventSubject(Added, { organizationId: 'o1', version: 1, userId: 'u1', groupId: 'g1' }), 'd.membership.added.v1.o1.u1.g1');
    assert.equal(eventSubject(Rejected, { organizationId: 'o1', userId: null }), `d.credentials.rejected.v1.o1.${NO_SCOPE_VALUE}`);
  });

  it('refuses a value that is no subject token rather than publish under another scope', () => {
    assert.throws(() => eventSubject(UserCreated, { organizationId: 'o1', version: 1, userId: 'a.b' }), /cannot be a subject token/);
    assert.throws(() => eventSubject(UserCreated, { organizationId: 'o1', version: 1, userId: '*' }), /cannot be a subject token/);
    assert.throws(() => eventSubject(UserCreated, { organizationId: { id: 1 }, version: 1, userId: 'u' }), /cannot be a subject token/);
  });

  it('refuses a contract without a scope at run time too (a caller the compiler does not see)', () => {
    const define = defineEvent as unknown as (subject: string, schema: z.ZodType, scope: string[]) => unknown;
    assert.throws(() => define('d.thing.v1', z.object({}), []), /needs a scope/);
  });

  it('finds the contract of a received subject by its type, with or without a scope (events from before scopes)', () => {
    const contracts = contractsByType(STREAM.events);
    assert.equal(contractOfSubject(contracts, 'd.membership.added.v1.o1.u1.g1'), Added);
    assert.equal(contractOfSubject(contracts, 'd.membership.added.v1'), Added);
    assert.equal(contractOfSubject(contracts, 'd.membership.added.v1.o1.u1'), undefined, 'a token short');
    assert.equal(contractOfSubject(contracts, 'd.membership.added.v2.o1.u1.g1'), undefined, 'another version');
    assert.equal(contractOfSubject(contracts, 'd.group.added.v1.o1.g1'), undefined);
  });

  it("accepts an event only on its payload's own scope", () => {
    const payload = { organizationId: 'o1', version: 1, userId: 'u1', groupId: 'g1' };
    assert.equal(scopeMatches(Added, 'd.membership.added.v1.o1.u1.g1', payload), true);
    assert.equal(scopeMatches(Added, 'd.membership.added.v1', payload), true);
    assert.equal(scopeMatches(Added, 'd.membership.added.v1.o1.u2.g1', payload), false);
  });

  it('finds the events published before scopes with one filter per type length', () => {
    assert.deepEqual(unscopedFilters(STREAM), ['d.*.*.*']);
    assert.equal(matches('d.*.*.*', 'd.user.created.v1'), true);
    assert.equal(matches('d.*.*.*', 'd.user.created.v1.o1.u1'), false);
  });
});

describe('scopeFilters', () => {
  it('merges types into one filter only where no other type of the stream would match it', () => {
    const filters = scopeFilters(STREAM, [UserCreated, UserDeleted, Added, Removed], { userId: 'u1' });
    // locked is not chosen: user.created and user.deleted stay apart, memberships merge.
    assert.deepEqual(filters.sort(), ['d.membership.*.v1.*.u1.*', 'd.user.created.v1.*.u1', 'd.user.deleted.v1.*.u1'].sort());
    const withLocked = scopeFilters(STREAM, [UserCreated, UserDeleted, UserLocked, Added, Removed], { userId: 'u1' });
    assert.deepEqual(withLocked.sort(), ['d.membership.*.v1.*.u1.*', 'd.user.*.v1.*.u1'].sort());
  });

  it('matches every chosen event about the entity and none about another one', () => {
    const filters = scopeFilters(STREAM, [UserCreated, UserDeleted, UserLocked, Added, Removed], { userId: 'u1' });
    const about = (userId: string) => [
      eventSubject(UserCreated, { organizationId: 'o1', version: 1, userId }),
      eventSubject(UserLocked, { organizationId: 'o1', version: 1, userId }),
      eventSubject(Removed, { organizationId: 'o1', version: 1, userId, groupId: 'g9' }),
    ];
    for (const subject of about('u1'))
      assert.ok(
        filters.some((f) => matches(f, subject)),
        subject,
      );
    for (const subject of about('u2')) assert.ok(!filters.some((f) => matches(f, subject)), subject);
    assert.ok(!filters.some((f) => matches(f, eventSubject(Rejected, { organizationId: 'o1', userId: 'u1' }))));
  });

  it("puts each call's own values into the shapes worked out by an earlier call", () => {
    const events = [UserCreated, UserDeleted, UserLocked, Added, Removed];
    assert.deepEqual(scopeFilters(STREAM, events, { userId: 'u1' }).sort(), ['d.membership.*.v1.*.u1.*', 'd.user.*.v1.*.u1']);
    assert.deepEqual(scopeFilters(STREAM, events, { userId: 'u2' }).sort(), ['d.membership.*.v1.*.u2.*', 'd.user.*.v1.*.u2']);
    // Another set of fields given is another shape, not the first one's.
    assert.deepEqual(scopeFilters(STREAM, events, { userId: 'u3', organizationId: 'o1' }).sort(), [
      'd.membership.*.v1.o1.u3.*',
      'd.user.*.v1.o1.u3',
    ]);
    assert.deepEqual(scopeFilters(STREAM, events, { organizationId: 'o2' }).sort(), ['d.membership.*.v1.o2.*.*', 'd.user.*.v1.o2.*']);
  });
});
