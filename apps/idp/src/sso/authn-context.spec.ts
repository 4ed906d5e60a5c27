import assert from 'node:assert/strict';
import type { AuthnContextComparison } from '@jit/saml';
import { acceptableClasses, decideAuthnContext, preferredMfaClass, secondFactorRequested, type Authenticated } from './authn-context';

const UNSPECIFIED = 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified';
const PASSWORD = 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password';
const PPT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
const REFEDS = 'https://refeds.org/profile/mfa';
const MS = 'http://schemas.microsoft.com/claims/multipleauthn';
const KERBEROS = 'urn:oasis:names:tc:SAML:2.0:ac:classes:Kerberos';

/** The decision as one word: the class asserted, 'second factor', or 'unmet'. */
const decide = (comparison: AuthnContextComparison, refs: string[], authenticated: Authenticated, preferred = REFEDS): string => {
  const d = decideAuthnContext({ comparison, classRefs: refs, declRefs: [] }, authenticated, preferred);
  return d.kind === 'assert' ? d.classRef : d.kind === 'second_factor' ? 'second factor' : 'unmet';
};

describe('decideAuthnContext: SAML core 3.3.2.2.1 over unspecified < Password < PasswordProtectedTransport < {REFEDS MFA = multipleauthn}', () => {
  // [comparison, requested, after a password alone, after a password and a second factor]
  const table: [AuthnContextComparison, string[], string, string][] = [
    ['exact', [PPT], PPT, PPT],
    ['exact', [PASSWORD], PASSWORD, PASSWORD],
    ['exact', [UNSPECIFIED], UNSPECIFIED, UNSPECIFIED],
    ['exact', [REFEDS], 'second factor', REFEDS],
    ['exact', [MS], 'second factor', MS],
    ['exact', [PPT, REFEDS], PPT, REFEDS],
    ['exact', [KERBEROS], 'unmet', 'unmet'],
    ['exact', [KERBEROS, PPT], PPT, PPT],
    ['minimum', [UNSPECIFIED], PPT, REFEDS],
    ['minimum', [PASSWORD], PPT, REFEDS],
    ['minimum', [PPT], PPT, REFEDS],
    ['minimum', [REFEDS], 'second factor', REFEDS],
    ['minimum', [MS], 'second factor', MS],
    ['minimum', [KERBEROS], 'unmet', 'unmet'],
    ['better', [UNSPECIFIED], PPT, REFEDS],
    ['better', [PASSWORD], PPT, REFEDS],
    ['better', [PPT], 'second factor', REFEDS],
    ['better', [REFEDS], 'unmet', 'unmet'],
    ['better', [MS], 'unmet', 'unmet'],
    // Better than at least one of the list, as minimum is "at least as strong as one of".
    ['better', [REFEDS, PPT], 'second factor', REFEDS],
    ['maximum', [UNSPECIFIED], UNSPECIFIED, UNSPECIFIED],
    ['maximum', [PASSWORD], PASSWORD, PASSWORD],
    ['maximum', [PPT], PPT, PPT],
    // As strong as possible without exceeding: what the sign-in has, never a step-up for it.
    ['maximum', [REFEDS], PPT, REFEDS],
    ['maximum', [PASSWORD, PPT], PPT, PPT],
    ['maximum', [KERBEROS], 'unmet', 'unmet'],
  ];
  for (const [comparison, refs, password, mfa] of table) {
    const names = refs.map((r) => r.split(/[:/]/).pop()).join(', ');
    it(`${comparison} ${names}: ${password.split(/[:/]/).pop()} after a password, ${mfa.split(/[:/]/).pop()} after MFA`, () => {
      assert.equal(decide(comparison, refs, 'password'), password);
      assert.equal(decide(comparison, refs, 'mfa'), mfa);
    });
  }

  it("names the multi-factor class the request names, else the application's", () => {
    assert.equal(decide('minimum', [PPT], 'mfa', MS), MS);
    assert.equal(decide('minimum', [MS], 'mfa', REFEDS), MS);
    assert.equal(decide('minimum', [REFEDS], 'mfa', MS), REFEDS);
    assert.equal(decide('exact', [REFEDS, MS], 'mfa', MS), MS);
    assert.equal(decide('exact', [REFEDS], 'mfa', MS), REFEDS);
    assert.equal(decide('exact', [MS], 'mfa', REFEDS), MS);
  });

  it('without a request, says what was given: PasswordProtectedTransport, or the application’s multi-factor class', () => {
    assert.deepEqual(decideAuthnContext(undefined, 'password', MS), { kind: 'assert', classRef: PPT });
    assert.deepEqual(decideAuthnContext(undefined, 'mfa', REFEDS), { kind: 'assert', classRef: REFEDS });
    assert.deepEqual(decideAuthnContext(undefined, 'mfa', MS), { kind: 'assert', classRef: MS });
  });

  it('never meets a request by declaration (AuthnContextDeclRef), and says why an unmet one is', () => {
    assert.deepEqual(decideAuthnContext({ comparison: 'exact', classRefs: [], declRefs: ['https://sp.example.com/decl'] }, 'mfa', REFEDS), {
      kind: 'unmet',
      detail: 'authentication context declarations (AuthnContextDeclRef) are not supported',
    });
    assert.deepEqual(decideAuthnContext({ comparison: 'better', classRefs: [REFEDS], declRefs: [] }, 'mfa', REFEDS), {
      kind: 'unmet',
      detail: 'no class this identity provider supports is stronger than https://refeds.org/profile/mfa',
    });
    assert.deepEqual(decideAuthnContext({ comparison: 'minimum', classRefs: [KERBEROS], declRefs: [] }, 'mfa', REFEDS), {
      kind: 'unmet',
      detail: `no requested class is one this identity provider supports (${KERBEROS})`,
    });
  });

  it('compares by exact URI: a class in another letter case or with a trailing slash is unknown', () => {
    assert.deepEqual(acceptableClasses({ comparison: 'exact', classRefs: [PPT.toLowerCase(), `${REFEDS}/`] }), []);
    assert.deepEqual(acceptableClasses({ comparison: 'minimum', classRefs: [PPT] }), [PPT, REFEDS, MS]);
  });

  it('asks a second factor exactly when a password alone cannot meet the request', () => {
    assert.equal(secondFactorRequested(undefined), false);
    assert.equal(secondFactorRequested({ comparison: 'exact', classRefs: [PPT], declRefs: [] }), false);
    assert.equal(secondFactorRequested({ comparison: 'minimum', classRefs: [MS], declRefs: [] }), true);
    assert.equal(
      secondFactorRequested({ comparison: 'better', classRefs: [REFEDS], declRefs: [] }),
      false,
      'unmet: refused, not stepped up',
    );
  });

  it("maps the application's option to its multi-factor class", () => {
    assert.equal(preferredMfaClass({ mfaAuthnContext: 'refeds-mfa' }), REFEDS);
    assert.equal(preferredMfaClass({ mfaAuthnContext: 'microsoft-multipleauthn' }), MS);
  });
});
