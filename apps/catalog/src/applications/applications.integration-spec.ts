import assert from 'node:assert/strict';
import { readStream } from '@jit/testing';
import { spMetadataXml, startDirectoryAndCatalog, testCertificate, type DirectoryAndCatalog } from '../test-fixtures';

const BOOTSTRAP = 'catalog-apps-bootstrap-key-01234567';
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

type Problem = { field: string; message: string };

describe('catalog applications: options, metadata, mappings, connector rules, events (real PostgreSQL and NATS)', () => {
  let system: DirectoryAndCatalog;
  let directory = '';
  let catalog = '';
  let rsa = '';
  let rsa2 = '';
  let ec = '';

  const call = (method: string, path: string, body?: unknown, base = catalog) => system.call(method, `${base}${path}`, body);
  const generic = (over: Record<string, unknown> = {}) => ({
    connectorId: 'saml2',
    name: 'Generic',
    spEntityId: 'https://sp.example.com/saml/metadata',
    acsUrls: ['https://sp.example.com/saml/acs'],
    ...over,
  });
  const created = async (body: Record<string, unknown>, path = '/v1/applications') => {
    const res = await call('POST', path, body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  /** The refused fields, in order, and the message of each. */
  const refused = async (method: string, path: string, body: unknown) => {
    const res = await call(method, path, body);
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.statusCode, 400);
    assert.equal(res.body.error, 'Bad Request');
    assert.equal(typeof res.body.message, 'string');
    assert.equal(JSON.stringify(res.body).includes('    at '), false, 'no stack trace');
    return res.body.details ?? [];
  };
  const fields = (details: Problem[]) => details.map((d) => d.field);
  const events = async (applicationId: string) =>
    (await readStream(system.env.natsUrl, `${system.env.natsPrefix}_CATALOG`))
      .filter((e) => e.payload.applicationId === applicationId)
      .map((e) => ({ subject: e.subject.slice(system.env.natsPrefix.length + 1), payload: e.payload }));

  beforeAll(async () => {
    [rsa, rsa2, ec] = await Promise.all([testCertificate(), testCertificate(), testCertificate('ec')]);
    system = await startDirectoryAndCatalog('catapps', BOOTSTRAP);
    ({ directory, catalog } = system);
  });

  afterAll(() => system.stop());

  describe('GET /v1/connectors', () => {
    it('holds the generic and at least 20 pre-built connectors, paginated', async () => {
      const all = await call('GET', '/v1/connectors?limit=500');
      assert.ok((all.body.total as number) >= 21);
      assert.equal(all.body.items?.length, all.body.total);
      const ids = all.body.items?.map((c) => c.id) ?? [];
      for (const id of ['saml2', 'demo-sp', 'slack', 'salesforce']) assert.ok(ids.includes(id), id);
      const page = await call('GET', '/v1/connectors?limit=5&offset=5');
      assert.deepEqual(
        page.body.items?.map((c) => c.id),
        ids.slice(5, 10),
      );
      assert.equal(page.body.total, all.body.total);
      assert.deepEqual(fields(await refused('GET', '/v1/connectors?limit=0', undefined)), ['limit']);
    });

    it('searches by name and filters by supported functionality; an SP without JIT has no JIT label', async () => {
      const atlassian = await call('GET', '/v1/connectors?search=atlassian');
      assert.deepEqual(
        atlassian.body.items?.map((c) => c.id),
        ['atlassian-cloud'],
      );
      assert.deepEqual((await call('GET', '/v1/connectors?search=nothing-like-this')).body, { items: [], total: 0 });
      const jit = (await call('GET', '/v1/connectors?supports=jit&limit=500')).body.items ?? [];
      assert.ok(jit.every((c) => (c.supportedFunctionality as string[]).includes('JIT Provisioning')));
      assert.ok(!jit.some((c) => c.id === 'aws-iam' || c.id === 'google-workspace'));
      const sso = (await call('GET', '/v1/connectors?supports=sso&limit=500')).body.items ?? [];
      const aws = sso.find((c) => c.id === 'aws-iam');
      assert.deepEqual(aws?.supportedFunctionality, ['SSO']);
      const role = (aws?.attributes as { spName: string; multiValued: boolean; editable: boolean }[]).find((a) =>
        a.spName.endsWith('/Role'),
      );
      assert.deepEqual([role?.multiValued, role?.editable], [true, false]);
      assert.equal((await call('GET', '/v1/connectors/github-enterprise-cloud')).body.signing, 'assertion');
      assert.equal((await call('GET', '/v1/connectors/nope')).status, 404);
    });
  });

  describe('application options', () => {
    it('stores every option, answers it, and carries it in the created event', async () => {
      const app = await created(
        generic({
          signAssertion: true,
          signResponse: false,
          signatureAlgorithm: 'rsa-sha512',
          spSigningCertificates: [rsa, ec],
          requireSignedRequests: true,
          encryptionCertificate: rsa2,
          defaultRelayState: 'https://sp.example.com/home',
          idpInitiatedAllowed: false,
          singleLogoutUrl: 'https://sp.example.com/saml/slo',
          groupsAttribute: { spName: 'memberOf', filter: 'eng' },
          nameIdFormat: PERSISTENT,
          nameIdSource: 'id',
          attributes: [{ spName: 'roles', source: 'jobTitle', multiValued: true }],
        }),
      );
      const stored = (await call('GET', `/v1/applications/${String(app.id)}`)).body;
      for (const body of [app, stored]) {
        assert.equal(body.signatureAlgorithm, 'rsa-sha512');
        assert.equal((body.spSigningCertificates as string[]).length, 2);
        assert.match((body.spSigningCertificates as string[])[0] ?? '', /^-----BEGIN CERTIFICATE-----\n/);
        assert.equal(body.requireSignedRequests, true);
        assert.match(String(body.encryptionCertificate), /^-----BEGIN CERTIFICATE-----/);
        assert.equal(body.defaultRelayState, 'https://sp.example.com/home');
        assert.equal(body.idpInitiatedAllowed, false);
        assert.equal(body.singleLogoutUrl, 'https://sp.example.com/saml/slo');
        assert.deepEqual(body.groupsAttribute, { spName: 'memberOf', filter: 'eng' });
        assert.deepEqual(body.attributes, [
          { spName: 'roles', source: 'jobTitle', constant: null, enabled: true, required: false, multiValued: true, editable: true },
        ]);
      }
      const [event] = await events(String(app.id));
      assert.equal(event?.subject, 'catalog.application.created.v1');
      const snapshot = event?.payload.application as Record<string, unknown>;
      assert.equal(snapshot.signatureAlgorithm, 'rsa-sha512');
      assert.deepEqual(snapshot.spSigningCertificates, app.spSigningCertificates);
      assert.equal(snapshot.encryptionCertificate, app.encryptionCertificate);
      assert.equal(snapshot.idpInitiatedAllowed, false);
      assert.deepEqual(snapshot.groupsAttribute, { spName: 'memberOf', filter: 'eng' });
    });

    it('refuses bad certificates, URLs, RelayState and signed requests without a certificate, naming each field', async () => {
      const details = await refused(
        'POST',
        '/v1/applications',
        generic({
          spSigningCertificates: ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', rsa],
          encryptionCertificate: ec,
          singleLogoutUrl: 'javascript:alert(1)',
          acsUrls: ['https://sp.example.com/acs', 'https://sp.example.com/acs'],
          requireSignedRequests: true,
          groupsAttribute: { spName: 'mail' },
          attributes: [{ spName: 'mail', source: 'email' }],
        }),
      );
      assert.deepEqual(fields(details), [
        'spSigningCertificates.0',
        'encryptionCertificate',
        'acsUrls',
        'singleLogoutUrl',
        'groupsAttribute.spName',
      ]);
      assert.match(details[1]?.message ?? '', /RSA key for RSA-OAEP/);
      assert.match(details[3]?.message ?? '', /must use https, not javascript/);
      const more = await refused(
        'POST',
        '/v1/applications',
        generic({
          singleLogoutUrl: 'http://sp.example.com/slo',
          requireSignedRequests: true,
          defaultRelayState: 'x'.repeat(1025),
          signatureAlgorithm: 'rsa-sha1',
        }),
      );
      assert.deepEqual(fields(more), ['signatureAlgorithm', 'defaultRelayState']);
      const urls = await refused(
        'POST',
        '/v1/applications',
        generic({ singleLogoutUrl: 'http://sp.example.com/slo', requireSignedRequests: true }),
      );
      assert.deepEqual(fields(urls), ['singleLogoutUrl', 'requireSignedRequests']);
      assert.deepEqual(fields(await refused('POST', '/v1/applications', { connectorId: 'saml2', name: 'x' })), ['spEntityId', 'acsUrls']);
    });
    it('refuses an spEntityId an SP could not match (whitespace, control characters, over 1024 characters), on create and update, from the body or the metadata', async () => {
      // It becomes the assertion's Audience (xs:anyURI) and the SP's entityID (SAML core 8.3.6).
      const cases: [string, RegExp][] = [
        ['my app', /^must not contain whitespace or control characters \(U\+0020 at character 3\)$/],
        ['urn:', /has nothing after "urn:"/],
        ['https://sp.example.com/saml metadata', /must not contain whitespace or control characters \(U\+0020 at character 28\)/],
        ['https://sp.example.com/\u0000', /U\+0000/],
        [`https://sp.example.com/${'a'.repeat(1002)}`, /at most 1024 characters \(SAML core 8.3.6\), this one has 1025/],
      ];
      const app = await created(generic({ name: 'Entity IDs' }));
      const id = String(app.id);
      for (const [spEntityId, reason] of cases) {
        for (const [method, path, body] of [
          ['POST', '/v1/applications', generic({ spEntityId })],
          ['PATCH', `/v1/applications/${id}`, { spEntityId }],
        ] as const) {
          const details = await refused(method, path, body);
          assert.deepEqual(fields(details), ['spEntityId'], `${method} ${JSON.stringify(spEntityId.slice(0, 40))}`);
          assert.match(details[0]?.message ?? '', reason);
        }
      }
      for (const [method, path] of [
        ['POST', '/v1/applications/from-metadata'],
        ['PATCH', `/v1/applications/${id}`],
      ] as const) {
        const metadataXml = spMetadataXml({ entityId: 'sp example' });
        const details = await refused(
          method,
          path,
          method === 'POST' ? { connectorId: 'saml2', name: 'Bad', metadataXml } : { metadataXml },
        );
        assert.deepEqual(fields(details), ['metadataXml'], method);
        assert.match(details[0]?.message ?? '', /^entityID "sp example" must not contain whitespace/);
      }
      assert.equal((await call('GET', `/v1/applications/${id}`)).body.spEntityId, 'https://sp.example.com/saml/metadata', 'unchanged');
      // The bare names some SPs expect (Box, Dropbox, Zoom, Google Workspace) are accepted.
      for (const spEntityId of ['box.net', 'Dropbox'])
        assert.equal((await created(generic({ name: spEntityId, spEntityId }))).spEntityId, spEntityId);
      assert.deepEqual(
        (await events(id)).map((e) => e.subject),
        ['catalog.application.created.v1'],
        'no event for a refused change',
      );

      // URNs, and exactly 1024 characters, are entity IDs; surrounding whitespace is trimmed.
      const longest = `https://sp.example.com/${'a'.repeat(1001)}`;
      assert.equal((await created(generic({ name: 'Longest', spEntityId: longest }))).spEntityId, longest);
      const urn = await call('PATCH', `/v1/applications/${id}`, { spEntityId: ' urn:example:sp ' });
      assert.equal(urn.status, 200, JSON.stringify(urn.body));
      assert.equal(urn.body.spEntityId, 'urn:example:sp');
    });
  });

  describe('connector rules on save', () => {
    it('GitHub wants exactly one signature', async () => {
      const gh = {
        connectorId: 'github-enterprise-cloud',
        name: 'GitHub',
        spEntityId: 'https://github.com/orgs/acme',
        acsUrls: ['https://github.com/orgs/acme/saml/consume'],
      };
      const app = await created(gh);
      assert.deepEqual([app.signAssertion, app.signResponse], [true, false]);
      const both = await refused('PATCH', `/v1/applications/${String(app.id)}`, { signResponse: true });
      assert.deepEqual(both, [
        { field: 'signResponse', message: 'this SP wants exactly one signature: sign the Response or the Assertion, not both' },
      ]);
      const swapped = await call('PATCH', `/v1/applications/${String(app.id)}`, { signResponse: true, signAssertion: false });
      assert.equal(swapped.status, 200);
    });

    it('Slack requires a signed Response; Miro takes neither encryption nor single logout', async () => {
      const slack = { connectorId: 'slack', name: 'Slack', spEntityId: 'https://slack.com', acsUrls: ['https://acme.slack.com/sso/saml'] };
      assert.deepEqual(await refused('POST', '/v1/applications', { ...slack, signResponse: false, signAssertion: true }), [
        { field: 'signResponse', message: 'this SP requires a signed Response' },
      ]);
      const miro = { connectorId: 'miro', name: 'Miro', spEntityId: 'https://miro.com', acsUrls: ['https://miro.com/sso/saml'] };
      const details = await refused('POST', '/v1/applications', {
        ...miro,
        encryptionCertificate: rsa,
        singleLogoutUrl: 'https://miro.com/slo',
      });
      assert.deepEqual(fields(details), ['singleLogoutUrl', 'encryptionCertificate']);
      assert.match(details[1]?.message ?? '', /Miro does not accept encrypted assertions/);
    });

    it('AWS: the example Role ARN must be replaced, and the Role stays multi-valued', async () => {
      const role = 'https://aws.amazon.com/SAML/Attributes/Role';
      const aws = {
        connectorId: 'aws-iam',
        name: 'AWS',
        spEntityId: 'urn:amazon:webservices',
        acsUrls: ['https://signin.aws.amazon.com/saml'],
      };
      const placeholder = await refused('POST', '/v1/applications', aws);
      assert.equal(placeholder[0]?.field, 'attributes');
      assert.match(placeholder[0]?.message ?? '', /replace \{accountId\}, \{roleName\}, \{providerName\}/);
      const arn = 'arn:aws:iam::123456789012:role/Dev,arn:aws:iam::123456789012:saml-provider/Jit';
      const single = await refused('POST', '/v1/applications', {
        ...aws,
        attributes: [{ spName: role, constant: arn, multiValued: false }],
      });
      assert.deepEqual(fields(single), ['attributes.0.multiValued']);
      const app = await created({ ...aws, attributes: [{ spName: role, constant: arn }] });
      const mapped = (app.attributes as { spName: string; multiValued: boolean; constant: string }[]).find((a) => a.spName === role);
      assert.deepEqual([mapped?.constant, mapped?.multiValued], [arn, true]);
      assert.deepEqual(app.supportedFunctionality, ['SSO']);
    });
  });

  describe('attribute mappings', () => {
    const salesforce = {
      connectorId: 'salesforce',
      name: 'Salesforce',
      spEntityId: 'https://acme.my.salesforce.com',
      acsUrls: ['https://acme.my.salesforce.com?so=00D000000000001'],
    };

    it("refuses renaming or removing a pre-built connector's attribute, with the reason", async () => {
      const app = await created(salesforce);
      const id = String(app.id);
      const details = await refused('PATCH', `/v1/applications/${id}`, {
        attributes: [
          { spName: 'User.Email', renameTo: 'Email' },
          { spName: 'User.LastName', remove: true },
          { spName: 'User.Username', required: false },
        ],
      });
      assert.deepEqual(fields(details), ['attributes.0.renameTo', 'attributes.1.remove', 'attributes.2.required']);
      assert.match(details[0]?.message ?? '', /"User.Email" is the name the SP expects and is fixed by the connector/);
      const off = await call('PATCH', `/v1/applications/${id}`, {
        attributes: [
          { spName: 'User.Email', enabled: false },
          { spName: 'User.LastName', source: 'displayname' },
        ],
      });
      assert.equal(off.status, 200);
      const attrs = off.body.attributes as { spName: string; enabled: boolean; source: string | null; editable: boolean }[];
      assert.deepEqual(
        attrs.find((a) => a.spName === 'User.Email'),
        {
          spName: 'User.Email',
          source: 'email',
          constant: null,
          enabled: false,
          required: true,
          multiValued: false,
          editable: false,
        },
      );
      assert.equal(attrs.find((a) => a.spName === 'User.LastName')?.source, 'displayname');
    });

    it('lets the generic connector map any SP name, rename and remove it; unknown and unknown custom sources are refused with the valid names', async () => {
      const app = await created(
        generic({
          name: 'Mapped',
          attributes: [
            { spName: 'urn:oid:2.5.4.42', source: 'firstname' },
            { spName: 'Tier', constant: 'gold' },
          ],
        }),
      );
      const id = String(app.id);
      const renamed = await call('PATCH', `/v1/applications/${id}`, {
        attributes: [
          { spName: 'urn:oid:2.5.4.42', renameTo: 'givenName' },
          { spName: 'Tier', remove: true },
        ],
      });
      assert.deepEqual(
        (renamed.body.attributes as { spName: string }[]).map((a) => a.spName),
        ['givenName'],
      );
      const unknown = await refused('PATCH', `/v1/applications/${id}`, {
        attributes: [
          { spName: 'x', source: 'mail' },
          { spName: 'y', source: 'custom:costCode' },
        ],
      });
      assert.deepEqual(fields(unknown), ['attributes.0.source', 'attributes.1.source']);
      assert.match(
        unknown[0]?.message ?? '',
        /unknown directory attribute "mail"; valid names: id, username, email, .*; custom: no custom attributes yet/,
      );
      const nameId = await refused('PATCH', `/v1/applications/${id}`, { nameIdSource: 'mail' });
      assert.deepEqual(fields(nameId), ['nameIdSource']);
      // Once a user of the organisation has costCode, the directory knows it, and so does the catalog.
      const user = await call(
        'POST',
        '/v1/users',
        { username: 'cc', email: 'cc@example.com', customAttributes: { costCode: 'C-1' } },
        directory,
      );
      assert.equal(user.status, 201);
      const known = await call('PATCH', `/v1/applications/${id}`, { attributes: [{ spName: 'y', source: 'custom:costCode' }] });
      assert.equal(known.status, 200, JSON.stringify(known.body));
    });
  });

  describe('SP metadata', () => {
    it('creates an application from metadata: entity ID, POST ACS, certificates, NameID format, SLO, required attributes', async () => {
      const metadataXml = spMetadataXml({
        entityId: 'https://meta.example.com/sp',
        acs: [{ location: 'https://meta.example.com/acs' }, { location: 'https://meta.example.com/acs-redirect', binding: 'Redirect' }],
        signing: rsa,
        encryption: rsa2,
        authnRequestsSigned: true,
        nameIdFormats: [PERSISTENT],
        slo: [{ location: 'https://meta.example.com/slo', binding: 'Redirect' }],
        requested: [
          { name: 'urn:oid:0.9.2342.19200300.100.1.3', friendlyName: 'mail', required: true },
          { name: 'urn:oid:2.5.4.42', friendlyName: 'givenName' },
        ],
      });
      const app = await created({ connectorId: 'saml2', name: 'From metadata', metadataXml }, '/v1/applications/from-metadata');
      assert.equal(app.spEntityId, 'https://meta.example.com/sp');
      assert.deepEqual(app.acsUrls, ['https://meta.example.com/acs']);
      assert.equal((app.spSigningCertificates as string[]).length, 1);
      assert.match(String(app.encryptionCertificate), /BEGIN CERTIFICATE/);
      assert.equal(app.requireSignedRequests, true);
      assert.equal(app.nameIdFormat, PERSISTENT);
      assert.equal(app.singleLogoutUrl, 'https://meta.example.com/slo');
      assert.deepEqual(
        (app.attributes as { spName: string; source: string; required: boolean }[]).map((a) => [a.spName, a.source, a.required]),
        [
          ['urn:oid:0.9.2342.19200300.100.1.3', 'email', true],
          ['urn:oid:2.5.4.42', 'firstname', false],
        ],
      );
      // The same body's fields win over the metadata, and PATCH takes new metadata.
      const own = await created({ connectorId: 'saml2', name: 'Own ACS', metadataXml, acsUrls: ['https://meta.example.com/other-acs'] });
      assert.deepEqual(own.acsUrls, ['https://meta.example.com/other-acs']);
      const moved = await call('PATCH', `/v1/applications/${String(app.id)}`, {
        metadataXml: spMetadataXml({ entityId: 'https://meta.example.com/sp', acs: [{ location: 'https://meta.example.com/acs2' }] }),
      });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.deepEqual(
        [moved.body.acsUrls, moved.body.spSigningCertificates, moved.body.requireSignedRequests],
        [['https://meta.example.com/acs2'], [], false],
      );
    });

    it('refuses bad metadata with a clear reason on metadataXml', async () => {
      const cases: [string, RegExp][] = [
        [`<!DOCTYPE x [<!ENTITY e "e">]>${spMetadataXml().replace(/^<\?xml[^>]*>/, '')}`, /DTDs and entities are not allowed/],
        ['<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>', /expected one md:EntityDescriptor/],
        ['<broken', /not well-formed/],
        [spMetadataXml({ acs: [{ location: 'https://sp.example.com/acs', binding: 'Redirect' }] }), /HTTP-POST binding/],
        [spMetadataXml({ signing: 'AAAA' }), /signing certificate/],
      ];
      for (const [metadataXml, reason] of cases) {
        const details = await refused('POST', '/v1/applications/from-metadata', { connectorId: 'saml2', name: 'Bad', metadataXml });
        assert.equal(details.length, 1);
        assert.equal(details[0]?.field, 'metadataXml');
        assert.match(details[0]?.message ?? '', reason);
      }
      const http = await refused('POST', '/v1/applications/from-metadata', {
        connectorId: 'saml2',
        name: 'Bad',
        metadataXml: spMetadataXml({ acs: [{ location: 'http://sp.example.com/acs' }] }),
      });
      assert.deepEqual(
        http.map((d) => [d.field, /acsUrls from the metadata: must use https/.test(d.message)]),
        [['metadataXml', true]],
      );
      const shoe = spMetadataXml({ requested: [{ name: 'shoeSize', required: true }] });
      const unmapped = await refused('POST', '/v1/applications/from-metadata', { connectorId: 'saml2', name: 'Shoes', metadataXml: shoe });
      assert.deepEqual(fields(unmapped), ['metadataXml']);
      assert.match(unmapped[0]?.message ?? '', /requires attribute "shoeSize"/);
      const mapped = await created({
        connectorId: 'saml2',
        name: 'Shoes',
        metadataXml: shoe,
        attributes: [{ spName: 'shoeSize', constant: '42', required: true }],
      });
      assert.deepEqual(
        (mapped.attributes as { spName: string }[]).map((a) => a.spName),
        ['shoeSize'],
      );
      assert.deepEqual(fields(await refused('POST', '/v1/applications/from-metadata', { connectorId: 'saml2', name: 'x' })), [
        'metadataXml',
      ]);
    });
  });

  describe('events', () => {
    it('emits updated with the full snapshot on every change, and activated / deactivated / mappings-changed beside it', async () => {
      const app = await created(generic({ name: 'Evented' }));
      const id = String(app.id);
      const patch = async (body: unknown) => assert.equal((await call('PATCH', `/v1/applications/${id}`, body)).status, 200);
      await patch({ active: false });
      await patch({ active: true });
      await patch({ attributes: [{ spName: 'mail', source: 'email' }] });
      await patch({ name: 'Renamed' });
      await patch({ name: 'Renamed' }); // no change, no event
      const seen = await events(id);
      assert.deepEqual(
        seen.map((e) => [e.subject, e.payload.version]),
        [
          ['catalog.application.created.v1', 1],
          ['catalog.application.updated.v1', 2],
          ['catalog.application.deactivated.v1', 2],
          ['catalog.application.updated.v1', 3],
          ['catalog.application.activated.v1', 3],
          ['catalog.application.updated.v1', 4],
          ['catalog.application.mappings-changed.v1', 4],
          ['catalog.application.updated.v1', 5],
        ],
      );
      assert.equal((seen[1]?.payload.application as { active: boolean }).active, false);
      assert.deepEqual(seen[6]?.payload.attributes, [
        { spName: 'mail', source: 'email', constant: null, enabled: true, required: false, multiValued: false },
      ]);
      assert.equal((seen[7]?.payload.application as { name: string }).name, 'Renamed');
      assert.equal((await call('DELETE', `/v1/applications/${id}`)).status, 204);
      assert.deepEqual((await events(id)).at(-1)?.subject, 'catalog.application.deleted.v1');
    });
  });
});
