import assert from 'node:assert/strict';
import { decodeRedirectSamlRequest, parseAuthnRequest } from './authn-request';
import { MAX_AUTHN_CONTEXT_REF_LENGTH, MAX_REQUESTED_AUTHN_CONTEXT_REFS } from './requested-authn-context';
import { SP_ENTITY_ID, nodeSamlSp } from './spec-helpers';

const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const PPT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const MFA = 'https://refeds.org/profile/mfa';
const SSO_URL = 'https://idp.example.org/saml/sso';

const request = (requestedAuthnContext: string) =>
  `<samlp:AuthnRequest xmlns:samlp="${PROTOCOL}" xmlns:saml="${ASSERTION}" ID="_r1" Version="2.0" IssueInstant="2030-01-02T03:04:05Z">` +
  `<saml:Issuer>${SP_ENTITY_ID}</saml:Issuer>${requestedAuthnContext}</samlp:AuthnRequest>`;
const classRefs = (...refs: string[]) => refs.map((r) => `<saml:AuthnContextClassRef>${r}</saml:AuthnContextClassRef>`).join('');

/** What parseAuthnRequest makes of the request's RequestedAuthnContext: the value, or the reason it is refused. */
const read = (xml: string) => {
  const parsed = parseAuthnRequest(xml);
  return parsed.requestedAuthnContextError ?? parsed.requestedAuthnContext;
};

describe('parseAuthnRequest: RequestedAuthnContext', () => {
  it("reads node-saml's default (exact PasswordProtectedTransport), and its minimum with two classes", async () => {
    const byDefault = nodeSamlSp('unused', { entryPoint: SSO_URL });
    const url = new URL(await byDefault.getAuthorizeUrlAsync('', undefined, {}));
    assert.deepEqual(parseAuthnRequest(decodeRedirectSamlRequest(url.searchParams.get('SAMLRequest')!)).requestedAuthnContext, {
      comparison: 'exact',
      classRefs: [PPT],
      declRefs: [],
    });
    const minimum = nodeSamlSp('unused', { entryPoint: SSO_URL, racComparison: 'minimum', authnContext: [MFA, PPT] });
    const second = new URL(await minimum.getAuthorizeUrlAsync('', undefined, {}));
    assert.deepEqual(parseAuthnRequest(decodeRedirectSamlRequest(second.searchParams.get('SAMLRequest')!)).requestedAuthnContext, {
      comparison: 'minimum',
      classRefs: [MFA, PPT],
      declRefs: [],
    });
    const none = nodeSamlSp('unused', { entryPoint: SSO_URL, disableRequestedAuthnContext: true });
    const third = new URL(await none.getAuthorizeUrlAsync('', undefined, {}));
    const parsed = parseAuthnRequest(decodeRedirectSamlRequest(third.searchParams.get('SAMLRequest')!));
    assert.equal(parsed.requestedAuthnContext, undefined);
    assert.equal(parsed.requestedAuthnContextError, undefined);
  });

  it('reads each Comparison, exact when absent, declarations by reference, and trims the references', () => {
    for (const comparison of ['exact', 'minimum', 'maximum', 'better'] as const) {
      assert.deepEqual(
        read(request(`<samlp:RequestedAuthnContext Comparison="${comparison}">${classRefs(MFA)}</samlp:RequestedAuthnContext>`)),
        {
          comparison,
          classRefs: [MFA],
          declRefs: [],
        },
      );
    }
    assert.deepEqual(read(request(`<samlp:RequestedAuthnContext>${classRefs(` ${PPT}\n`)}</samlp:RequestedAuthnContext>`)), {
      comparison: 'exact',
      classRefs: [PPT],
      declRefs: [],
    });
    assert.deepEqual(
      read(
        request(
          '<samlp:RequestedAuthnContext><saml:AuthnContextDeclRef>https://sp.example.com/decl</saml:AuthnContextDeclRef></samlp:RequestedAuthnContext>',
        ),
      ),
      { comparison: 'exact', classRefs: [], declRefs: ['https://sp.example.com/decl'] },
    );
  });

  it('keeps a RequestedAuthnContext it cannot read apart, with the reason, and reads the rest of the request', () => {
    const refused: [string, string][] = [
      [
        `<samlp:RequestedAuthnContext Comparison="atLeast">${classRefs(MFA)}</samlp:RequestedAuthnContext>`,
        'Comparison must be one of exact, minimum, maximum, better',
      ],
      [
        `<samlp:RequestedAuthnContext Comparison="">${classRefs(MFA)}</samlp:RequestedAuthnContext>`,
        'Comparison must be one of exact, minimum, maximum, better',
      ],
      ['<samlp:RequestedAuthnContext Comparison="minimum"/>', 'names no AuthnContextClassRef'],
      [
        `<samlp:RequestedAuthnContext>${classRefs(MFA)}</samlp:RequestedAuthnContext><samlp:RequestedAuthnContext>${classRefs(PPT)}</samlp:RequestedAuthnContext>`,
        'more than one',
      ],
      [
        `<samlp:RequestedAuthnContext>${classRefs(MFA)}<saml:AuthnContextDeclRef>https://sp.example.com/decl</saml:AuthnContextDeclRef></samlp:RequestedAuthnContext>`,
        'mixes AuthnContextClassRef and AuthnContextDeclRef',
      ],
      [`<samlp:RequestedAuthnContext>${classRefs('')}</samlp:RequestedAuthnContext>`, 'AuthnContextClassRef is empty'],
      [`<samlp:RequestedAuthnContext>${classRefs(`${MFA} ${PPT}`)}</samlp:RequestedAuthnContext>`, 'AuthnContextClassRef is not a URI'],
      [
        `<samlp:RequestedAuthnContext>${classRefs(`${MFA}<b>x</b>`)}</samlp:RequestedAuthnContext>`,
        'AuthnContextClassRef must be text only',
      ],
      [
        `<samlp:RequestedAuthnContext><samlp:AuthnContextClassRef>${MFA}</samlp:AuthnContextClassRef></samlp:RequestedAuthnContext>`,
        '<samlp:AuthnContextClassRef> is not an AuthnContextClassRef or AuthnContextDeclRef',
      ],
      [
        `<samlp:RequestedAuthnContext>${classRefs(`urn:x:${'a'.repeat(MAX_AUTHN_CONTEXT_REF_LENGTH)}`)}</samlp:RequestedAuthnContext>`,
        `AuthnContextClassRef is longer than ${MAX_AUTHN_CONTEXT_REF_LENGTH} characters`,
      ],
      [
        `<samlp:RequestedAuthnContext>${classRefs(...Array.from({ length: MAX_REQUESTED_AUTHN_CONTEXT_REFS + 1 }, (_, i) => `urn:x:${i}`))}</samlp:RequestedAuthnContext>`,
        `more than ${MAX_REQUESTED_AUTHN_CONTEXT_REFS} references`,
      ],
    ];
    for (const [xml, reason] of refused) {
      const parsed = parseAuthnRequest(request(xml));
      assert.equal(parsed.requestedAuthnContextError, `RequestedAuthnContext: ${reason}`, xml);
      assert.equal(parsed.requestedAuthnContext, undefined);
      assert.equal(parsed.issuer, SP_ENTITY_ID, 'the rest of the request is read: its ACS gets the answer');
    }
    const atTheCap = classRefs(...Array.from({ length: MAX_REQUESTED_AUTHN_CONTEXT_REFS }, (_, i) => `urn:x:${i}`));
    const parsed = read(request(`<samlp:RequestedAuthnContext>${atTheCap}</samlp:RequestedAuthnContext>`));
    assert.equal(typeof parsed === 'object' ? parsed.classRefs.length : parsed, MAX_REQUESTED_AUTHN_CONTEXT_REFS);
  });
});
