import assert from 'node:assert/strict';
import { MAX_CREDENTIAL_JSON, parseCredentialJson, passkeyName, passkeyNameProblem, webAuthnRelyingParty } from './passkey-rules';

describe('passkey rules', () => {
  it('the relying party is the public URL: its host name as rpID, its origin the only origin', () => {
    assert.deepEqual(webAuthnRelyingParty('https://idp.example.com/'), {
      id: 'idp.example.com',
      origin: 'https://idp.example.com',
      name: 'idp.example.com',
    });
    assert.deepEqual(webAuthnRelyingParty('http://localhost:4000'), {
      id: 'localhost',
      origin: 'http://localhost:4000',
      name: 'localhost',
    });
  });

  it('a posted credential is read only in the shape the browser library makes', () => {
    const good = { id: 'abc_-1', rawId: 'abc_-1', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AA' } };
    assert.deepEqual(parseCredentialJson(JSON.stringify(good), 'authenticatorData'), { clientExtensionResults: {}, ...good });
    assert.equal(parseCredentialJson(JSON.stringify(good), 'attestationObject'), null);
    for (const bad of [
      undefined,
      '',
      'not json',
      'null',
      '"a string"',
      JSON.stringify({ ...good, type: 'password' }),
      JSON.stringify({ ...good, id: 'has space' }),
      JSON.stringify({ ...good, rawId: 7 }),
      JSON.stringify({ ...good, response: { authenticatorData: 'AA' } }),
      JSON.stringify({ ...good, response: 'x' }),
      JSON.stringify({ ...good, pad: 'x'.repeat(MAX_CREDENTIAL_JSON) }),
    ])
      assert.equal(parseCredentialJson(bad, 'authenticatorData'), null, String(bad).slice(0, 60));
  });

  it('names: trimmed, at most 64 characters, no control characters; "Passkey" when none is usable', () => {
    assert.equal(passkeyName('  Work laptop  '), 'Work laptop');
    assert.equal(passkeyName(''), 'Passkey');
    assert.equal(passkeyName(undefined), 'Passkey');
    assert.equal(passkeyName('a\u0000b'), 'Passkey');
    assert.equal(passkeyNameProblem('x'.repeat(65)), 'Use at most 64 characters.');
    assert.equal(passkeyNameProblem('line\nbreak'), 'Use letters, digits and spaces only.');
    assert.equal(passkeyNameProblem('Clé de Zoë'), null);
  });
});
