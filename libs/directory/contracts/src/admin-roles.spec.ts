import assert from 'node:assert/strict';
import { ADMIN_PERMISSIONS, ROLE_PERMISSIONS, grantsOf } from './admin-roles';

describe('admin roles and their permissions', () => {
  it('gives an administrator everything, a help-desk person users, groups and credentials, a read-only person reading', () => {
    assert.deepEqual(ROLE_PERMISSIONS.administrator, ADMIN_PERMISSIONS);
    assert.deepEqual(ROLE_PERMISSIONS['help-desk'], ['read', 'users:write', 'groups:write', 'credentials:manage']);
    assert.deepEqual(ROLE_PERMISSIONS['read-only'], ['read']);
  });

  it('tells the guard whether a role holds every permission (a route that declares none and changes something needs them all)', () => {
    assert.deepEqual(
      (['administrator', 'help-desk', 'read-only'] as const).map((role) => grantsOf(role).all),
      [true, false, false],
    );
  });
});
