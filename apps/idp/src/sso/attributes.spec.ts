import assert from 'node:assert/strict';
import type { z } from 'zod';
import type { ApplicationSnapshot } from '@jit/catalog-contracts';
import type { UserProfile } from '@jit/directory-contracts';
import { assertionAttributes, directoryValue } from './attributes';
import { testApplicationSnapshot, testProfile } from '../test-fixtures';

const profile: UserProfile = testProfile({
  lastname: null,
  employeeIdentifier: 'E-1',
  customAttributes: { profileId: 'P-9' },
});

const app = (attributes: z.input<typeof ApplicationSnapshot>['attributes']): ApplicationSnapshot =>
  testApplicationSnapshot({ name: 'x', spEntityId: 'sp', acsUrls: ['https://sp/acs'], attributes });

describe('assertion attributes', () => {
  it('reads standard, custom and id sources, and constants', () => {
    assert.equal(directoryValue('u-1', profile, 'id'), 'u-1');
    assert.equal(directoryValue('u-1', profile, 'custom:profileId'), 'P-9');
    assert.equal(directoryValue('u-1', profile, 'custom:nope'), null);
    const { attributes, missing } = assertionAttributes(
      app([
        { spName: 'User.Email', source: 'email', constant: null, enabled: true, required: true },
        { spName: 'dept', source: 'department', constant: null, enabled: true, required: false },
        { spName: 'User.ProfileId', source: null, constant: 'Standard User', enabled: true, required: true },
        { spName: 'off', source: 'username', constant: null, enabled: false, required: true },
      ]),
      'u-1',
      profile,
    );
    assert.deepEqual(attributes, [
      { name: 'User.Email', values: ['ada@example.com'] },
      { name: 'dept', values: ['R&D'] },
      { name: 'User.ProfileId', values: ['Standard User'] },
    ]);
    assert.deepEqual(missing, []);
  });

  it('reports a required attribute without a value and skips an optional one', () => {
    const { attributes, missing } = assertionAttributes(
      app([
        { spName: 'last', source: 'lastname', constant: null, enabled: true, required: true },
        { spName: 'title', source: 'jobTitle', constant: null, enabled: true, required: false },
      ]),
      'u-1',
      profile,
    );
    assert.deepEqual(attributes, []);
    assert.deepEqual(missing, ['last']);
  });

  it('sends each value of a multi-valued mapping as its own value (JSON list or one per line), never split on commas', () => {
    const { attributes } = assertionAttributes(
      app([
        {
          spName: 'Role',
          source: null,
          constant: 'arn:role/a,arn:provider/p\narn:role/b,arn:provider/p',
          enabled: true,
          required: true,
          multiValued: true,
        },
        { spName: 'tags', source: 'custom:tags', constant: null, enabled: true, required: false, multiValued: true },
        { spName: 'single', source: null, constant: 'x\ny', enabled: true, required: false },
      ]),
      'u-1',
      { ...profile, customAttributes: { tags: '["a","b, c"]' } },
    );
    assert.deepEqual(attributes, [
      { name: 'Role', values: ['arn:role/a,arn:provider/p', 'arn:role/b,arn:provider/p'] },
      { name: 'tags', values: ['a', 'b, c'] },
      { name: 'single', values: ['x\ny'] },
    ]);
  });

  it('adds the groups attribute, filtered case-insensitively, and leaves it out when no group matches', () => {
    const withGroups = { ...app([]), groupsAttribute: { spName: 'memberOf', filter: 'ENG' } };
    assert.deepEqual(assertionAttributes(withGroups, 'u-1', profile, ['Admins', 'Engineering', 'Platform engineers']).attributes, [
      { name: 'memberOf', values: ['Engineering', 'Platform engineers'] },
    ]);
    assert.deepEqual(
      assertionAttributes({ ...withGroups, groupsAttribute: { spName: 'g', filter: null } }, 'u-1', profile, ['A', 'B']).attributes,
      [{ name: 'g', values: ['A', 'B'] }],
    );
    assert.deepEqual(assertionAttributes(withGroups, 'u-1', profile, ['Sales']).attributes, []);
  });
});
