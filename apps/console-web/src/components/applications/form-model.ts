import { z } from 'zod';
import type { paths as CatalogPaths } from '../../api/catalog';
import { MFA_AUTHN_CONTEXTS, NAME_ID_FORMATS, type Application, type Connector } from './types';

/**
 * The application form's values and how they become the catalog's bodies. One model for
 * Create New Application Integration and for editing an application: the rows of the attributes
 * table keep the order they are sent in, so the catalog's `attributes.<n>.<field>` errors land on
 * row n.
 */

export type CreateBody = CatalogPaths['/v1/applications']['post']['requestBody']['content']['application/json'];
export type UpdateBody = NonNullable<CatalogPaths['/v1/applications/{id}']['patch']['requestBody']>['content']['application/json'];
type MappingInput = NonNullable<CreateBody['attributes']>[number];

const AttributeRow = z
  .object({
    spName: z.string().trim().min(1, 'Type the name the SP expects').max(512),
    /** The name the catalog already has for this row (the connector's or the stored one); null for a row added here. */
    origin: z.string().nullable(),
    /** A pre-built connector's attribute: the SP expects exactly this name, and whether it is required is the connector's. */
    locked: z.boolean(),
    valueKind: z.enum(['source', 'constant']),
    source: z.string(),
    constant: z.string().max(2048),
    enabled: z.boolean(),
    required: z.boolean(),
    notes: z.string(),
  })
  .superRefine((row, ctx) => {
    // A switched-off connector row needs no value; any other row sends one.
    if (row.locked && !row.enabled) return;
    if (row.valueKind === 'source' && row.source === '') {
      ctx.addIssue({ code: 'custom', path: ['source'], message: 'Choose a directory attribute' });
    }
    if (row.valueKind === 'constant' && row.constant.trim() === '') {
      ctx.addIssue({ code: 'custom', path: ['constant'], message: 'Type the constant value' });
    }
  });
export type AttributeRow = z.infer<typeof AttributeRow>;

const optionalUrl = z.string().max(2048);

export function applicationSchema(mode: 'create' | 'edit') {
  return z
    .object({
      name: z.string().trim().min(1, 'Give the application a display label').max(200),
      active: z.boolean(),
      portalVisible: z.boolean(),
      portalLabel: z.string().max(100),
      launchUrl: optionalUrl,
      portalColor: z.string().regex(/^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6})?$/, 'A colour as #rgb or #rrggbb'),
      spSource: z.enum(['manual', 'metadata']),
      spEntityId: z.string().max(1024),
      acsUrls: z.array(z.object({ url: z.string().max(2048) })).max(20, 'At most 20 ACS URLs'),
      metadataXml: z.string().max(200_000, 'SP metadata is at most 200,000 characters'),
      metadataFilename: z.string(),
      nameIdFormat: z.enum(NAME_ID_FORMATS),
      nameIdSource: z.string().min(1, 'Choose the directory attribute the NameID carries'),
      signResponse: z.boolean(),
      signAssertion: z.boolean(),
      signatureAlgorithm: z.enum(['rsa-sha256', 'rsa-sha512']),
      requireSignedRequests: z.boolean(),
      spSigningCertificates: z.string().max(5 * 16_384),
      encryptAssertions: z.boolean(),
      encryptionCertificate: z.string().max(16_384),
      singleLogoutUrl: optionalUrl,
      defaultRelayState: z.string().max(1024),
      idpInitiatedAllowed: z.boolean(),
      mfaRequired: z.boolean(),
      mfaPhishingResistant: z.boolean(),
      mfaAuthnContext: z.enum(MFA_AUTHN_CONTEXTS),
      attributes: z.array(AttributeRow).max(100, 'At most 100 attributes'),
    })
    .superRefine((v, ctx) => {
      const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
      if (v.spSource === 'manual') {
        if (v.spEntityId.trim() === '') issue(['spEntityId'], 'Type the SP entity ID (its metadata calls it entityID)');
        if (v.acsUrls.length === 0) issue(['acsUrls'], 'Add at least one ACS URL');
        v.acsUrls.forEach((a, i) => {
          if (a.url.trim() === '') issue(['acsUrls', i, 'url'], 'Type the URL or remove the row');
        });
      } else if (mode === 'create' && v.metadataXml.trim() === '') {
        issue(['metadataXml'], 'Choose the SP metadata file or paste its XML');
      }
      if (!v.signResponse && !v.signAssertion) issue(['signAssertion'], 'Sign the Response, the Assertion, or both');
      if (v.encryptAssertions && v.encryptionCertificate.trim() === '' && v.spSource === 'manual') {
        issue(['encryptionCertificate'], "Paste the SP's encryption certificate (PEM), or switch encryption off");
      }
      const names = v.attributes.map((a) => a.spName.trim());
      names.forEach((name, i) => {
        if (name !== '' && names.indexOf(name) !== i) issue(['attributes', i, 'spName'], `"${name}" appears twice`);
      });
    });
}
export type ApplicationFormValues = z.infer<ReturnType<typeof applicationSchema>>;

/** The form's field names the catalog's `details` may name (applyApiErrors places those beside their fields). */
export const API_FIELDS = [
  'name',
  'active',
  'portalVisible',
  'portalLabel',
  'launchUrl',
  'portalColor',
  'spEntityId',
  'acsUrls',
  'metadataXml',
  'nameIdFormat',
  'nameIdSource',
  'signResponse',
  'signAssertion',
  'signatureAlgorithm',
  'requireSignedRequests',
  'spSigningCertificates',
  'encryptionCertificate',
  'singleLogoutUrl',
  'defaultRelayState',
  'idpInitiatedAllowed',
  'mfaRequired',
  'mfaPhishingResistant',
  'mfaAuthnContext',
  'attributes',
] as const;

function rowFromConnector(a: Connector['attributes'][number]): AttributeRow {
  return {
    spName: a.spName,
    origin: a.spName,
    locked: !a.editable,
    valueKind: a.constant !== undefined ? 'constant' : 'source',
    source: a.source ?? '',
    constant: a.constant ?? '',
    enabled: a.enabled,
    required: a.required,
    notes: a.notes ?? '',
  };
}

/** A new application of the connector: its defaults, its attributes pre-filled (JIT-required ones on). */
export function defaultsFromConnector(connector: Connector): ApplicationFormValues {
  return {
    name: connector.name,
    active: true,
    portalVisible: true,
    portalLabel: '',
    launchUrl: '',
    portalColor: '',
    spSource: 'manual',
    spEntityId: '',
    acsUrls: [{ url: '' }],
    metadataXml: '',
    metadataFilename: '',
    nameIdFormat: connector.nameIdFormat,
    nameIdSource: connector.nameIdSource,
    signResponse: connector.signing !== 'assertion',
    signAssertion: connector.signing !== 'response',
    signatureAlgorithm: 'rsa-sha256',
    requireSignedRequests: false,
    spSigningCertificates: '',
    encryptAssertions: false,
    encryptionCertificate: '',
    singleLogoutUrl: '',
    defaultRelayState: '',
    idpInitiatedAllowed: connector.rules.idpInitiated,
    mfaRequired: false,
    mfaPhishingResistant: false,
    mfaAuthnContext: 'refeds-mfa',
    attributes: connector.attributes.map(rowFromConnector),
  };
}

/** An existing application, as the form edits it. */
export function defaultsFromApplication(app: Application, connector: Connector | undefined): ApplicationFormValues {
  const notes = new Map((connector?.attributes ?? []).map((a) => [a.spName, a.notes ?? '']));
  return {
    name: app.name,
    active: app.active,
    portalVisible: app.portalVisible,
    portalLabel: app.portalLabel ?? '',
    launchUrl: app.launchUrl ?? '',
    portalColor: app.portalColor ?? '',
    spSource: 'manual',
    spEntityId: app.spEntityId,
    acsUrls: app.acsUrls.map((url) => ({ url })),
    metadataXml: '',
    metadataFilename: '',
    nameIdFormat: (NAME_ID_FORMATS as readonly string[]).includes(app.nameIdFormat)
      ? (app.nameIdFormat as ApplicationFormValues['nameIdFormat'])
      : NAME_ID_FORMATS[1],
    nameIdSource: app.nameIdSource,
    signResponse: app.signResponse,
    signAssertion: app.signAssertion,
    signatureAlgorithm: app.signatureAlgorithm,
    requireSignedRequests: app.requireSignedRequests,
    spSigningCertificates: app.spSigningCertificates.join('\n'),
    encryptAssertions: app.encryptionCertificate !== null,
    encryptionCertificate: app.encryptionCertificate ?? '',
    singleLogoutUrl: app.singleLogoutUrl ?? '',
    defaultRelayState: app.defaultRelayState ?? '',
    idpInitiatedAllowed: app.idpInitiatedAllowed,
    mfaRequired: app.mfaRequired,
    mfaPhishingResistant: app.mfaPhishingResistant,
    mfaAuthnContext: app.mfaAuthnContext,
    attributes: app.attributes.map((m) => ({
      spName: m.spName,
      origin: m.spName,
      locked: !m.editable,
      valueKind: m.constant !== null ? 'constant' : 'source',
      source: m.source ?? '',
      constant: m.constant ?? '',
      enabled: m.enabled,
      required: m.required,
      notes: notes.get(m.spName) ?? '',
    })),
  };
}

/** The PEM certificates in a pasted text; the text itself when it holds none (the catalog then says what is wrong). */
export function splitCertificates(text: string): string[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  if (blocks) return blocks;
  return text.trim() === '' ? [] : [text.trim()];
}

function mappingInput(row: AttributeRow): MappingInput {
  const value =
    row.valueKind === 'source'
      ? row.source !== ''
        ? { source: row.source }
        : {}
      : row.constant.trim() !== ''
        ? { constant: row.constant }
        : {};
  const spName = row.spName.trim();
  if (row.locked) return { spName: row.origin ?? spName, enabled: row.enabled, ...value };
  const named = row.origin !== null && row.origin !== spName ? { spName: row.origin, renameTo: spName } : { spName };
  return { ...named, enabled: row.enabled, required: row.required, ...value };
}

/**
 * The attribute entries in row order, then a removal for each name the catalog has (the connector's
 * defaults on create, the stored rows on edit) that the table no longer lists.
 */
export function attributeInputs(rows: readonly AttributeRow[], known: readonly string[]): MappingInput[] {
  const kept = new Set(rows.map((r) => r.origin).filter((o): o is string => o !== null));
  return [...rows.map(mappingInput), ...known.filter((name) => !kept.has(name)).map((spName) => ({ spName, remove: true as const }))];
}

const orNull = (text: string): string | null => (text.trim() === '' ? null : text.trim());

/** POST /v1/applications (or /from-metadata): empty optional fields are left out so the metadata or the connector's defaults apply. */
export function createBody(connector: Connector, v: ApplicationFormValues): CreateBody {
  const optional = (key: string, text: string) => (text.trim() === '' ? {} : { [key]: text.trim() });
  const certificates = splitCertificates(v.spSigningCertificates);
  return {
    connectorId: connector.id,
    name: v.name.trim(),
    active: v.active,
    portalVisible: v.portalVisible,
    ...optional('portalLabel', v.portalLabel),
    ...optional('launchUrl', v.launchUrl),
    ...optional('portalColor', v.portalColor),
    ...(v.spSource === 'manual'
      ? { spEntityId: v.spEntityId.trim(), acsUrls: v.acsUrls.map((a) => a.url.trim()) }
      : { metadataXml: v.metadataXml }),
    nameIdFormat: v.nameIdFormat,
    nameIdSource: v.nameIdSource,
    signResponse: v.signResponse,
    signAssertion: v.signAssertion,
    signatureAlgorithm: v.signatureAlgorithm,
    requireSignedRequests: v.requireSignedRequests,
    ...(certificates.length > 0 ? { spSigningCertificates: certificates } : {}),
    ...(connector.rules.encryption && v.encryptAssertions ? optional('encryptionCertificate', v.encryptionCertificate) : {}),
    ...(connector.rules.singleLogout ? optional('singleLogoutUrl', v.singleLogoutUrl) : {}),
    ...(v.defaultRelayState !== '' ? { defaultRelayState: v.defaultRelayState } : {}),
    idpInitiatedAllowed: v.idpInitiatedAllowed,
    mfaRequired: v.mfaRequired,
    mfaPhishingResistant: v.mfaPhishingResistant,
    mfaAuthnContext: v.mfaAuthnContext,
    attributes: attributeInputs(
      v.attributes,
      connector.attributes.map((a) => a.spName),
    ),
  };
}

/** PATCH /v1/applications/:id: every field as the form shows it (the catalog changes only what differs); emptied fields become null. */
export function updateBody(app: Application, connector: Connector | undefined, v: ApplicationFormValues): UpdateBody {
  const metadata = v.spSource === 'metadata' && v.metadataXml.trim() !== '';
  return {
    name: v.name.trim(),
    active: v.active,
    portalVisible: v.portalVisible,
    portalLabel: orNull(v.portalLabel),
    launchUrl: orNull(v.launchUrl),
    portalColor: orNull(v.portalColor),
    ...(metadata
      ? { metadataXml: v.metadataXml }
      : v.spSource === 'manual'
        ? { spEntityId: v.spEntityId.trim(), acsUrls: v.acsUrls.map((a) => a.url.trim()) }
        : {}),
    nameIdFormat: v.nameIdFormat,
    nameIdSource: v.nameIdSource,
    signResponse: v.signResponse,
    signAssertion: v.signAssertion,
    signatureAlgorithm: v.signatureAlgorithm,
    requireSignedRequests: v.requireSignedRequests,
    ...(metadata && v.spSigningCertificates.trim() === '' ? {} : { spSigningCertificates: splitCertificates(v.spSigningCertificates) }),
    ...(connector?.rules.encryption === false
      ? {}
      : { encryptionCertificate: v.encryptAssertions ? orNull(v.encryptionCertificate) : null }),
    ...(connector?.rules.singleLogout === false ? {} : { singleLogoutUrl: orNull(v.singleLogoutUrl) }),
    defaultRelayState: v.defaultRelayState === '' ? null : v.defaultRelayState,
    idpInitiatedAllowed: v.idpInitiatedAllowed,
    mfaRequired: v.mfaRequired,
    mfaPhishingResistant: v.mfaPhishingResistant,
    mfaAuthnContext: v.mfaAuthnContext,
    attributes: attributeInputs(
      v.attributes,
      app.attributes.map((a) => a.spName),
    ),
  };
}
