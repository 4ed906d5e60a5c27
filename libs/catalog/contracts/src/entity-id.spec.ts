import assert from 'node:assert/strict';
import { MAX_ENTITY_ID_CHARS, SpEntityId, entityIdProblem } from './entity-id';

describe('entityIdProblem: an SP entity ID is a URI reference of at most 1024 characters, without whitespace', () => {
  it('accepts URLs and URNs, up to exactly 1024 characters', () => {
    const base = 'https://sp.example.com/';
    for (const id of [
      'https://sp.example.com/saml/metadata',
      'urn:amazon:webservices',
      'http://localhost:4100/saml/metadata',
      'urn:oasis:names:tc:SAML:2.0:entity',
      'https://sp.example.com/saml?tenant=a%20b',
      // What Box, Dropbox, Zoom and Google Workspace expect (see the connector catalog).
      'box.net',
      'Dropbox',
      'acme.zoom.us',
      'google.com',
      `${base}${'a'.repeat(MAX_ENTITY_ID_CHARS - base.length)}`,
      // 1024 characters, some outside the BMP: characters count, not UTF-16 units.
      `${base}${'😀'.repeat(MAX_ENTITY_ID_CHARS - base.length)}`,
    ]) {
      assert.equal(entityIdProblem(id), null, id.slice(0, 60));
    }
  });

  it('refuses what an SP could not match byte for byte, saying what to do', () => {
    const cases: [string, RegExp][] = [
      ['', /must not be empty/],
      ['my app', /whitespace or control characters \(U\+0020 at character 3\)/],
      ['urn:', /has nothing after "urn:"/],
      ['https://sp.example.com/saml metadata', /whitespace or control characters \(U\+0020 at character 28\)/],
      ['https://sp.example.com/\tx', /U\+0009/],
      ['https://sp.example.com/\nx', /U\+000A/],
      ['https://sp.example.com/\u0000', /U\+0000/],
      ['https://sp.example.com/\u007f', /U\+007F/],
      ['https://sp.example.com/\u0085', /U\+0085/],
      ['https://sp.example.com/\u00a0', /U\+00A0/],
      ['https://sp.example.com/\u2028', /U\+2028/],
      ['https://sp.example.com/\ud800', /U\+D800/],
      ['https://sp.example.com/\uffff', /U\+FFFF/],
      [`https://sp.example.com/${'a'.repeat(MAX_ENTITY_ID_CHARS)}`, /at most 1024 characters \(SAML core 8.3.6\), this one has 1047/],
    ];
    for (const [id, reason] of cases) assert.match(entityIdProblem(id) ?? 'accepted', reason, JSON.stringify(id.slice(0, 60)));
  });

  it('SpEntityId trims surrounding whitespace, then applies the rule', () => {
    assert.equal(SpEntityId.parse('  https://sp.example.com/saml  '), 'https://sp.example.com/saml');
    assert.equal(SpEntityId.parse(' box.net '), 'box.net');
    const refused = SpEntityId.safeParse('sp example');
    assert.equal(refused.success, false);
    assert.match(refused.error?.issues[0]?.message ?? '', /whitespace/);
    assert.equal(SpEntityId.safeParse('   ').error?.issues[0]?.message, 'must not be empty');
  });
});
