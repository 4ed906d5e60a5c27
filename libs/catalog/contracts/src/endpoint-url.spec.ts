import assert from 'node:assert/strict';
import { acsUrlProblem, renderableUrl } from './endpoint-url';

describe('acsUrlProblem', () => {
  it('accepts https anywhere and http on loopback names', () => {
    assert.equal(acsUrlProblem('https://acme.slack.com/sso/saml'), null);
    assert.equal(acsUrlProblem('https://acme.my.salesforce.com?so=00D'), null);
    assert.equal(acsUrlProblem('http://localhost:4100/saml/acs'), null);
    assert.equal(acsUrlProblem('http://127.0.0.1:4100/saml/acs'), null);
  });

  it('refuses script and data URLs in any letter case', () => {
    assert.equal(acsUrlProblem('javascript:alert(1)'), 'must use https, not javascript');
    assert.equal(acsUrlProblem('JaVaScRiPt:alert(1)'), 'must use https, not javascript');
    assert.equal(acsUrlProblem('data:text/html,<script>x</script>'), 'must use https, not data');
  });

  it('refuses plain http off loopback, credentials, fragments and relative URLs', () => {
    assert.match(acsUrlProblem('http://sp.example.com/acs') ?? '', /must use https/);
    assert.equal(acsUrlProblem('https://user:pw@sp.example.com/acs'), 'must not contain a user name or password');
    assert.equal(acsUrlProblem('https://sp.example.com/acs#x'), 'must not contain a fragment (#)');
    assert.equal(acsUrlProblem('https://sp.example.com/acs#'), 'must not contain a fragment (#)');
    assert.equal(acsUrlProblem('/acs'), 'is not an absolute URL');
    assert.match(acsUrlProblem('http://localhost.evil.com/acs') ?? '', /must use https/);
    assert.equal(acsUrlProblem('https://sp.example.com/a"b'), 'must not contain spaces, quotes, backslashes or angle brackets');
  });
});

describe('renderableUrl: the IdP re-checks with the same rule', () => {
  it('says yes exactly where acsUrlProblem finds nothing', () => {
    for (const url of [
      'https://sp.example.com/acs',
      'http://localhost:4100/saml/acs',
      'javascript:alert(1)',
      'https://user@sp.example.com/acs',
      'https://sp.example.com/acs#x',
      'http://sp.example.com/acs',
      'https://sp.example.com/a<b',
    ]) {
      assert.equal(renderableUrl(url), acsUrlProblem(url) === null, url);
    }
  });
});
