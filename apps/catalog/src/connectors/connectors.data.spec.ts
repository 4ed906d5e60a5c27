import assert from 'node:assert/strict';
import { STANDARD_USER_ATTRIBUTES } from '@jit/directory-contracts';
import data from './connectors.data.json';
import { GENERIC_CONNECTOR_ID, REQUIRED_CONNECTOR_IDS, parseConnectors, signingProblem } from './connector';

const standard = STANDARD_USER_ATTRIBUTES as readonly string[];
const entry = (id: string) => {
  const found = data.connectors.find((c) => c.id === id);
  if (!found) throw new Error(id);
  return structuredClone(found);
};

describe('connectors.data.json', () => {
  const connectors = parseConnectors(data.connectors);

  it('passes its schema, with the generic connector and at least 20 pre-built ones', () => {
    assert.ok(connectors.filter((c) => c.id !== GENERIC_CONNECTOR_ID).length >= 20);
    for (const id of REQUIRED_CONNECTOR_IDS)
      assert.ok(
        connectors.some((c) => c.id === id),
        id,
      );
    assert.equal(new Set(connectors.map((c) => c.id)).size, connectors.length);
  });

  it('names only standard directory attributes as sources, the NameID source included', () => {
    for (const c of connectors) {
      assert.ok(standard.includes(c.nameIdSource), `${c.id} nameIdSource ${c.nameIdSource}`);
      for (const a of c.attributes) if (a.source !== undefined) assert.ok(standard.includes(a.source), `${c.id} ${a.spName}`);
    }
  });

  it('labels "JIT Provisioning" only where JIT is confirmed, and lists the others without it', () => {
    for (const c of connectors) assert.equal(c.supportedFunctionality.includes('JIT Provisioning'), c.jit === true, c.id);
    const aws = connectors.find((c) => c.id === 'aws-iam');
    assert.deepEqual(aws?.supportedFunctionality, ['SSO']);
    assert.ok(connectors.filter((c) => c.jit !== true).length >= 5);
  });

  it("cites sources for every pre-built connector and meets each connector's own signing rule", () => {
    for (const c of connectors) {
      if (c.id !== GENERIC_CONNECTOR_ID) assert.ok(c.sources.length > 0, c.id);
      assert.equal(signingProblem(c.rules, c.signing !== 'assertion', c.signing !== 'response'), null, c.id);
    }
  });

  it('keeps the rules the sources state: one signature for GitHub and Miro, a multi-valued AWS Role', () => {
    assert.equal(connectors.find((c) => c.id === 'github-enterprise-cloud')?.rules.signatures, 'exactly-one');
    assert.equal(connectors.find((c) => c.id === 'miro')?.rules.signatures, 'exactly-one');
    assert.equal(connectors.find((c) => c.id === 'slack')?.rules.signatures, 'response');
    const role = connectors.find((c) => c.id === 'aws-iam')?.attributes.find((a) => a.spName.endsWith('/Role'));
    assert.equal(role?.multiValued, true);
  });

  it('refuses an entry with an unknown source, a wrong JIT label, a duplicate id or attribute', () => {
    const badSource = entry('slack');
    badSource.attributes[0] = { spName: 'User.Email', source: 'mail', required: true };
    assert.throws(() => parseConnectors([...data.connectors.filter((c) => c.id !== 'slack'), badSource]), /attributes/);
    const badLabel = entry('aws-iam');
    badLabel.supportedFunctionality = ['SSO', 'JIT Provisioning'];
    assert.throws(() => parseConnectors([...data.connectors.filter((c) => c.id !== 'aws-iam'), badLabel]), /JIT Provisioning/);
    assert.throws(() => parseConnectors([...data.connectors, entry('zoom')]), /zoom\\" appears twice/);
    const twice: { id: string; attributes: object[] } = entry('zoom');
    twice.attributes.push({ ...twice.attributes[0] });
    assert.throws(() => parseConnectors([...data.connectors.filter((c) => c.id !== 'zoom'), twice]), /Email\\" appears twice/);
    assert.throws(() => parseConnectors(data.connectors.filter((c) => c.id !== 'demo-sp')), /demo-sp\\" is missing/);
  });
});
