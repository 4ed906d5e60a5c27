import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import { type FreshnessGate, NatsBus, Outbox, type OutboxTransaction } from '@jit/messaging';
import { setVersionedLink } from '@jit/persistence';
import { ApplicationSnapshot, CatalogEvents } from '@jit/catalog-contracts';
import { DirectoryRpc } from '@jit/directory-contracts';
import { DomainError, ErrorCode, notFound, type FieldProblem, type ListQuery, type Page } from '@jit/service';
import { findConnector, signingProblem, type Connector } from '../connectors/connector';
import { DirectoryReplicaService } from '../directory-replica/directory-replica.service';
import { REPLICA_FRESHNESS } from '../directory-replica/directory-replica.module';
import { acsUrlProblem } from './acs-url';
import {
  CUSTOM_PREFIX,
  fixedAttributes,
  isValidSource,
  resolveMappings,
  unknownSourceMessage,
  type MappingInput,
} from './attribute-mappings';
import { Application, ApplicationGroup } from './application.entity';
import type { CreateApplicationBody, UpdateApplicationBody } from './applications.dto';
import { checkCertificate } from './certificates';
import { missingForUser, type Lack } from './jit-readiness';
import { MetadataError, parseSpMetadata, type SpMetadata } from './sp-metadata';

export type ApplicationView = ReturnType<typeof toView>;

/** What both create and update may set (update: every field optional). */
type OptionsBody = Omit<UpdateApplicationBody, 'name'> & { name?: string };

export interface ReadinessReport extends Page<{ userId: string; username: string; email: string; missing: Lack[] }> {
  applicationId: string;
  /** ACTIVATED members of the groups bound to the application. */
  authorisedUsers: number;
}

/** JIT readiness of one application as the list shows it. */
interface ReadinessCount {
  usersLacking: number;
  authorisedUsers: number;
  /** False when the catalog could not confirm its copy of the directory is current. */
  fresh: boolean;
}

function toView(app: Application, connector: Connector, readiness?: ReadinessCount) {
  const fixed = fixedAttributes(connector);
  return {
    id: app.id,
    supportedFunctionality: connector.supportedFunctionality,
    ...applicationSnapshot(app),
    attributes: app.attributes.map((m) => ({ ...m, editable: !fixed.has(m.spName) })),
    ...(readiness ? { jitReadiness: readiness } : {}),
    version: app.version,
    createdAt: app.createdAt,
    updatedAt: app.updatedAt,
  };
}

/** What the IdP needs of an application: its events and the catalog's snapshot carry this. */
export function applicationSnapshot(app: Application): ApplicationSnapshot {
  // Parsed so that rows written before a field existed take the contract's default.
  return ApplicationSnapshot.parse({
    name: app.name,
    connectorId: app.connectorId,
    spEntityId: app.spEntityId,
    acsUrls: app.acsUrls,
    nameIdFormat: app.nameIdFormat,
    nameIdSource: app.nameIdSource,
    signAssertion: app.signAssertion,
    signResponse: app.signResponse,
    active: app.active,
    attributes: app.attributes,
    signatureAlgorithm: app.signatureAlgorithm,
    spSigningCertificates: app.spSigningCertificates,
    requireSignedRequests: app.requireSignedRequests,
    encryptionCertificate: app.encryptionCertificate,
    defaultRelayState: app.defaultRelayState,
    idpInitiatedAllowed: app.idpInitiatedAllowed,
    singleLogoutUrl: app.singleLogoutUrl,
    groupsAttribute: app.groupsAttribute,
  });
}

function connectorOf(id: string): Connector {
  const connector = findConnector(id);
  if (!connector) {
    throw new DomainError(ErrorCode.ValidationFailed, `Unknown connector "${id}"`, [
      { field: 'connectorId', message: 'no such connector; GET /v1/connectors lists them' },
    ]);
  }
  return connector;
}

/** `field` names where the id came from: the body's groupId, or the path's id. */
const unknownGroup = (groupId: string, field: string): DomainError =>
  new DomainError(
    ErrorCode.NotFound,
    `User group ${groupId} was not found in this organisation; the directory lists its groups at GET /v1/user-groups`,
    [{ field, message: 'no such user group in this organisation' }],
  );

const deletedGroup = (groupId: string, field: string): DomainError =>
  new DomainError(
    ErrorCode.NotFound,
    `User group ${groupId} was deleted in the directory, and its application bindings with it; choose a group that exists (the directory lists them at GET /v1/user-groups)`,
    [{ field, message: 'deleted in the directory' }],
  );

function readMetadata(xml: string): SpMetadata {
  try {
    return parseSpMetadata(xml);
  } catch (error) {
    if (!(error instanceof MetadataError)) throw error;
    throw new DomainError(ErrorCode.ValidationFailed, `Invalid SP metadata: ${error.message}`, [
      { field: 'metadataXml', message: error.message },
    ]);
  }
}

@Injectable()
export class ApplicationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly bus: NatsBus,
    private readonly replica: DirectoryReplicaService,
    @Inject(REPLICA_FRESHNESS) private readonly freshness: FreshnessGate,
  ) {}

  async create(organizationId: string, body: CreateApplicationBody): Promise<ApplicationView> {
    const connector = connectorOf(body.connectorId);
    const metadata = body.metadataXml !== undefined ? readMetadata(body.metadataXml) : null;
    const customNames = await this.customNamesFor(organizationId, body);
    const app = this.dataSource.getRepository(Application).create({
      id: randomUUID(),
      organizationId,
      connectorId: connector.id,
      name: body.name,
      spEntityId: '',
      acsUrls: [],
      nameIdFormat: connector.nameIdFormat,
      nameIdSource: connector.nameIdSource,
      signAssertion: connector.signing !== 'response',
      signResponse: connector.signing !== 'assertion',
      signatureAlgorithm: 'rsa-sha256',
      spSigningCertificates: [],
      requireSignedRequests: false,
      encryptionCertificate: null,
      defaultRelayState: null,
      idpInitiatedAllowed: true,
      singleLogoutUrl: null,
      groupsAttribute: null,
      active: true,
      version: 1,
    });
    const problems: FieldProblem[] = [];
    const fromMetadata = metadata ? this.applyMetadata(app, connector, metadata, body) : new Set<string>();
    this.applyOptions(app, body, customNames, problems);
    const mappingProblems: FieldProblem[] = [];
    app.attributes = this.mappings(connector, null, metadata, body.attributes, customNames, mappingProblems);
    this.validate(app, connector, fromMetadata, problems, mappingProblems);
    await this.outbox.run(async (tx) => {
      await tx.manager.insert(Application, app);
      this.emitSnapshot(tx, app, CatalogEvents.applicationCreated);
    });
    return toView(app, connector);
  }

  async list(organizationId: string, query: ListQuery): Promise<Page<ApplicationView>> {
    const [items, total] = await this.dataSource.getRepository(Application).findAndCount({
      where: { organizationId },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: query.limit,
      skip: query.offset,
    });
    return { items: await this.viewsWithReadiness(organizationId, items), total };
  }

  async get(organizationId: string, id: string): Promise<ApplicationView> {
    const app = await this.find(this.dataSource.manager, organizationId, id);
    const [view] = await this.viewsWithReadiness(organizationId, [app]);
    return view;
  }

  async update(organizationId: string, id: string, body: UpdateApplicationBody): Promise<ApplicationView> {
    const metadata = body.metadataXml !== undefined ? readMetadata(body.metadataXml) : null;
    const customNames = await this.customNamesFor(organizationId, body);
    return this.outbox.run(async (tx) => {
      const app = await this.find(tx.manager, organizationId, id, true);
      const connector = connectorOf(app.connectorId);
      const before = applicationSnapshot(app);
      const problems: FieldProblem[] = [];
      const fromMetadata = metadata ? this.applyMetadata(app, connector, metadata, body) : new Set<string>();
      if (body.name !== undefined) app.name = body.name;
      this.applyOptions(app, body, customNames, problems);
      const mappingProblems: FieldProblem[] = [];
      app.attributes = this.mappings(connector, app.attributes, metadata, body.attributes, customNames, mappingProblems);
      this.validate(app, connector, fromMetadata, problems, mappingProblems);
      const after = applicationSnapshot(app);
      if (JSON.stringify(after) === JSON.stringify(before)) return toView(app, connector);
      app.version += 1;
      await tx.manager.save(Application, app);
      // The full snapshot on every change (what the IdP reads), then the specific events, same version.
      this.emitSnapshot(tx, app, CatalogEvents.applicationUpdated);
      const ref = { organizationId, applicationId: app.id, version: app.version, occurredAt: new Date().toISOString() };
      if (after.active !== before.active) {
        tx.emit(after.active ? CatalogEvents.applicationActivated : CatalogEvents.applicationDeactivated, ref);
      }
      if (JSON.stringify([after.attributes, after.groupsAttribute]) !== JSON.stringify([before.attributes, before.groupsAttribute])) {
        tx.emit(CatalogEvents.mappingsChanged, { ...ref, attributes: after.attributes, groupsAttribute: after.groupsAttribute });
      }
      return toView(app, connector);
    });
  }

  async remove(organizationId: string, id: string): Promise<void> {
    await this.outbox.run(async (tx) => {
      const app = await this.find(tx.manager, organizationId, id, true);
      await tx.manager.delete(ApplicationGroup, { applicationId: id });
      await tx.manager.delete(Application, { id });
      tx.emit(CatalogEvents.applicationDeleted, {
        organizationId,
        applicationId: id,
        version: app.version + 1,
        occurredAt: new Date().toISOString(),
      });
    });
  }

  /**
   * The authorised users (ACTIVATED members of a bound group) who lack a value for an enabled
   * required attribute or for the NameID source, each with what they lack. Read from the
   * catalog's copy of the directory after confirming it has applied everything the DIRECTORY
   * stream held when the request arrived; if it cannot confirm that, 503 instead of a stale answer.
   */
  async readiness(organizationId: string, id: string, query: ListQuery): Promise<ReadinessReport> {
    const app = await this.find(this.dataSource.manager, organizationId, id);
    const fresh = await this.freshness.check();
    if (!fresh.fresh) {
      throw new DomainError(ErrorCode.NotFresh, `The catalog's copy of the directory is not confirmed current: ${fresh.reason}`);
    }
    const users = await this.replica.authorisedUsers(organizationId, [app.id]);
    const lacking = users
      .map((u) => ({
        userId: u.userId,
        username: u.profile.username,
        email: u.profile.email,
        missing: missingForUser(app, u.userId, u.profile),
      }))
      .filter((u) => u.missing.length > 0);
    return {
      applicationId: app.id,
      authorisedUsers: users.length,
      items: lacking.slice(query.offset, query.offset + query.limit),
      total: lacking.length,
    };
  }

  /** Authorises a user group for an application; idempotent. The group must exist in the caller's organisation. */
  async bindGroup(organizationId: string, applicationId: string, groupId: string): Promise<{ applicationId: string; groupId: string }> {
    await this.find(this.dataSource.manager, organizationId, applicationId);
    await this.requireGroup(organizationId, groupId, 'groupId');
    await this.setBinding(organizationId, applicationId, groupId, true);
    return { applicationId, groupId };
  }

  /**
   * The directory deleted a group (directory.group.deleted.v1): every binding of it goes, each
   * unbound with its own versioned event as an admin unbind would be, in one transaction with the
   * group's tombstone in the copy of the directory. A replay finds nothing left to unbind.
   */
  async groupDeleted(organizationId: string, groupId: string, version: number): Promise<void> {
    await this.outbox.run(async (tx) => {
      // The tombstone first: its row lock waits for a binding of this group still being written
      // (holdGroup), so the query below sees that binding too.
      await this.replica.applyVersioned(
        'directory_groups',
        { id: groupId },
        { organization_id: organizationId, version, deleted: true },
        tx.manager,
      );
      const bound = await tx.manager.find(ApplicationGroup, {
        where: { organizationId, groupId, active: true },
        order: { applicationId: 'ASC' },
      });
      for (const { applicationId } of bound) await this.switchBinding(tx, organizationId, applicationId, groupId, false);
    });
  }

  async unbindGroup(organizationId: string, applicationId: string, groupId: string): Promise<void> {
    await this.setBinding(organizationId, applicationId, groupId, false);
  }

  async groupsOf(organizationId: string, applicationId: string): Promise<Page<{ groupId: string }>> {
    await this.find(this.dataSource.manager, organizationId, applicationId);
    // Bounded wait for the copy of the directory, so that a group deleted a moment ago is not listed.
    await this.freshness.check();
    const rows = await this.dataSource.getRepository(ApplicationGroup).find({
      where: { organizationId, applicationId, active: true },
      order: { updatedAt: 'ASC' },
    });
    return { items: rows.map((r) => ({ groupId: r.groupId })), total: rows.length };
  }

  /** A user group's applications, each with its supported functionality (the seed's third label place). */
  async applicationsOfGroup(organizationId: string, groupId: string): Promise<Page<ApplicationView>> {
    // The bindings follow the directory too (a deleted group's go with its event): read them after
    // the freshness check, so that they and the readiness counts come from the same current copy.
    const { fresh } = await this.freshness.check();
    const bindings = await this.dataSource.getRepository(ApplicationGroup).find({
      where: { organizationId, groupId, active: true },
    });
    if (bindings.length === 0) {
      await this.requireGroup(organizationId, groupId, 'id');
      return { items: [], total: 0 };
    }
    const apps = await this.dataSource.getRepository(Application).find({
      where: { organizationId, id: In(bindings.map((b) => b.applicationId)) },
      order: { createdAt: 'ASC' },
    });
    return { items: await this.viewsWithReadiness(organizationId, apps, fresh), total: apps.length };
  }

  /**
   * The group must exist in the caller's organisation. The copy of the directory answers for the
   * groups it has seen; for one it has not (created before the catalog kept groups, its event
   * still on the way, or no such group here) the directory answers.
   */
  private async requireGroup(organizationId: string, groupId: string, field: string): Promise<void> {
    const state = await this.replica.groupState(organizationId, groupId);
    if (state === 'deleted') throw deletedGroup(groupId, field);
    if (state === 'live') return;
    const group = await this.bus.request(DirectoryRpc.getGroup, { organizationId, groupId });
    if (!group.found) throw unknownGroup(groupId, field);
  }

  /** `fresh`: the result of a freshness check made before the caller read what it lists. */
  private async viewsWithReadiness(organizationId: string, apps: Application[], fresh?: boolean): Promise<ApplicationView[]> {
    if (apps.length === 0) return [];
    // A list still answers when freshness cannot be confirmed, and says so.
    fresh ??= (await this.freshness.check()).fresh;
    const users = await this.replica.authorisedUsers(
      organizationId,
      apps.map((a) => a.id),
    );
    return apps.map((app) => {
      const mine = users.filter((u) => u.applicationId === app.id);
      const usersLacking = mine.filter((u) => missingForUser(app, u.userId, u.profile).length > 0).length;
      return toView(app, connectorOf(app.connectorId), { usersLacking, authorisedUsers: mine.length, fresh });
    });
  }

  private async setBinding(organizationId: string, applicationId: string, groupId: string, active: boolean): Promise<void> {
    await this.outbox.run(async (tx) => {
      await this.find(tx.manager, organizationId, applicationId);
      if (active) {
        const group = await this.replica.holdGroup(tx.manager, organizationId, groupId);
        if (group === 'deleted') throw deletedGroup(groupId, 'groupId');
        if (group === 'unseen') throw unknownGroup(groupId, 'groupId');
      }
      const version = await this.switchBinding(tx, organizationId, applicationId, groupId, active);
      if (version === 'missing') throw notFound('Binding of user group', groupId);
    });
  }

  /** Switches one binding on or off and emits its event with the pair's new version (nothing if it already was). */
  private async switchBinding(
    tx: OutboxTransaction,
    organizationId: string,
    applicationId: string,
    groupId: string,
    active: boolean,
  ): Promise<number | null | 'missing'> {
    const version = await setVersionedLink(tx.manager, ApplicationGroup, { applicationId, groupId }, { organizationId }, active);
    if (typeof version !== 'number') return version;
    tx.emit(active ? CatalogEvents.groupBound : CatalogEvents.groupUnbound, {
      organizationId,
      applicationId,
      groupId,
      version,
      occurredAt: new Date().toISOString(),
    });
    return version;
  }

  /**
   * Takes what the SP's metadata says (entity ID, POST ACS URLs, certificates, signed requests,
   * NameID format, Redirect SLO URL), except where the same body sets a field itself or the
   * connector says the SP lacks the feature. Returns the fields it set.
   */
  private applyMetadata(app: Application, connector: Connector, metadata: SpMetadata, body: OptionsBody): Set<string> {
    const set = new Set<string>();
    const take = <K extends keyof Application & keyof OptionsBody>(key: K, value: Application[K]) => {
      if (body[key] !== undefined) return;
      Object.assign(app, { [key]: value });
      set.add(key);
    };
    take('spEntityId', metadata.spEntityId);
    take('acsUrls', metadata.acsUrls);
    take('spSigningCertificates', metadata.spSigningCertificates);
    take('requireSignedRequests', metadata.requireSignedRequests && metadata.spSigningCertificates.length > 0);
    if (metadata.nameIdFormat) take('nameIdFormat', metadata.nameIdFormat);
    if (connector.rules.encryption) take('encryptionCertificate', metadata.encryptionCertificate);
    if (connector.rules.singleLogout) take('singleLogoutUrl', metadata.singleLogoutUrl);
    return set;
  }

  /**
   * The custom attribute names the catalog's copy of the directory knows. A name the body uses
   * that the copy lacks may be a user event still on its way (the user was created a moment ago),
   * so then, and only then, it waits (bounded) until the copy has applied what the stream holds
   * and reads again: the refusal that follows is about the directory, not about the lag. If the
   * copy cannot be confirmed current and still lacks the name, the answer is 503, not "unknown".
   */
  private async customNamesFor(
    organizationId: string,
    body: { nameIdSource?: string; attributes?: readonly { source?: string | null }[] },
  ): Promise<string[]> {
    const names = await this.replica.customAttributeNames(organizationId);
    const used = [body.nameIdSource, ...(body.attributes ?? []).map((a) => a.source)]
      .filter((source): source is string => typeof source === 'string' && source.startsWith(CUSTOM_PREFIX))
      .map((source) => source.slice(CUSTOM_PREFIX.length));
    if (used.every((name) => names.includes(name))) return names;
    const fresh = await this.freshness.check();
    const caughtUp = await this.replica.customAttributeNames(organizationId);
    const lacking = used.filter((name) => !caughtUp.includes(name));
    if (lacking.length > 0 && !fresh.fresh) {
      throw new DomainError(
        ErrorCode.NotFresh,
        `Cannot tell whether the directory knows custom attribute ${lacking.map((n) => `"${n}"`).join(', ')}: ` +
          `the catalog's copy of the directory is not confirmed current (${fresh.reason}); try again shortly`,
      );
    }
    return caughtUp;
  }

  /** Copies the fields the body sets; certificates are read and stored in canonical PEM. */
  private applyOptions(app: Application, body: OptionsBody, customNames: readonly string[], problems: FieldProblem[]): void {
    if (body.spEntityId !== undefined) app.spEntityId = body.spEntityId;
    if (body.acsUrls !== undefined) app.acsUrls = body.acsUrls;
    if (body.nameIdFormat !== undefined) app.nameIdFormat = body.nameIdFormat;
    // Checked only when set: a custom attribute that has since gone must not block unrelated edits.
    if (body.nameIdSource !== undefined) {
      if (!isValidSource(body.nameIdSource, customNames)) {
        problems.push({ field: 'nameIdSource', message: unknownSourceMessage(body.nameIdSource, customNames) });
      }
      app.nameIdSource = body.nameIdSource;
    }
    if (body.signAssertion !== undefined) app.signAssertion = body.signAssertion;
    if (body.signResponse !== undefined) app.signResponse = body.signResponse;
    if (body.signatureAlgorithm !== undefined) app.signatureAlgorithm = body.signatureAlgorithm;
    if (body.requireSignedRequests !== undefined) app.requireSignedRequests = body.requireSignedRequests;
    if (body.defaultRelayState !== undefined) app.defaultRelayState = body.defaultRelayState;
    if (body.idpInitiatedAllowed !== undefined) app.idpInitiatedAllowed = body.idpInitiatedAllowed;
    if (body.singleLogoutUrl !== undefined) app.singleLogoutUrl = body.singleLogoutUrl;
    if (body.active !== undefined) app.active = body.active;
    if (body.groupsAttribute !== undefined) {
      app.groupsAttribute = body.groupsAttribute && { spName: body.groupsAttribute.spName, filter: body.groupsAttribute.filter ?? null };
    }
    if (body.spSigningCertificates !== undefined) {
      const pems: string[] = [];
      body.spSigningCertificates.forEach((pem, i) => {
        const checked = checkCertificate(pem, 'signing');
        if ('problem' in checked) problems.push({ field: `spSigningCertificates.${i}`, message: checked.problem });
        else if (!pems.includes(checked.pem)) pems.push(checked.pem);
      });
      app.spSigningCertificates = pems;
    }
    if (body.encryptionCertificate !== undefined) {
      if (body.encryptionCertificate === null) {
        app.encryptionCertificate = null;
      } else {
        const checked = checkCertificate(body.encryptionCertificate, 'encryption');
        if ('problem' in checked) problems.push({ field: 'encryptionCertificate', message: checked.problem });
        else app.encryptionCertificate = checked.pem;
      }
    }
  }

  /**
   * The attribute mappings after the metadata's RequestedAttributes (isRequired="true" makes a
   * required mapping) and then the body's entries, which win for the same SP name.
   */
  private mappings(
    connector: Connector,
    current: Application['attributes'] | null,
    metadata: SpMetadata | null,
    inputs: MappingInput[] | undefined,
    customNames: readonly string[],
    problems: FieldProblem[],
  ): Application['attributes'] {
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
    const { mappings, problems: found } = resolveMappings(connector, current, [...own, ...fromMetadata], customNames);
    for (const p of found) {
      const index = /^attributes\.(\d+)/.exec(p.field);
      problems.push(index && Number(index[1]) >= own.length ? { field: 'metadataXml', message: p.message } : p);
    }
    return mappings;
  }

  /** Every rule an application must meet on save; throws one error naming each bad field. */
  private validate(
    app: Application,
    connector: Connector,
    fromMetadata: Set<string>,
    problems: FieldProblem[],
    mappingProblems: FieldProblem[],
  ): void {
    const field = (name: string, suffix = '') => (fromMetadata.has(name) ? 'metadataXml' : name + suffix);
    const context = (name: string) => (fromMetadata.has(name) ? `${name} from the metadata: ` : '');
    app.acsUrls.forEach((url, i) => {
      const problem = acsUrlProblem(url);
      if (problem) problems.push({ field: field('acsUrls', `.${i}`), message: `${context('acsUrls')}${problem}` });
    });
    if (app.acsUrls.length === 0) problems.push({ field: field('acsUrls'), message: 'register at least one ACS URL' });
    if (new Set(app.acsUrls).size !== app.acsUrls.length) problems.push({ field: field('acsUrls'), message: 'lists a URL twice' });
    if (app.singleLogoutUrl !== null) {
      const problem = acsUrlProblem(app.singleLogoutUrl);
      if (problem) problems.push({ field: field('singleLogoutUrl'), message: `${context('singleLogoutUrl')}${problem}` });
      else if (!connector.rules.singleLogout)
        problems.push({ field: 'singleLogoutUrl', message: `${connector.name} does not support single logout` });
    }
    if (!app.signAssertion && !app.signResponse) {
      problems.push({ field: 'signResponse', message: 'sign the response, the assertion or both; unsigned assertions are never issued' });
    } else {
      const problem = signingProblem(connector.rules, app.signResponse, app.signAssertion);
      if (problem)
        problems.push({ field: connector.rules.signatures === 'assertion' ? 'signAssertion' : 'signResponse', message: problem });
    }
    if (app.requireSignedRequests && app.spSigningCertificates.length === 0) {
      problems.push({
        field: 'requireSignedRequests',
        message: "register the SP's signing certificate (spSigningCertificates) to require signed requests",
      });
    }
    if (app.encryptionCertificate !== null && !connector.rules.encryption) {
      problems.push({ field: 'encryptionCertificate', message: `${connector.name} does not accept encrypted assertions` });
    }
    if (app.groupsAttribute && app.attributes.some((m) => m.spName === app.groupsAttribute?.spName)) {
      problems.push({ field: 'groupsAttribute.spName', message: `"${app.groupsAttribute.spName}" is already an attribute mapping` });
    }
    // Mapping problems last: the order a form shows its fields.
    problems.push(...mappingProblems);
    if (problems.length > 0) {
      throw new DomainError(
        ErrorCode.ValidationFailed,
        `Invalid application: ${[...new Set(problems.map((p) => p.field))].join(', ')}`,
        problems,
      );
    }
  }

  private emitSnapshot(
    tx: OutboxTransaction,
    app: Application,
    contract: typeof CatalogEvents.applicationCreated | typeof CatalogEvents.applicationUpdated,
  ): void {
    tx.emit(contract, {
      organizationId: app.organizationId,
      applicationId: app.id,
      version: app.version,
      occurredAt: new Date().toISOString(),
      application: applicationSnapshot(app),
    });
  }

  private async find(manager: EntityManager, organizationId: string, id: string, lock = false): Promise<Application> {
    const app = await manager.getRepository(Application).findOne({
      where: { id, organizationId },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
    if (!app) throw notFound('Application', id);
    return app;
  }
}
