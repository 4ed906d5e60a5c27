import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONNECTORS } from '../connectors/connector';
import { resolveMappings } from './attribute-mappings';

const connector = (id: string) => {
  const c = CONNECTORS.find((x) => x.id === id);
  if (!c) throw new Error(id);
  return c;
};

describe('resolveMappings', () => {
  it('pre-populates a pre-built connector with its JIT-required attributes, enabled', () => {
    const { mappings, problems } = resolveMappings(connector('salesforce'), null, undefined);
    assert.deepEqual(problems, []);
    const profile = mappings.find((m) => m.spName === 'User.ProfileId');
    assert.deepEqual(profile, { spName: 'User.ProfileId', source: null, constant: 'Standard User', enabled: true, required: true, multiValued: false });
    assert.equal(mappings.filter((m) => m.required).length, 4);
  });

  it('lets the admin change the source or constant and switch an attribute off, by spName', () => {
    const { mappings, problems } = resolveMappings(connector('salesforce'), null, [
      { spName: 'User.ProfileId', constant: 'Chatter Free User' },
      { spName: 'User.LastName', source: 'custom:familyName' },
      { spName: 'User.FirstName', enabled: false },
    ]);
    assert.deepEqual(problems, []);
    assert.equal(mappings.find((m) => m.spName === 'User.ProfileId')?.constant, 'Chatter Free User');
    assert.deepEqual(mappings.find((m) => m.spName === 'User.LastName'), {
      spName: 'User.LastName', source: 'custom:familyName', constant: null, enabled: true, required: true, multiValued: false,
    });
    assert.equal(mappings.find((m) => m.spName === 'User.FirstName')?.enabled, false);
  });

  it('refuses an unknown directory attribute and lists the valid names', () => {
    const { problems } = resolveMappings(connector('saml2'), null, [{ spName: 'mail', source: 'e-mail' }]);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.field, 'attributes.0.source');
    assert.match(problems[0]?.message ?? '', /unknown directory attribute "e-mail"; valid names: id, username, email, firstname/);
  });

  it('maps any SP attribute name to a directory attribute or a constant on the generic connector', () => {
    const { mappings, problems } = resolveMappings(connector('saml2'), null, [
      { spName: 'urn:oid:0.9.2342.19200300.100.1.3', source: 'email' },
      { spName: 'Role', constant: 'member' },
    ]);
    assert.deepEqual(problems, []);
    assert.deepEqual(mappings.map((m) => [m.spName, m.source, m.constant]), [
      ['urn:oid:0.9.2342.19200300.100.1.3', 'email', null],
      ['Role', null, 'member'],
    ]);
  });

  it('refuses both a source and a constant, duplicates, and a new attribute with neither', () => {
    const { problems } = resolveMappings(connector('saml2'), null, [
      { spName: 'a', source: 'email', constant: 'x' },
      { spName: 'b', source: 'email' },
      { spName: 'b', source: 'email' },
      { spName: 'c' },
    ]);
    assert.deepEqual(problems.map((p) => p.field), ['attributes.0', 'attributes.2.spName', 'attributes.3']);
  });
});
