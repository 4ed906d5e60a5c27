import assert from 'node:assert/strict';
import { idpConfigSchema, loadIdpConfig, nameIdSecretOf } from '../config';
import { NAMEID } from '@jit/catalog-contracts';
import { decideAssertion } from '../sso/decide-assertion';
import type { AuthorisationFacts } from '../read-model/read-model.service';
import { ApplicationSnapshot } from '@jit/catalog-contracts';
import type { UserProfile } from '@jit/directory-contracts';

const APP = '3f0c8f8e-9a43-4e52-8a77-0d6a3b0f9c11';
const USER = '7b1d2c3e-4f50-4a61-8b72-9c83d4e5f601';
const KEK = 'kek-of-an-existing-deployment-0123456789abcdef';
/** What this deployment's SPs hold: HMAC-SHA256(KEK, `${APP}:${USER}`), as the IdP computed it before IDP_NAMEID_SECRET. */
const EXISTING_NAME_ID = 'Hij4J44nj6r9f_IJR5qT6n-3Hp0DZWVEdrf94JUpHyM';

const facts: AuthorisationFacts = {
  user: { id: USER, profile: { state: 'ACTIVATED', email: 'ada@example.com', customAttributes: {} } as unknown as UserProfile },
  application: {
    id: APP,
    organizationId: '11111111-1111-4111-8111-111111111111',
    snapshot: ApplicationSnapshot.parse({
      name: 'Wiki',
      connectorId: 'saml2',
      spEntityId: 'sp',
      acsUrls: ['https://sp/acs'],
      nameIdFormat: NAMEID.persistent,
      nameIdSource: 'email',
      signAssertion: true,
      signResponse: true,
      active: true,
      attributes: [],
    }),
  },
  granted: true,
  groupNames: [],
  adminRole: null,
  adminRolesKnown: true,
};

/** The persistent NameID an IdP started with `env` gives the user. */
function persistentNameIdWith(env: Record<string, string>, warnings: string[] = []): string | null {
  const secret = nameIdSecretOf(loadIdpConfig(env), (m) => warnings.push(m));
  return decideAssertion({ applicationId: APP, userId: USER, facts, nameIdSecret: secret, transientNameId: '_t' }).nameId.value;
}

describe('persistent NameIDs and IDP_NAMEID_SECRET', () => {
  it('an existing deployment (IDP_NAMEID_SECRET unset) keeps its NameIDs, and is warned', () => {
    const warnings: string[] = [];
    assert.equal(persistentNameIdWith({ IDP_KEY_ENCRYPTION_KEY: KEK }, warnings), EXISTING_NAME_ID);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /IDP_NAMEID_SECRET is not set/);
    assert.equal(warnings[0]?.includes(KEK), false, 'the warning never holds the secret');
  });

  it('setting IDP_NAMEID_SECRET to the current key-encryption key keeps them, and the KEK can then change without changing any', () => {
    const warnings: string[] = [];
    assert.equal(persistentNameIdWith({ IDP_KEY_ENCRYPTION_KEY: KEK, IDP_NAMEID_SECRET: KEK }, warnings), EXISTING_NAME_ID);
    const rotated = { IDP_KEY_ENCRYPTION_KEY: 'a-brand-new-key-encryption-key-9876543210zyx', IDP_NAMEID_SECRET: KEK };
    assert.equal(persistentNameIdWith(rotated, warnings), EXISTING_NAME_ID);
    assert.deepEqual(warnings, []);
  });

  it('a new deployment with a secret of its own: NameIDs follow that secret, not the KEK', () => {
    const secret = 'a-name-id-secret-of-its-own-0123456789abcdef';
    const before = persistentNameIdWith({ IDP_KEY_ENCRYPTION_KEY: KEK, IDP_NAMEID_SECRET: secret });
    const after = persistentNameIdWith({ IDP_KEY_ENCRYPTION_KEY: `${KEK}-rotated`, IDP_NAMEID_SECRET: secret });
    assert.equal(after, before);
    assert.notEqual(before, EXISTING_NAME_ID);
  });

  it('production refuses to start without IDP_NAMEID_SECRET, saying how to keep existing NameIDs', () => {
    const parsed = idpConfigSchema.safeParse({ NODE_ENV: 'production', IDP_KEY_ENCRYPTION_KEY: KEK });
    assert.equal(parsed.success, false);
    const issue = parsed.error?.issues.find((i) => i.path[0] === 'IDP_NAMEID_SECRET');
    assert.match(issue?.message ?? '', /setting it to the current IDP_KEY_ENCRYPTION_KEY/);
    const ok = idpConfigSchema.safeParse({ NODE_ENV: 'production', IDP_KEY_ENCRYPTION_KEY: KEK, IDP_NAMEID_SECRET: KEK });
    assert.equal(ok.error?.issues.some((i) => i.path[0] === 'IDP_NAMEID_SECRET') ?? false, false);
  });

  it('production refuses the development key-encryption key, the default when IDP_KEY_ENCRYPTION_KEY is unset', () => {
    const parsed = idpConfigSchema.safeParse({ NODE_ENV: 'production', IDP_NAMEID_SECRET: KEK });
    assert.deepEqual(
      parsed.error?.issues.filter((i) => i.path[0] === 'IDP_KEY_ENCRYPTION_KEY').map((i) => i.message),
      ['set a secret of your own in production'],
    );
    assert.equal(idpConfigSchema.safeParse({ NODE_ENV: 'development' }).success, true);
  });
});
