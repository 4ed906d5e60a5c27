/// <reference types="node" />
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { placeCustomAttributeErrors, toCreateBody, toFormValues, toPatchBody, userFormSchema } from './user-body';
import type { UserView } from './types';

const user: UserView = {
  id: '7f0c9a52-3c55-4e0e-9a3a-2d8f1b1a7c11',
  organizationId: '0b6a3f8e-9c1d-4c65-8a0e-5f3b2f9d7e21',
  username: 'jdoe',
  email: 'jdoe@example.com',
  firstname: 'Jane',
  lastname: null,
  displayname: null,
  employeeIdentifier: 'E-42',
  jobTitle: null,
  department: 'R&D',
  costCenter: null,
  company: null,
  employeeType: null,
  location: null,
  phoneNumber: null,
  manager: null,
  state: 'ACTIVATED',
  adminRole: null,
  customAttributes: { profileID: '42', team: 'blue' },
  version: 3,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
};

describe('user form values and directory bodies', () => {
  it('creates with only what was filled in: empty optional fields and empty custom attributes are left out', () => {
    const values = { ...toFormValues(undefined, ['profileID', 'team']), username: 'new', email: 'new@example.com', lastname: 'Doe' };
    values.custom[0] = { name: 'profileID', value: '7' };
    assert.deepEqual(toCreateBody(values), {
      username: 'new',
      email: 'new@example.com',
      lastname: 'Doe',
      state: 'ACTIVATED',
      customAttributes: { profileID: '7' },
    });
    assert.equal('password' in toCreateBody({ ...values, password: '' }), false);
    assert.equal(toCreateBody({ ...values, password: 'long enough' }).password, 'long enough');
  });

  it('patches every attribute: an emptied field is cleared with null, the custom map is sent whole, the state is not', () => {
    const values = toFormValues(user);
    values.firstname = '';
    values.custom = values.custom.filter((c) => c.name !== 'team');
    const body = toPatchBody(values);
    assert.equal(body.firstname, null);
    assert.equal(body.lastname, null);
    assert.equal(body.employeeIdentifier, 'E-42');
    assert.deepEqual(body.customAttributes, { profileID: '42' });
    assert.equal('state' in body, false);
    assert.equal('password' in body, false);
  });

  it('round-trips a stored user through the form unchanged', () => {
    const body = toPatchBody(toFormValues(user));
    for (const [key, value] of Object.entries(body)) {
      if (key === 'customAttributes') assert.deepEqual(value, user.customAttributes);
      else assert.equal(value, user[key as keyof UserView], key);
    }
  });

  it('refuses what the directory would refuse, before a round trip', () => {
    const ok = toFormValues(user);
    assert.equal(userFormSchema.safeParse(ok).success, true);
    const bad = (patch: object) => userFormSchema.safeParse({ ...ok, ...patch }).success;
    assert.equal(bad({ username: 'has space' }), false);
    assert.equal(bad({ email: 'not-an-email' }), false);
    assert.equal(bad({ password: 'short' }), false);
    assert.equal(bad({ custom: [{ name: '1st', value: 'x' }] }), false);
    assert.equal(
      bad({
        custom: [
          { name: 'a', value: '1' },
          { name: 'a', value: '2' },
        ],
      }),
      false,
    );
    assert.equal(bad({ phoneNumber: '1'.repeat(65) }), false);
  });

  it("places the directory's customAttributes.<name> errors beside that row's value", () => {
    const values = toFormValues(user);
    const placed = placeCustomAttributeErrors(
      [
        { field: 'customAttributes.team', message: 'too long' },
        { field: 'email', message: 'already taken' },
        { field: 'customAttributes.unknown', message: 'x' },
      ],
      values,
    );
    assert.deepEqual(placed, [
      { field: `custom.${values.custom.findIndex((c) => c.name === 'team')}.value`, message: 'too long' },
      { field: 'email', message: 'already taken' },
      { field: 'customAttributes.unknown', message: 'x' },
    ]);
  });
});
