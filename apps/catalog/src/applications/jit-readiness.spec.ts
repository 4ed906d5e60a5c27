import assert from 'node:assert/strict';
import { requiredSources, requirementsOf } from './jit-readiness';

const mapping = (spName: string, source: string | null, over: { constant?: string; enabled?: boolean; required?: boolean } = {}) => ({
  spName,
  source: over.constant !== undefined ? null : source,
  constant: over.constant ?? null,
  enabled: over.enabled ?? true,
  required: over.required ?? true,
  multiValued: false,
});

describe('requirementsOf', () => {
  it('names the NameID source, then each enabled required attribute mapped to a directory attribute, in mapping order', () => {
    const app = {
      nameIdSource: 'employeeIdentifier',
      attributes: [mapping('User.LastName', 'lastname'), mapping('User.Email', 'email'), mapping('Cost', 'custom:costCode')],
    };
    assert.deepEqual(requirementsOf(app), [
      { spName: null, kind: 'nameId', source: 'employeeIdentifier' },
      { spName: 'User.LastName', kind: 'attribute', source: 'lastname' },
      { spName: 'User.Email', kind: 'attribute', source: 'email' },
      { spName: 'Cost', kind: 'attribute', source: 'custom:costCode' },
    ]);
  });

  it('leaves out disabled and optional attributes and constants', () => {
    const app = {
      nameIdSource: 'id',
      attributes: [
        mapping('off', 'lastname', { enabled: false }),
        mapping('optional', 'lastname', { required: false }),
        mapping('Profile', null, { constant: 'Standard User' }),
      ],
    };
    assert.deepEqual(requirementsOf(app), [{ spName: null, kind: 'nameId', source: 'id' }]);
  });
});

describe('requiredSources (stored with the application, what catalog.application_audience compares users with)', () => {
  it('is each source required once, sorted, without the user id that every user has', () => {
    const app = {
      nameIdSource: 'email',
      attributes: [
        mapping('Mail', 'email'),
        mapping('Id', 'id'),
        mapping('Cost', 'custom:costCode'),
        mapping('off', 'title', { enabled: false }),
      ],
    };
    assert.deepEqual(requiredSources(app), ['custom:costCode', 'email']);
    assert.deepEqual(requiredSources({ nameIdSource: 'id', attributes: [] }), []);
  });
});
