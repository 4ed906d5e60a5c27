import { z } from 'zod';
import { ApplicationSnapshot, PORTAL_COLOR, acsUrlProblem } from '@jit/catalog-contracts';
import type { FieldProblem } from '@jit/service';
import { signingProblem, type Connector } from '../connectors/connector';
import { fixedAttributes, isValidSource, resolveMappings, unknownSourceMessage, type MappingInput } from './attribute-mappings';
import type { UpdateApplicationBody } from './applications.dto';
import { checkCertificate } from './certificates';
import { MetadataError, parseSpMetadata, type SpMetadata } from './sp-metadata';

/**
 * Every option rule of an application, decided without a database: what the connector gives a
 * new application, what the SP's metadata fills in, what the body sets, the attribute mappings
 * and the rules a saved application must meet. The applications service reads what this needs
 * (the connector, the stored application, the custom attribute names the directory knows) and
 * stores what it decides.
 */

/** An application's options: exactly what the IdP receives (the contract's snapshot). */
export type ApplicationSettings = ApplicationSnapshot;

/** What both create and update may set (update: every field optional). */
export type OptionsBody = Omit<UpdateApplicationBody, 'name'> & { name?: string };

/** Why a body is refused: the error's message and one problem per bad field. */
export interface Refusal {
  message: string;
  problems: FieldProblem[];
}

export type Decision = { settings: ApplicationSettings } | { refusal: Refusal };

/** Options decided below, field by field; every other option of the snapshot is taken from the body as given. */
const DECIDED = new Set<keyof ApplicationSettings>([
  'connectorId',
  'nameIdSource',
  'groupsAttribute',
  'spSigningCertificates',
  'encryptionCertificate',
  'attributes',
  'acsIndexes',
]);
const COPIED = (Object.keys(ApplicationSnapshot.shape) as (keyof ApplicationSettings)[]).filter((key) => !DECIDED.has(key));

/** Reads the SP's metadata, or says why it cannot be used. */
export function readMetadata(xml: string): { metadata: SpMetadata } | { refusal: Refusal } {
  try {
    return { metadata: parseSpMetadata(xml) };
  } catch (error) {
    if (!(error instanceof MetadataError)) throw error;
    return { refusal: { message: `Invalid SP metadata: ${error.message}`, problems: [{ field: 'metadataXml', message: error.message }] } };
  }
}

/** A snapshot that need not have an ACS URL yet: the rules are checked once the body applied. */
const Unsaved = ApplicationSnapshot.extend({ acsUrls: z.array(z.string()) });

/**
 * A new application of the connector before the body applies: the connector's NameID and
 * signing defaults, the contract's defaults for the rest. ACS URLs and the entity ID come from
 * the body or the metadata; the attribute mappings from the connector (`decideApplication`).
 */
export function newApplicationSettings(connector: Connector, name: string): ApplicationSettings {
  return Unsaved.parse({
    name,
    connectorId: connector.id,
    spEntityId: '',
    acsUrls: [],
    nameIdFormat: connector.nameIdFormat,
    nameIdSource: connector.nameIdSource,
    signAssertion: connector.signing !== 'response',
    signResponse: connector.signing !== 'assertion',
    idpInitiatedAllowed: connector.rules.idpInitiated,
    active: true,
    attributes: [],
  });
}

/**
 * The application after `body`: `current` is the stored application, or null for a new one.
 * Fields the body sets win over the metadata, which wins over what was there.
 */
export function decideApplication(input: {
  connector: Connector;
  current: ApplicationSettings | null;
  body: OptionsBody;
  metadata: SpMetadata | null;
  customNames: readonly string[];
  /** A new application's id, which the connector's launch path may name. */
  applicationId?: string;
}): Decision {
  const { connector, current, body, metadata, customNames } = input;
  const settings = structuredClone(current ?? newApplicationSettings(connector, body.name ?? ''));
  const problems: FieldProblem[] = [];
  const fromMetadata = metadata ? applyMetadata(settings, connector, metadata, body) : new Set<string>();
  applyOptions(settings, body, customNames, problems);
  if (current === null && body.launchUrl === undefined)
    settings.launchUrl = connectorLaunchUrl(connector, settings.acsUrls, input.applicationId);
  const mappingProblems: FieldProblem[] = [];
  settings.attributes = mappings(connector, current?.attributes ?? null, metadata, body.attributes, customNames, mappingProblems);
  problems.push(...ruleProblems(settings, connector, fromMetadata));
  // Mapping problems last: the order a form shows its fields.
  problems.push(...mappingProblems);
  if (problems.length === 0) return { settings };
  return { refusal: { message: `Invalid application: ${[...new Set(problems.map((p) => p.field))].join(', ')}`, problems } };
}

/**
 * Takes what the SP's metadata says (entity ID, POST ACS URLs, certificates, signed requests,
 * NameID format, Redirect SLO URL), except where the same body sets a field itself or the
 * connector says the SP lacks the feature. Returns the fields it set.
 */
function applyMetadata(settings: ApplicationSettings, connector: Connector, metadata: SpMetadata, body: OptionsBody): Set<string> {
  const set = new Set<string>();
  const take = <K extends keyof ApplicationSettings & keyof OptionsBody>(key: K, value: ApplicationSettings[K]) => {
    if (body[key] !== undefined) return;
    settings[key] = value;
    set.add(key);
  };
  take('spEntityId', metadata.spEntityId);
  take('acsUrls', metadata.acsUrls);
  // Requests name an ACS by the metadata's index, which need not be its position.
  if (set.has('acsUrls')) settings.acsIndexes = metadata.acsIndexes;
  take('spSigningCertificates', metadata.spSigningCertificates);
  take('requireSignedRequests', metadata.requireSignedRequests && metadata.spSigningCertificates.length > 0);
  if (metadata.nameIdFormat) take('nameIdFormat', metadata.nameIdFormat);
  if (connector.rules.encryption) take('encryptionCertificate', metadata.encryptionCertificate);
  if (connector.rules.singleLogout) take('singleLogoutUrl', metadata.singleLogoutUrl);
  return set;
}

/** Copies the fields the body sets; certificates are read and stored in canonical PEM. */
function applyOptions(settings: ApplicationSettings, body: OptionsBody, customNames: readonly string[], problems: FieldProblem[]): void {
  for (const key of COPIED) {
    const value = (body as Partial<Record<keyof ApplicationSettings, unknown>>)[key];
    if (value !== undefined) Object.assign(settings, { [key]: value });
  }
  // URLs the admin lists are named by their position.
  if (body.acsUrls !== undefined) settings.acsIndexes = body.acsUrls.map((url, index) => ({ index, url }));
  // Checked only when set: a custom attribute that has since gone must not block unrelated edits.
  if (body.nameIdSource !== undefined) {
    if (!isValidSource(body.nameIdSource, customNames)) {
      problems.push({ field: 'nameIdSource', message: unknownSourceMessage(body.nameIdSource, customNames) });
    }
    settings.nameIdSource = body.nameIdSource;
  }
  if (body.groupsAttribute !== undefined) {
    settings.groupsAttribute = body.groupsAttribute && { spName: body.groupsAttribute.spName, filter: body.groupsAttribute.filter ?? null };
  }
  if (body.spSigningCertificates !== undefined) {
    const pems: string[] = [];
    body.spSigningCertificates.forEach((pem, i) => {
      const checked = checkCertificate(pem, 'signing');
      if ('problem' in checked) problems.push({ field: `spSigningCertificates.${i}`, message: checked.problem });
      else if (!pems.includes(checked.pem)) pems.push(checked.pem);
    });
    settings.spSigningCertificates = pems;
  }
  if (body.encryptionCertificate !== undefined) {
    if (body.encryptionCertificate === null) {
      settings.encryptionCertificate = null;
    } else {
      const checked = checkCertificate(body.encryptionCertificate, 'encryption');
      if ('problem' in checked) problems.push({ field: 'encryptionCertificate', message: checked.problem });
      else settings.encryptionCertificate = checked.pem;
    }
  }
}

/**
 * The attribute mappings after the metadata's RequestedAttributes (isRequired="true" makes a
 * required mapping) and then the body's entries, which win for the same SP name.
 */
function mappings(
  connector: Connector,
  current: ApplicationSettings['attributes'] | null,
  metadata: SpMetadata | null,
  inputs: MappingInput[] | undefined,
  customNames: readonly string[],
  problems: FieldProblem[],
): ApplicationSettings['attributes'] {
  const own = inputs ?? [];
  const fromMetadata: MappingInput[] = [];
  const fixed = fixedAttributes(connector);
  for (const requested of metadata?.requestedAttributes ?? []) {
    // The connector's own attributes already say what this SP needs; the admin's entries win.
    if (fixed.has(requested.name) || own.some((i) => i.spName === requested.name)) continue;
    const existing = current?.find((m) => m.spName === requested.name);
    if (existing) {
      fromMetadata.push({ spName: requested.name, required: requested.required });
    } else if (requested.guessedSource) {
      fromMetadata.push({ spName: requested.name, source: requested.guessedSource, required: requested.required });
    } else if (requested.required) {
      problems.push({
        field: 'metadataXml',
        message: `the SP requires attribute "${requested.name}" and no directory attribute obviously holds it; map it in attributes: [{ "spName": "${requested.name}", "source": ... }]`,
      });
    }
  }
  // Entries from the metadata come after the body's, so that problems keep the body's indexes.
  const { mappings: resolved, problems: found } = resolveMappings(connector, current, [...own, ...fromMetadata], customNames);
  for (const p of found) {
    const index = /^attributes\.(\d+)/.exec(p.field);
    problems.push(index && Number(index[1]) >= own.length ? { field: 'metadataXml', message: p.message } : p);
  }
  return resolved;
}

/** The rules an application must meet on save, each broken one as a problem naming its field. */
function ruleProblems(settings: ApplicationSettings, connector: Connector, fromMetadata: Set<string>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const field = (name: string, suffix = '') => (fromMetadata.has(name) ? 'metadataXml' : name + suffix);
  const context = (name: string) => (fromMetadata.has(name) ? `${name} from the metadata: ` : '');
  settings.acsUrls.forEach((url, i) => {
    const problem = acsUrlProblem(url);
    if (problem) problems.push({ field: field('acsUrls', `.${i}`), message: `${context('acsUrls')}${problem}` });
  });
  if (settings.acsUrls.length === 0) problems.push({ field: field('acsUrls'), message: 'register at least one ACS URL' });
  if (new Set(settings.acsUrls).size !== settings.acsUrls.length) problems.push({ field: field('acsUrls'), message: 'lists a URL twice' });
  if (settings.singleLogoutUrl !== null) {
    const problem = acsUrlProblem(settings.singleLogoutUrl);
    if (problem) problems.push({ field: field('singleLogoutUrl'), message: `${context('singleLogoutUrl')}${problem}` });
    else if (!connector.rules.singleLogout)
      problems.push({ field: 'singleLogoutUrl', message: `${connector.name} does not support single logout` });
  }
  if (settings.launchUrl !== null) {
    const problem = launchUrlProblem(settings.launchUrl);
    if (problem) problems.push({ field: 'launchUrl', message: problem });
  }
  if (settings.portalColor !== null) {
    const problem = portalColorProblem(settings.portalColor);
    if (problem) problems.push({ field: 'portalColor', message: problem });
  }
  if (!settings.signAssertion && !settings.signResponse) {
    problems.push({ field: 'signResponse', message: 'sign the response, the assertion or both; unsigned assertions are never issued' });
  } else {
    const problem = signingProblem(connector.rules, settings.signResponse, settings.signAssertion);
    if (problem) problems.push({ field: connector.rules.signatures === 'assertion' ? 'signAssertion' : 'signResponse', message: problem });
  }
  if (settings.requireSignedRequests && settings.spSigningCertificates.length === 0) {
    problems.push({
      field: 'requireSignedRequests',
      message: "register the SP's signing certificate (spSigningCertificates) to require signed requests",
    });
  }
  if (settings.encryptionCertificate !== null && !connector.rules.encryption) {
    problems.push({ field: 'encryptionCertificate', message: `${connector.name} does not accept encrypted assertions` });
  }
  if (settings.groupsAttribute && settings.attributes.some((m) => m.spName === settings.groupsAttribute?.spName)) {
    problems.push({ field: 'groupsAttribute.spName', message: `"${settings.groupsAttribute.spName}" is already an attribute mapping` });
  }
  return problems;
}

/**
 * The application's own sign-in address, where the portal sends a person when IdP-initiated
 * sign-in is not allowed: the browser follows it from the IdP's page, so it meets the rule of
 * every SP endpoint the IdP renders (https, or http for localhost; no script, credentials or
 * fragment). Null when acceptable.
 */
export function launchUrlProblem(value: string): string | null {
  return acsUrlProblem(value);
}

/** A portal tile's colour: a hex colour only, so that the IdP can write it into its stylesheet. */
export function portalColorProblem(value: string): string | null {
  return PORTAL_COLOR.test(value) ? null : 'must be a hex colour such as #1a73e8 or #18e';
}

/**
 * A new application's launch URL from its connector's launch path (demo-sp: its /login?app=<id>),
 * on the origin of its first ACS URL: the SP's own host, wherever it runs. Null when the connector
 * has none or the ACS URL cannot be read (its own rule then refuses it).
 */
export function connectorLaunchUrl(connector: Connector, acsUrls: readonly string[], applicationId: string | undefined): string | null {
  const acsUrl = acsUrls[0];
  if (connector.launchPath === null || acsUrl === undefined || applicationId === undefined) return null;
  try {
    return new URL(connector.launchPath.replace('{applicationId}', encodeURIComponent(applicationId)), acsUrl).href;
  } catch {
    return null;
  }
}
