import assert from 'node:assert/strict';
import { generateSigningCredentials } from '@jit/saml';
import type { FreshReadModel } from '../common/fresh-read-model';
import { IdpUrls } from '../common/idp-urls';
import type { IdpConfig } from '../config';
import type { SigningKeysService } from '../keys/signing-keys.service';
import { TEST_SP, testApplicationSnapshot } from '../test-fixtures';
import { MetadataService } from './metadata.service';

const APP = '3f0c8f8e-9a43-4e52-8a77-0d6a3b0f9c11';
const ORG = '11111111-1111-4111-8111-111111111111';
const config = { IDP_BASE_URL: 'https://idp.example.com' } as IdpConfig;

describe('MetadataService: SingleLogoutService only for an application that does Single Logout', () => {
  let certificatePem: string;
  beforeAll(async () => {
    certificatePem = (await generateSigningCredentials('idp.example.com')).certificatePem;
  });

  const metadataFor = (singleLogoutUrl: string | null, checked: unknown[] = []) => {
    const app = { id: APP, organizationId: ORG, snapshot: testApplicationSnapshot({ singleLogoutUrl }) };
    const fresh = {
      requireFreshForApi: (about: unknown) => {
        checked.push(about);
        return Promise.resolve();
      },
      readModel: { application: () => app, applicationsOf: () => [app] },
    } as unknown as FreshReadModel;
    const keys = { publishedCertificates: () => Promise.resolve([certificatePem]) } as unknown as SigningKeysService;
    return new MetadataService(fresh, new IdpUrls(config), keys);
  };

  it('advertises none for an application without a singleLogoutUrl, in its own and its organisation’s metadata', async () => {
    const service = metadataFor(null);
    for (const xml of [await service.application(APP), await service.organization(ORG)]) {
      assert.equal(xml?.includes('<md:SingleSignOnService'), true);
      assert.equal(xml.includes('SingleLogoutService'), false);
    }
  });

  it('advertises none for an SLO address the IdP would not send a browser to', async () => {
    const xml = await metadataFor('javascript:alert(1)').application(APP);
    assert.equal(xml?.includes('SingleLogoutService'), false);
  });

  it("advertises the IdP's SLO endpoint (HTTP-Redirect) for an application with a singleLogoutUrl", async () => {
    const xml = await metadataFor(`${TEST_SP}/slo`).application(APP);
    assert.ok(
      xml?.includes(
        `<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/saml2/${APP}/slo"/>`,
      ),
      xml ?? '',
    );
  });

  it("waits only for what it is built from: the application's events; the organisation's applications and its existence (its console)", async () => {
    const checked: unknown[] = [];
    const service = metadataFor(null, checked);
    await service.application(APP);
    await service.organization(ORG);
    assert.deepEqual(checked, [{ applicationId: APP }, { applicationsOf: ORG, organisationExists: ORG }]);
  });
});
