import assert from 'node:assert/strict';
import { JIT_MODES } from '../config';
import {
  EMAIL_NAME_ID_FORMAT,
  decideJitAction,
  identityFromSamlProfile,
  pickProfile,
  type AssertedIdentity,
} from './jit-provisioning.service';

const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const identity = (attributes: AssertedIdentity['attributes'], nameId = 'u-1', nameIdFormat: string | null = PERSISTENT) => ({
  nameId,
  nameIdFormat,
  attributes,
});

describe('pickProfile', () => {
  for (const name of [
    'email',
    'Email',
    'mail',
    'emailAddress',
    'User.Email',
    'urn:oid:mail',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  ]) {
    it(`reads the email from an attribute named ${name}`, () => {
      assert.equal(pickProfile(identity({ [name]: 'ada@example.com' })).email, 'ada@example.com');
    });
  }

  for (const name of ['hotmail', 'emails', 'email_verified', 'User.EmailVerified', 'secondaryEmail']) {
    it(`does not take ${name} for the email`, () => {
      assert.equal(pickProfile(identity({ [name]: 'x@example.com' })).email, null);
    });
  }

  it('takes the first matching attribute in received order, skipping blank values', () => {
    const picked = pickProfile(
      identity({ department: 'R&D', 'User.Email': ['  ', 'first@example.com', 'second@example.com'], email: 'later@example.com' }),
    );
    assert.equal(picked.email, 'first@example.com');
    assert.equal(pickProfile(identity({ email: '', mail: 'fallback@example.com' })).email, 'fallback@example.com');
  });

  it('falls back to an emailAddress NameID, and only to that format', () => {
    assert.equal(pickProfile(identity({}, 'ada@example.com', EMAIL_NAME_ID_FORMAT)).email, 'ada@example.com');
    assert.equal(pickProfile(identity({}, 'ada@example.com', PERSISTENT)).email, null);
    assert.equal(
      pickProfile(identity({ email: 'attr@example.com' }, 'nameid@example.com', EMAIL_NAME_ID_FORMAT)).email,
      'attr@example.com',
    );
  });

  it('reads first and last names under their usual names', () => {
    const cases: [string, string][] = [
      ['firstname', 'lastname'],
      ['first_name', 'last_name'],
      ['FirstName', 'LastName'],
      ['givenName', 'sn'],
      ['User.FirstName', 'User.LastName'],
      ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname'],
    ];
    for (const [first, last] of cases) {
      const picked = pickProfile(identity({ [first]: 'Ada', [last]: 'Lovelace' }));
      assert.deepEqual([picked.firstname, picked.lastname], ['Ada', 'Lovelace'], `${first} / ${last}`);
    }
    const none = pickProfile(identity({ displayname: 'Ada Lovelace', username: 'ada', isn: 'x' }));
    assert.deepEqual([none.firstname, none.lastname], [null, null]);
  });
});

const ISSUER = 'https://idp.example.com/saml2/app-1/metadata';

describe('identityFromSamlProfile', () => {
  it('keeps single values as strings and several as arrays, all as text', () => {
    const result = identityFromSamlProfile(
      {
        nameID: 'ada@example.com',
        nameIDFormat: EMAIL_NAME_ID_FORMAT,
        attributes: { email: 'ada@example.com', groups: ['a', 'b'], empty: undefined, nested: { $: { x: '1' }, child: ['v'] } },
      },
      ISSUER,
    );
    assert.deepEqual(result, {
      issuer: ISSUER,
      nameId: 'ada@example.com',
      nameIdFormat: EMAIL_NAME_ID_FORMAT,
      attributes: { email: 'ada@example.com', groups: ['a', 'b'], empty: '', nested: '{"$":{"x":"1"},"child":["v"]}' },
    });
  });

  it('keeps an attribute named __proto__ as plain data', () => {
    const attributes = JSON.parse('{"__proto__": "x", "email": "a@example.com"}') as Record<string, unknown>;
    const result = identityFromSamlProfile({ nameID: 'n', attributes }, ISSUER);
    assert.equal(Object.getPrototypeOf(result.attributes), Object.prototype);
    assert.deepEqual(Object.keys(result.attributes), ['__proto__', 'email']);
  });

  it('refuses an assertion without a NameID', () => {
    assert.throws(() => identityFromSamlProfile({ attributes: {} }, ISSUER), /no NameID/);
  });

  it('has no attributes when the assertion carried none', () => {
    assert.deepEqual(identityFromSamlProfile({ nameID: 'n', nameIDFormat: PERSISTENT }, ISSUER).attributes, {});
  });
});

describe('decideJitAction', () => {
  it('follows the mode for every combination', () => {
    const expected = {
      'create-only': { new: 'created', byNameId: 'found', byEmail: 'created' },
      'create-or-update': { new: 'created', byNameId: 'updated', byEmail: 'created' },
      'link-by-email': { new: 'created', byNameId: 'updated', byEmail: 'linked' },
    } as const;
    for (const mode of JIT_MODES) {
      assert.equal(decideJitAction(mode, false, false), expected[mode].new, mode);
      assert.equal(decideJitAction(mode, true, false), expected[mode].byNameId, mode);
      assert.equal(decideJitAction(mode, false, true), expected[mode].byEmail, mode);
      // A NameID match always wins over an email match.
      assert.equal(decideJitAction(mode, true, true), expected[mode].byNameId, mode);
    }
  });
});
