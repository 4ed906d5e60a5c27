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
    assert.deepEqual(profile, {
      spName: 'User.ProfileId',
      source: null,
      constant: 'Standard User',
      enabled: true,
      required: true,
      multiValued: false,
    });
    assert.equal(mappings.filter((m) => m.required).length, 4);
  });

  it('lets the admin change the source or constant and switch an attribute off, by spName', () => {
    const { mappings, problems } = resolveMappings(
      connector('salesforce'),
      null,
      [
        { spName: 'User.ProfileId', constant: 'Chatter Free User' },
        { spName: 'User.LastName', source: 'custom:familyName' },
        { spName: 'User.FirstName', enabled: false },
      ],
      ['familyName'],
    );
    assert.deepEqual(problems, []);
    assert.equal(mappings.find((m) => m.spName === 'User.ProfileId')?.constant, 'Chatter Free User');
    assert.deepEqual(
      mappings.find((m) => m.spName === 'User.LastName'),
      {
        spName: 'User.LastName',
        source: 'custom:familyName',
        constant: null,
        enabled: true,
        required: true,
        multiValued: false,
      },
    );
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
    assert.deepEqual(
      mappings.map((m) => [m.spName, m.source, m.constant]),
      [
        ['urn:oid:0.9.2342.19200300.100.1.3', 'email', null],
        ['Role', null, 'member'],
      ],
    );
  });

  it('refuses both a source and a constant, duplicates, and a new attribute with neither', () => {
    const { problems } = resolveMappings(connector('saml2'), null, [
      { spName: 'a', source: 'email', constant: 'x' },
      { spName: 'b', source: 'email' },
      { spName: 'b', source: 'email' },
      { spName: 'c' },
    ]);
    assert.deepEqual(
      problems.map((p) => p.field),
      ['attributes.0', 'attributes.2.spName', 'attributes.3'],
    );
  });

  it("refuses renaming or removing a pre-built connector's attribute, or changing whether it is required, each with a reason", () => {
    const { problems } = resolveMappings(connector('salesforce'), null, [
      { spName: 'User.Email', renameTo: 'Email' },
      { spName: 'User.LastName', remove: true },
      { spName: 'User.ProfileId', required: false },
    ]);
    assert.deepEqual(
      problems.map((p) => p.field),
      ['attributes.0.renameTo', 'attributes.1.remove', 'attributes.2.required'],
    );
    assert.match(problems[0]?.message ?? '', /"User.Email" is the name the SP expects and is fixed by the connector/);
    assert.match(problems[1]?.message ?? '', /switch it off with enabled: false instead/);
  });

  it('keeps a switched-off attribute, disabled', () => {
    const { mappings, problems } = resolveMappings(connector('salesforce'), null, [{ spName: 'User.Email', enabled: false }]);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      mappings.find((m) => m.spName === 'User.Email'),
      {
        spName: 'User.Email',
        source: 'email',
        constant: null,
        enabled: false,
        required: true,
        multiValued: false,
      },
    );
  });

  it("renames and removes the admin's own attributes on the generic connector", () => {
    const current = resolveMappings(connector('saml2'), null, [
      { spName: 'mail', source: 'email' },
      { spName: 'dept', source: 'department' },
    ]).mappings;
    const { mappings, problems } = resolveMappings(connector('saml2'), current, [
      { spName: 'mail', renameTo: 'email', required: true },
      { spName: 'dept', remove: true },
    ]);
    assert.deepEqual(problems, []);
    assert.deepEqual(mappings, [{ spName: 'email', source: 'email', constant: null, enabled: true, required: true, multiValued: false }]);
    const refused = resolveMappings(connector('saml2'), current, [
      { spName: 'nope', remove: true },
      { spName: 'mail', renameTo: 'dept' },
    ]);
    assert.deepEqual(
      refused.problems.map((p) => p.field),
      ['attributes.0.spName', 'attributes.1.renameTo'],
    );
  });

  it('accepts a custom attribute only when the directory knows it, and lists the known ones', () => {
    assert.deepEqual(resolveMappings(connector('saml2'), null, [{ spName: 'cc', source: 'custom:costCode' }], ['costCode']).problems, []);
    const { problems } = resolveMappings(connector('saml2'), null, [{ spName: 'cc', source: 'custom:shoeSize' }], ['costCode']);
    assert.match(
      problems[0]?.message ?? '',
      /unknown directory attribute "custom:shoeSize"; valid names: .*manager; custom: custom:costCode$/,
    );
  });

  it("keeps the AWS Role multi-valued and refuses the connector's example ARN until it is replaced", () => {
    const aws = connector('aws-iam');
    const untouched = resolveMappings(aws, null, undefined);
    assert.equal(untouched.problems.length, 1);
    assert.match(untouched.problems[0]?.message ?? '', /replace \{accountId\}, \{roleName\}, \{providerName\} in the constant/);
    const role = 'https://aws.amazon.com/SAML/Attributes/Role';
    const arn = 'arn:aws:iam::123456789012:role/Dev,arn:aws:iam::123456789012:saml-provider/Jit';
    const own = resolveMappings(aws, null, [{ spName: role, constant: arn }]);
    assert.deepEqual(own.problems, []);
    assert.equal(own.mappings.find((m) => m.spName === role)?.multiValued, true);
    const single = resolveMappings(aws, null, [{ spName: role, constant: arn, multiValued: false }]);
    assert.deepEqual(
      single.problems.map((p) => p.field),
      ['attributes.0.multiValued'],
    );
  });
});
