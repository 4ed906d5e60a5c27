import { X509Certificate } from 'node:crypto';
import assert from 'node:assert/strict';
import { ApplicationSnapshot, NAMEID } from '@jit/catalog-contracts';
import { CONNECTORS, type Connector } from '../connectors/connector';
import { derBase64, spMetadataXml, testCertificate } from '../test-fixtures';
import { decideApplication, newApplicationSettings, readMetadata, type ApplicationSettings, type OptionsBody } from './application-options';
import { UpdateApplicationBody } from './applications.dto';
import type { SpMetadata } from './sp-metadata';

const connector = (id: string): Connector => {
  const c = CONNECTORS.find((x) => x.id === id);
  if (!c) throw new Error(id);
  return c;
};

const SP = { spEntityId: 'https://sp.example.com/saml/metadata', acsUrls: ['https://sp.example.com/saml/acs'] };

/** Decides a new application of `connectorId` (or a change of `current`) and answers its settings or its problems. */
function decide(
  connectorId: string,
  body: OptionsBody,
  o: { current?: ApplicationSettings; metadata?: SpMetadata; customNames?: string[]; applicationId?: string } = {},
): { settings: ApplicationSettings } | { message: string; problems: { field: string; message: string }[] } {
  const decision = decideApplication({
    connector: connector(connectorId),
    current: o.current ?? null,
    body: o.current ? body : { name: 'App', ...body },
    metadata: o.metadata ?? null,
    customNames: o.customNames ?? [],
    applicationId: o.applicationId,
  });
  return 'refusal' in decision ? decision.refusal : decision;
}

function settings(connectorId: string, body: OptionsBody, o: Parameters<typeof decide>[2] = {}): ApplicationSettings {
  const decided = decide(connectorId, body, o);
  if (!('settings' in decided)) throw new Error(`refused: ${JSON.stringify(decided.problems)}`);
  return decided.settings;
}

function problems(connectorId: string, body: OptionsBody, o: Parameters<typeof decide>[2] = {}): { field: string; message: string }[] {
  const decided = decide(connectorId, body, o);
  if ('settings' in decided) throw new Error('accepted');
  return decided.problems;
}

function metadata(xml: string): SpMetadata {
  const read = readMetadata(xml);
  if ('refusal' in read) throw new Error(read.refusal.message);
  return read.metadata;
}

describe('application options', () => {
  let cert = '';
  let cert2 = '';
  beforeAll(async () => {
    // As the catalog stores them (canonical PEM), so that they compare equal.
    [cert, cert2] = (await Promise.all([testCertificate(), testCertificate()])).map((pem) => new X509Certificate(pem).toString());
  });

  describe('a new application', () => {
    it('takes the connector NameID and signing defaults and the contract defaults for every other option', () => {
      assert.deepEqual(newApplicationSettings(connector('slack'), 'Slack'), {
        name: 'Slack',
        connectorId: 'slack',
        spEntityId: '',
        acsUrls: [],
        nameIdFormat: NAMEID.persistent,
        nameIdSource: 'id',
        signAssertion: false,
        signResponse: true,
        active: true,
        attributes: [],
        signatureAlgorithm: 'rsa-sha256',
        spSigningCertificates: [],
        requireSignedRequests: false,
        encryptionCertificate: null,
        defaultRelayState: null,
        idpInitiatedAllowed: true,
        idpInitiatedRelayStateFromCaller: false,
        singleLogoutUrl: null,
        groupsAttribute: null,
        acsIndexes: [],
        launchUrl: null,
        portalVisible: true,
        portalLabel: null,
        portalColor: null,
        mfaRequired: false,
        mfaAuthnContext: 'refeds-mfa',
        mfaPhishingResistant: false,
      });
    });

    it('is a complete snapshot once the body gave the SP, every field the contract has', () => {
      const decided = settings('saml2', SP);
      assert.deepEqual(ApplicationSnapshot.parse(decided), decided);
      assert.deepEqual(Object.keys(decided).sort(), Object.keys(ApplicationSnapshot.shape).sort());
    });

    it('every field a body may set except metadataXml is a field of the snapshot (so the body is copied from one list)', () => {
      const bodyFields = Object.keys(UpdateApplicationBody.shape).filter((f) => f !== 'metadataXml');
      assert.deepEqual(
        bodyFields.filter((f) => !(f in ApplicationSnapshot.shape)),
        [],
      );
    });

    it('needs an ACS URL, and refuses one listed twice', () => {
      assert.deepEqual(problems('saml2', { spEntityId: SP.spEntityId, acsUrls: [] }), [
        { field: 'acsUrls', message: 'register at least one ACS URL' },
      ]);
      assert.deepEqual(problems('saml2', { ...SP, acsUrls: [SP.acsUrls[0], SP.acsUrls[0]] }), [
        { field: 'acsUrls', message: 'lists a URL twice' },
      ]);
    });

    it('refuses an ACS URL the IdP would not render, naming its index', () => {
      assert.deepEqual(problems('saml2', { ...SP, acsUrls: [SP.acsUrls[0], 'JavaScript:alert(1)'] }), [
        { field: 'acsUrls.1', message: 'must use https, not javascript' },
      ]);
    });
  });

  describe('ACS indexes', () => {
    const md = () =>
      metadata(
        spMetadataXml({
          acs: [
            { location: 'https://sp.example.com/acs/nine', index: 9 },
            { location: 'https://sp.example.com/acs/five', index: 5 },
          ],
        }),
      );

    it("keeps the metadata's index with each ACS URL", () => {
      const decided = settings('saml2', {}, { metadata: md() });
      assert.deepEqual(decided.acsUrls, ['https://sp.example.com/acs/five', 'https://sp.example.com/acs/nine']);
      assert.deepEqual(decided.acsIndexes, [
        { index: 5, url: 'https://sp.example.com/acs/five' },
        { index: 9, url: 'https://sp.example.com/acs/nine' },
      ]);
    });

    it('URLs the admin lists are indexed by position, also when they win over the metadata', () => {
      const listed = ['https://sp.example.com/a', 'https://sp.example.com/b'];
      const positions = [
        { index: 0, url: listed[0] },
        { index: 1, url: listed[1] },
      ];
      assert.deepEqual(settings('saml2', { ...SP, acsUrls: listed }).acsIndexes, positions);
      assert.deepEqual(settings('saml2', { acsUrls: listed }, { metadata: md() }).acsIndexes, positions);
    });

    it('a change that leaves the ACS URLs alone keeps their indexes', () => {
      const current = settings('saml2', {}, { metadata: md() });
      assert.deepEqual(settings('saml2', { name: 'Renamed' }, { current }).acsIndexes, current.acsIndexes);
    });
  });

  describe('NameID', () => {
    it('format: the body sets it, the metadata fills it in, the body wins over the metadata', () => {
      const md = metadata(spMetadataXml({ nameIdFormats: [NAMEID.transient] }));
      assert.equal(settings('saml2', { ...SP, nameIdFormat: NAMEID.unspecified }).nameIdFormat, NAMEID.unspecified);
      assert.equal(settings('saml2', {}, { metadata: md }).nameIdFormat, NAMEID.transient);
      assert.equal(settings('saml2', { nameIdFormat: NAMEID.persistent }, { metadata: md }).nameIdFormat, NAMEID.persistent);
    });

    it('source: a standard attribute or a custom one the directory knows; anything else lists the valid names', () => {
      assert.equal(settings('saml2', { ...SP, nameIdSource: 'employeeIdentifier' }).nameIdSource, 'employeeIdentifier');
      assert.equal(settings('saml2', { ...SP, nameIdSource: 'custom:badge' }, { customNames: ['badge'] }).nameIdSource, 'custom:badge');
      const [problem] = problems('saml2', { ...SP, nameIdSource: 'custom:badge' });
      assert.equal(problem?.field, 'nameIdSource');
      assert.match(
        problem?.message ?? '',
        /^unknown directory attribute "custom:badge"; valid names: .*email.*; custom: no custom attributes yet$/,
      );
    });

    it('a stored custom source that has since gone does not block an unrelated change', () => {
      const current = settings('saml2', { ...SP, nameIdSource: 'custom:badge' }, { customNames: ['badge'] });
      assert.equal(settings('saml2', { name: 'Renamed' }, { current }).nameIdSource, 'custom:badge');
    });
  });

  describe('signing', () => {
    it('never issues an unsigned assertion', () => {
      assert.deepEqual(problems('saml2', { ...SP, signAssertion: false, signResponse: false }), [
        { field: 'signResponse', message: 'sign the response, the assertion or both; unsigned assertions are never issued' },
      ]);
    });

    it('GitHub wants exactly one signature: both is refused, either alone is accepted', () => {
      assert.deepEqual(problems('github-enterprise-cloud', { ...SP, signResponse: true, signAssertion: true }), [
        { field: 'signResponse', message: 'this SP wants exactly one signature: sign the Response or the Assertion, not both' },
      ]);
      const github = settings('github-enterprise-cloud', SP);
      assert.deepEqual([github.signResponse, github.signAssertion], [false, true]);
      const swapped = settings('github-enterprise-cloud', { ...SP, signResponse: true, signAssertion: false });
      assert.deepEqual([swapped.signResponse, swapped.signAssertion], [true, false]);
    });

    it('Slack requires a signed Response, Datadog a signed Assertion, each named by its field', () => {
      assert.deepEqual(problems('slack', { ...SP, signResponse: false, signAssertion: true }), [
        { field: 'signResponse', message: 'this SP requires a signed Response' },
      ]);
      assert.deepEqual(problems('datadog', { ...SP, signAssertion: false }), [
        { field: 'signAssertion', message: 'this SP requires a signed Assertion' },
      ]);
    });

    it('takes the signature algorithm as given', () => {
      assert.equal(settings('saml2', { ...SP, signatureAlgorithm: 'rsa-sha512' }).signatureAlgorithm, 'rsa-sha512');
    });
  });

  describe('certificates', () => {
    it('stores signing certificates in canonical PEM, once each, whatever their line breaks', () => {
      const folded = `-----BEGIN CERTIFICATE-----\n${derBase64(cert)}\n-----END CERTIFICATE-----`;
      const decided = settings('saml2', { ...SP, spSigningCertificates: [folded, cert, cert2] });
      assert.deepEqual(decided.spSigningCertificates, [cert, cert2]);
    });

    it('names each unreadable certificate by its index', () => {
      assert.deepEqual(problems('saml2', { ...SP, spSigningCertificates: [cert, 'not a certificate'] }), [
        { field: 'spSigningCertificates.1', message: 'must be exactly one PEM certificate (-----BEGIN CERTIFICATE----- ...)' },
      ]);
    });

    it('refuses an RSA key under 2048 bits for signing as for encryption, naming the field; from metadata too', async () => {
      const weak = await testCertificate('rsa', 1024);
      const refusal = 'holds a 1024-bit RSA key; at least 2048 bits are needed';
      assert.deepEqual(problems('saml2', { ...SP, spSigningCertificates: [cert, weak] }), [
        { field: 'spSigningCertificates.1', message: refusal },
      ]);
      assert.deepEqual(problems('saml2', { ...SP, encryptionCertificate: weak }), [{ field: 'encryptionCertificate', message: refusal }]);
      assert.deepEqual(readMetadata(spMetadataXml({ signing: weak })), {
        refusal: {
          message: `Invalid SP metadata: signing certificate: ${refusal}`,
          problems: [{ field: 'metadataXml', message: `signing certificate: ${refusal}` }],
        },
      });
      // EC keys stay accepted for signing; 2048 bits and more for RSA.
      assert.equal(
        settings('saml2', { ...SP, spSigningCertificates: [await testCertificate('ec'), await testCertificate('rsa', 3072)] })
          .spSigningCertificates.length,
        2,
      );
    });

    it('requires a signing certificate to require signed requests', () => {
      assert.deepEqual(problems('saml2', { ...SP, requireSignedRequests: true }), [
        {
          field: 'requireSignedRequests',
          message: "register the SP's signing certificate (spSigningCertificates) to require signed requests",
        },
      ]);
      assert.equal(settings('saml2', { ...SP, requireSignedRequests: true, spSigningCertificates: [cert] }).requireSignedRequests, true);
    });

    it('takes an encryption certificate, clears it with null, and refuses it for an SP that cannot decrypt (Miro)', () => {
      const current = settings('saml2', { ...SP, encryptionCertificate: cert });
      assert.equal(current.encryptionCertificate, cert);
      assert.equal(settings('saml2', { encryptionCertificate: null }, { current }).encryptionCertificate, null);
      assert.deepEqual(problems('miro', { ...SP, encryptionCertificate: cert, signResponse: false }), [
        { field: 'encryptionCertificate', message: 'Miro does not accept encrypted assertions' },
      ]);
    });

    it('takes the metadata certificates and AuthnRequestsSigned, unless the body sets them', () => {
      const md = metadata(spMetadataXml({ signing: cert, encryption: cert2, authnRequestsSigned: true }));
      const decided = settings('saml2', {}, { metadata: md });
      assert.deepEqual(
        [decided.spSigningCertificates, decided.requireSignedRequests, decided.encryptionCertificate],
        [[cert], true, cert2],
      );
      assert.equal(settings('saml2', { encryptionCertificate: null }, { metadata: md }).encryptionCertificate, null);
      // An SP that cannot decrypt gets no encryption from its metadata either.
      assert.equal(settings('miro', { signResponse: false }, { metadata: md }).encryptionCertificate, null);
    });
  });

  describe('RelayState and IdP-initiated sign-in', () => {
    it('sets and clears the default RelayState, and switches IdP-initiated sign-in', () => {
      const current = settings('saml2', { ...SP, defaultRelayState: '/home', idpInitiatedAllowed: false });
      assert.deepEqual([current.defaultRelayState, current.idpInitiatedAllowed], ['/home', false]);
      assert.equal(settings('saml2', { defaultRelayState: null }, { current }).defaultRelayState, null);
    });

    it("takes the caller's RelayState for IdP-initiated sign-in only where the application opts in", () => {
      const current = settings('saml2', SP);
      assert.equal(current.idpInitiatedRelayStateFromCaller, false);
      const optedIn = settings('saml2', { idpInitiatedRelayStateFromCaller: true }, { current });
      assert.equal(optedIn.idpInitiatedRelayStateFromCaller, true);
      assert.equal(
        settings('saml2', { idpInitiatedRelayStateFromCaller: false }, { current: optedIn }).idpInitiatedRelayStateFromCaller,
        false,
      );
      assert.deepEqual(
        UpdateApplicationBody.safeParse({ idpInitiatedRelayStateFromCaller: 'yes' }).error?.issues.map((i) => i.path.join('.')),
        ['idpInitiatedRelayStateFromCaller'],
      );
    });

    it('refuses a default RelayState longer than the IdP echoes (1024 bytes)', () => {
      assert.equal(UpdateApplicationBody.safeParse({ defaultRelayState: 'é'.repeat(512) }).success, true);
      const refused = UpdateApplicationBody.safeParse({ defaultRelayState: 'é'.repeat(513) });
      assert.deepEqual(
        refused.error?.issues.map((i) => [i.path.join('.'), i.message]),
        [['defaultRelayState', 'at most 1024 bytes']],
      );
    });
  });

  describe('the portal', () => {
    it('shows a new application under its name, without a colour or launch URL', () => {
      const decided = settings('saml2', SP);
      assert.deepEqual([decided.portalVisible, decided.portalLabel, decided.portalColor, decided.launchUrl], [true, null, null, null]);
    });

    it('sets, changes and clears the launch URL, label, colour and visibility', () => {
      const current = settings('saml2', {
        ...SP,
        launchUrl: 'https://sp.example.com/login?from=portal',
        portalLabel: 'Wiki',
        portalColor: '#1A73e8',
        portalVisible: false,
      });
      assert.deepEqual(
        [current.launchUrl, current.portalLabel, current.portalColor, current.portalVisible],
        ['https://sp.example.com/login?from=portal', 'Wiki', '#1A73e8', false],
      );
      const cleared = settings('saml2', { launchUrl: null, portalLabel: null, portalColor: null, portalVisible: true }, { current });
      assert.deepEqual([cleared.launchUrl, cleared.portalLabel, cleared.portalColor, cleared.portalVisible], [null, null, null, true]);
      assert.equal(settings('saml2', { portalColor: '#18e' }, { current }).portalColor, '#18e');
    });

    it('takes a launch URL on https, or http on localhost and 127.0.0.1, as the other SP URLs', () => {
      for (const url of ['http://localhost:4100/login?app=1', 'http://127.0.0.1/start', 'https://sp.example.com/']) {
        assert.equal(settings('saml2', { ...SP, launchUrl: url }).launchUrl, url);
      }
      const refused: Array<[string, string]> = [
        ['javascript:alert(1)', 'must use https, not javascript'],
        ['JavaScript:alert(1)', 'must use https, not javascript'],
        ['data:text/html,x', 'must use https, not data'],
        ['http://sp.example.com/login', 'must use https (http is allowed only for localhost and 127.0.0.1)'],
        ['https://user:pw@sp.example.com/', 'must not contain a user name or password'],
        ['https://sp.example.com/#x', 'must not contain a fragment (#)'],
        ['/login', 'is not an absolute URL'],
        ['https://sp.example.com/"><script>', 'must not contain spaces, quotes, backslashes or angle brackets'],
      ];
      for (const [url, message] of refused) {
        assert.deepEqual(problems('saml2', { ...SP, launchUrl: url }), [{ field: 'launchUrl', message }], url);
      }
    });

    it("a connector's launch path gives a new application its launch URL, on its ACS URL's origin, and IdP-initiated sign-in off where the SP refuses it (demo-sp)", () => {
      const id = '5a0e4f8e-3c1b-4d5e-9f00-0123456789ab';
      const demo = { spEntityId: 'http://localhost:4100/saml/metadata', acsUrls: ['http://localhost:4100/saml/acs'] };
      const created = settings('demo-sp', demo, { applicationId: id });
      assert.deepEqual([created.launchUrl, created.idpInitiatedAllowed], [`http://localhost:4100/login?app=${id}`, false]);
      const elsewhere = settings('demo-sp', { ...demo, acsUrls: ['https://demo.example.com:8443/saml/acs'] }, { applicationId: id });
      assert.equal(elsewhere.launchUrl, `https://demo.example.com:8443/login?app=${id}`);
      // The body wins, null included; a change keeps what the application has.
      assert.equal(settings('demo-sp', { ...demo, launchUrl: null }, { applicationId: id }).launchUrl, null);
      assert.equal(settings('demo-sp', { ...demo, idpInitiatedAllowed: true }, { applicationId: id }).idpInitiatedAllowed, true);
      const cleared = settings('demo-sp', { launchUrl: null }, { current: created, applicationId: id });
      assert.equal(settings('demo-sp', { name: 'Renamed' }, { current: cleared, applicationId: id }).launchUrl, null);
      // Connectors without a launch path leave it unset and IdP-initiated sign-in on.
      const generic = settings('saml2', SP, { applicationId: id });
      assert.deepEqual([generic.launchUrl, generic.idpInitiatedAllowed], [null, true]);
    });

    it('takes a hex colour only', () => {
      for (const color of ['red', '#12345', '#1234567', '#ggg', '1a73e8', '#1a73e8;}body{', 'url(x)', '']) {
        assert.deepEqual(
          problems('saml2', { ...SP, portalColor: color }),
          [{ field: 'portalColor', message: 'must be a hex colour such as #1a73e8 or #18e' }],
          color,
        );
      }
    });

    it('refuses an empty label, and a wrong type for each option, naming the field', () => {
      assert.deepEqual(
        UpdateApplicationBody.safeParse({ portalLabel: '  ', portalVisible: 'no', launchUrl: 5, portalColor: 1 }).error?.issues.map((i) =>
          i.path.join('.'),
        ),
        ['launchUrl', 'portalVisible', 'portalLabel', 'portalColor'],
      );
      assert.equal(UpdateApplicationBody.parse({ portalLabel: ' Wiki ' }).portalLabel, 'Wiki');
    });

    it('an event from before these options reads with the defaults', () => {
      const old = ApplicationSnapshot.parse({
        name: 'Old',
        connectorId: 'saml2',
        spEntityId: SP.spEntityId,
        acsUrls: SP.acsUrls,
        nameIdFormat: NAMEID.email,
        nameIdSource: 'email',
        signAssertion: true,
        signResponse: true,
        active: true,
        attributes: [],
      });
      assert.deepEqual([old.launchUrl, old.portalVisible, old.portalLabel, old.portalColor], [null, true, null, null]);
    });
  });

  describe('single logout URL', () => {
    it('is checked like an ACS URL', () => {
      assert.deepEqual(problems('saml2', { ...SP, singleLogoutUrl: 'http://sp.example.com/slo' }), [
        { field: 'singleLogoutUrl', message: 'must use https (http is allowed only for localhost and 127.0.0.1)' },
      ]);
    });

    it('is refused for an SP without single logout (Slack), and not taken from its metadata', () => {
      assert.deepEqual(problems('slack', { ...SP, singleLogoutUrl: 'https://sp.example.com/slo' }), [
        { field: 'singleLogoutUrl', message: 'Slack does not support single logout' },
      ]);
      const md = metadata(spMetadataXml({ slo: [{ location: 'https://sp.example.com/slo', binding: 'Redirect' }] }));
      assert.equal(settings('slack', {}, { metadata: md }).singleLogoutUrl, null);
      assert.equal(settings('saml2', {}, { metadata: md }).singleLogoutUrl, 'https://sp.example.com/slo');
    });

    it('a bad value from the metadata is named metadataXml, with what it was', () => {
      const md = metadata(
        spMetadataXml({
          acs: [{ location: 'http://sp.example.com/acs' }],
          slo: [{ location: 'http://sp.example.com/slo', binding: 'Redirect' }],
        }),
      );
      assert.deepEqual(problems('saml2', {}, { metadata: md }), [
        { field: 'metadataXml', message: 'acsUrls from the metadata: must use https (http is allowed only for localhost and 127.0.0.1)' },
        {
          field: 'metadataXml',
          message: 'singleLogoutUrl from the metadata: must use https (http is allowed only for localhost and 127.0.0.1)',
        },
      ]);
    });
  });

  describe('attribute mappings', () => {
    it('generic connector: the admin maps any SP name to a directory attribute or a constant', () => {
      const decided = settings('saml2', {
        ...SP,
        attributes: [
          { spName: 'mail', source: 'email' },
          { spName: 'tier', constant: 'gold', required: true },
        ],
      });
      assert.deepEqual(decided.attributes, [
        { spName: 'mail', source: 'email', constant: null, enabled: true, required: false, multiValued: false },
        { spName: 'tier', source: null, constant: 'gold', enabled: true, required: true, multiValued: false },
      ]);
    });

    it('generic connector: an unknown directory attribute is refused at its index', () => {
      const [problem] = problems('saml2', { ...SP, attributes: [{ spName: 'mail', source: 'mailbox' }] });
      assert.equal(problem?.field, 'attributes.0.source');
      assert.match(problem?.message ?? '', /^unknown directory attribute "mailbox"; valid names: /);
    });

    it('generic connector: requested attributes of the metadata are mapped when a directory attribute obviously holds them', () => {
      const md = metadata(
        spMetadataXml({
          requested: [
            { name: 'urn:oid:0.9.2342.19200300.100.1.3', friendlyName: 'mail', required: true },
            { name: 'favouriteColour', required: true },
          ],
        }),
      );
      assert.deepEqual(problems('saml2', {}, { metadata: md }), [
        {
          field: 'metadataXml',
          message:
            'the SP requires attribute "favouriteColour" and no directory attribute obviously holds it; map it in attributes: [{ "spName": "favouriteColour", "source": ... }]',
        },
      ]);
      const decided = settings('saml2', { attributes: [{ spName: 'favouriteColour', constant: 'blue' }] }, { metadata: md });
      assert.deepEqual(
        decided.attributes.map((m) => [m.spName, m.source ?? m.constant, m.required]),
        [
          ['favouriteColour', 'blue', false],
          ['urn:oid:0.9.2342.19200300.100.1.3', 'email', true],
        ],
      );
    });

    it('pre-built connector: its attributes come pre-filled and on; their SP names cannot be renamed', () => {
      const zoom = settings('zoom', SP);
      assert.deepEqual(
        zoom.attributes.map((m) => [m.spName, m.enabled, m.required]),
        [
          ['Email', true, true],
          ['FirstName', true, false],
          ['LastName', true, false],
        ],
      );
      assert.deepEqual(problems('zoom', { ...SP, attributes: [{ spName: 'Email', renameTo: 'mail' }] }), [
        {
          field: 'attributes.0.renameTo',
          message:
            '"Email" is the name the SP expects and is fixed by the connector; change its source or constant, or switch it off with enabled: false',
        },
      ]);
      const off = settings('zoom', { ...SP, attributes: [{ spName: 'FirstName', enabled: false }] });
      assert.equal(off.attributes.find((m) => m.spName === 'FirstName')?.enabled, false);
    });

    it("AWS: the Role attribute stays multi-valued and its example ARN must be made the organisation's own", () => {
      const role = 'https://aws.amazon.com/SAML/Attributes/Role';
      const [placeholder] = problems('aws-iam', SP);
      assert.equal(placeholder?.field, 'attributes');
      assert.match(
        placeholder?.message ?? '',
        /^"https:\/\/aws\.amazon\.com\/SAML\/Attributes\/Role": replace \{accountId\}, \{roleName\}, \{providerName\}/,
      );
      const arn = 'arn:aws:iam::123456789012:role/Sso,arn:aws:iam::123456789012:saml-provider/Jit';
      assert.deepEqual(problems('aws-iam', { ...SP, attributes: [{ spName: role, constant: arn, multiValued: false }] }), [
        { field: 'attributes.0.multiValued', message: `the SP expects "${role}" multi-valued (one AttributeValue per value)` },
      ]);
      const aws = settings('aws-iam', { ...SP, attributes: [{ spName: role, constant: arn }] });
      assert.deepEqual(
        aws.attributes.find((m) => m.spName === role),
        {
          spName: role,
          source: null,
          constant: arn,
          enabled: true,
          required: true,
          multiValued: true,
        },
      );
    });

    it('a groups attribute may not reuse a mapping SP name', () => {
      assert.deepEqual(
        problems('saml2', { ...SP, attributes: [{ spName: 'groups', source: 'department' }], groupsAttribute: { spName: 'groups' } }),
        [{ field: 'groupsAttribute.spName', message: '"groups" is already an attribute mapping' }],
      );
      assert.deepEqual(settings('saml2', { ...SP, groupsAttribute: { spName: 'groups' } }).groupsAttribute, {
        spName: 'groups',
        filter: null,
      });
    });
  });

  it('one refusal lists every bad field: the options first, the mappings last', () => {
    const decided = decide('saml2', {
      ...SP,
      nameIdSource: 'nope',
      signAssertion: false,
      signResponse: false,
      attributes: [{ spName: 'x', source: 'nope' }],
    });
    assert.ok('problems' in decided);
    assert.equal(decided.message, 'Invalid application: nameIdSource, signResponse, attributes.0.source');
  });
});
