import assert from 'node:assert/strict';
import type { UserProfile } from '@jit/directory-contracts';
import { missingForUser } from './jit-readiness';

const profile = (over: Partial<UserProfile> = {}): UserProfile => ({
  username: 'ada',
  email: 'ada@example.com',
  firstname: 'Ada',
  lastname: 'Lovelace',
  displayname: null,
  employeeIdentifier: null,
  jobTitle: null,
  department: null,
  costCenter: null,
  company: null,
  employeeType: null,
  location: null,
  phoneNumber: null,
  manager: null,
  state: 'ACTIVATED',
  customAttributes: {},
  ...over,
});

const mapping = (spName: string, source: string | null, over: { constant?: string; enabled?: boolean; required?: boolean } = {}) => ({
  spName,
  source: over.constant !== undefined ? null : source,
  constant: over.constant ?? null,
  enabled: over.enabled ?? true,
  required: over.required ?? true,
  multiValued: false,
});

describe('missingForUser', () => {
  it('names each enabled required attribute without a value, and an empty NameID source', () => {
    const app = {
      nameIdSource: 'employeeIdentifier',
      attributes: [mapping('User.LastName', 'lastname'), mapping('User.Email', 'email'), mapping('Cost', 'custom:costCode')],
    };
    assert.deepEqual(missingForUser(app, 'u1', profile({ lastname: '  ' })), [
      { spName: null, kind: 'nameId', source: 'employeeIdentifier' },
      { spName: 'User.LastName', kind: 'attribute', source: 'lastname' },
      { spName: 'Cost', kind: 'attribute', source: 'custom:costCode' },
    ]);
    assert.deepEqual(missingForUser(app, 'u1', profile({ employeeIdentifier: 'E1', customAttributes: { costCode: 'C7' } })), []);
  });

  it('ignores disabled and optional attributes and constants; the id is always there', () => {
    const app = {
      nameIdSource: 'id',
      attributes: [
        mapping('off', 'lastname', { enabled: false }),
        mapping('optional', 'lastname', { required: false }),
        mapping('Profile', null, { constant: 'Standard User' }),
      ],
    };
    assert.deepEqual(missingForUser(app, 'u1', profile({ lastname: null })), []);
  });
});
