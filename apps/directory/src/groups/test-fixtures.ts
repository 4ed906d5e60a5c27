// Test helpers only (group specs): make users and groups through the admin API, asserting each 201.
import assert from 'node:assert/strict';
import type { adminClient } from '@jit/testing';

type AdminCall = ReturnType<typeof adminClient>;

export function directoryMakers(call: AdminCall, defaultKey: string) {
  const created = async (path: string, body: unknown, key: string): Promise<string> => {
    const res = await call('POST', path, body, key);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return String(res.body.id);
  };
  return {
    newUser: (username: string, key = defaultKey) => created('/v1/users', { username, email: `${username}@example.com` }, key),
    newGroup: (name: string, key = defaultKey) => created('/v1/user-groups', { name }, key),
  };
}
