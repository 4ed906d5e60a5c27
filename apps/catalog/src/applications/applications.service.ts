import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import { NatsBus, Outbox, type OutboxTransaction } from '@jit/messaging';
import { setVersionedLink } from '@jit/persistence';
import { ApplicationSnapshot, CatalogEvents } from '@jit/catalog-contracts';
import { DirectoryRpc } from '@jit/directory-contracts';
import { DomainError, ErrorCode, notFound, type FieldProblem, type ListQuery, type Page } from '@jit/service';
import { CONNECTORS, type Connector } from '../connectors/connector';
import { acsUrlProblem } from './acs-url';
import { isValidSource, resolveMappings, VALID_SOURCES_TEXT } from './attribute-mappings';
import { Application, ApplicationGroup } from './application.entity';
import type { CreateApplicationBody, UpdateApplicationBody } from './applications.dto';

export type ApplicationView = ReturnType<typeof toView>;

function toView(app: Application, connector: Connector) {
  const fixed = new Set(connector.id === 'saml2' ? [] : connector.attributes.map((a) => a.spName));
  return {
    id: app.id,
    supportedFunctionality: connector.supportedFunctionality,
    ...snapshot(app),
    attributes: app.attributes.map((m) => ({ ...m, editable: !fixed.has(m.spName) })),
    version: app.version,
    createdAt: app.createdAt,
    updatedAt: app.updatedAt,
  };
}

function snapshot(app: Application): ApplicationSnapshot {
  // Parsed so that fields this service does not set yet take their contract defaults.
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
  });
}

function connectorOf(id: string): Connector {
  const connector = CONNECTORS.find((c) => c.id === id);
  if (!connector) {
    throw new DomainError(ErrorCode.ValidationFailed, `Unknown connector "${id}"`, [
      { field: 'connectorId', message: 'no such connector; GET /v1/connectors lists them' },
    ]);
  }
  return connector;
}

@Injectable()
export class ApplicationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly bus: NatsBus,
  ) {}

  async create(organizationId: string, body: CreateApplicationBody): Promise<ApplicationView> {
    const connector = connectorOf(body.connectorId);
    const app = this.dataSource.getRepository(Application).create({
      id: randomUUID(),
      organizationId,
      connectorId: connector.id,
      name: body.name,
      spEntityId: body.spEntityId,
      acsUrls: body.acsUrls,
      nameIdFormat: body.nameIdFormat ?? connector.nameIdFormat,
      nameIdSource: body.nameIdSource ?? connector.nameIdSource,
      signAssertion: body.signAssertion ?? connector.signing !== 'response',
      signResponse: body.signResponse ?? connector.signing !== 'assertion',
      active: body.active ?? true,
      version: 1,
    });
    app.attributes = this.checked(connector, app, null, body.attributes);
    await this.outbox.run(async (tx) => {
      await tx.manager.insert(Application, app);
      this.emit(tx, app, 'created');
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
    return { items: items.map((a) => toView(a, connectorOf(a.connectorId))), total };
  }

  async get(organizationId: string, id: string): Promise<ApplicationView> {
    const app = await this.find(this.dataSource.manager, organizationId, id);
    return toView(app, connectorOf(app.connectorId));
  }

  async update(organizationId: string, id: string, body: UpdateApplicationBody): Promise<ApplicationView> {
    return this.outbox.run(async (tx) => {
      const app = await this.find(tx.manager, organizationId, id, true);
      const connector = connectorOf(app.connectorId);
      const before = JSON.stringify(snapshot(app));
      if (body.name !== undefined) app.name = body.name;
      if (body.spEntityId !== undefined) app.spEntityId = body.spEntityId;
      if (body.acsUrls !== undefined) app.acsUrls = body.acsUrls;
      if (body.nameIdFormat !== undefined) app.nameIdFormat = body.nameIdFormat;
      if (body.nameIdSource !== undefined) app.nameIdSource = body.nameIdSource;
      if (body.signAssertion !== undefined) app.signAssertion = body.signAssertion;
      if (body.signResponse !== undefined) app.signResponse = body.signResponse;
      if (body.active !== undefined) app.active = body.active;
      app.attributes = this.checked(connector, app, app.attributes, body.attributes);
      if (JSON.stringify(snapshot(app)) === before) return toView(app, connector);
      app.version += 1;
      await tx.manager.save(Application, app);
      this.emit(tx, app, 'updated');
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

  /** Authorises a user group for an application; idempotent. The group must exist in the caller's organisation. */
  async bindGroup(organizationId: string, applicationId: string, groupId: string): Promise<{ applicationId: string; groupId: string }> {
    await this.find(this.dataSource.manager, organizationId, applicationId);
    const group = await this.bus.request(DirectoryRpc.getGroup, { organizationId, groupId });
    if (!group.found) throw notFound('User group', groupId);
    await this.setBinding(organizationId, applicationId, groupId, true);
    return { applicationId, groupId };
  }

  async unbindGroup(organizationId: string, applicationId: string, groupId: string): Promise<void> {
    await this.setBinding(organizationId, applicationId, groupId, false);
  }

  async groupsOf(organizationId: string, applicationId: string): Promise<Page<{ groupId: string }>> {
    await this.find(this.dataSource.manager, organizationId, applicationId);
    const rows = await this.dataSource.getRepository(ApplicationGroup).find({
      where: { organizationId, applicationId, active: true },
      order: { updatedAt: 'ASC' },
    });
    return { items: rows.map((r) => ({ groupId: r.groupId })), total: rows.length };
  }

  /** A user group's applications, each with its supported functionality (the seed's third label place). */
  async applicationsOfGroup(organizationId: string, groupId: string): Promise<Page<ApplicationView>> {
    const bindings = await this.dataSource.getRepository(ApplicationGroup).find({
      where: { organizationId, groupId, active: true },
    });
    if (bindings.length === 0) {
      const group = await this.bus.request(DirectoryRpc.getGroup, { organizationId, groupId });
      if (!group.found) throw notFound('User group', groupId);
      return { items: [], total: 0 };
    }
    const apps = await this.dataSource.getRepository(Application).find({
      where: { organizationId, id: In(bindings.map((b) => b.applicationId)) },
      order: { createdAt: 'ASC' },
    });
    return { items: apps.map((a) => toView(a, connectorOf(a.connectorId))), total: apps.length };
  }

  private async setBinding(organizationId: string, applicationId: string, groupId: string, active: boolean): Promise<void> {
    await this.outbox.run(async (tx) => {
      await this.find(tx.manager, organizationId, applicationId);
      const version = await setVersionedLink(tx.manager, ApplicationGroup, { applicationId, groupId }, { organizationId }, active);
      if (version === 'missing') throw notFound('Binding of user group', groupId);
      if (version === null) return;
      tx.emit(active ? CatalogEvents.groupBound : CatalogEvents.groupUnbound, {
        organizationId,
        applicationId,
        groupId,
        version,
        occurredAt: new Date().toISOString(),
      });
    });
  }

  private checked(
    connector: Connector,
    app: Application,
    current: Application['attributes'] | null,
    inputs: CreateApplicationBody['attributes'],
  ): Application['attributes'] {
    const problems: FieldProblem[] = [];
    app.acsUrls.forEach((url, i) => {
      const problem = acsUrlProblem(url);
      if (problem) problems.push({ field: `acsUrls.${i}`, message: problem });
    });
    if (new Set(app.acsUrls).size !== app.acsUrls.length) problems.push({ field: 'acsUrls', message: 'lists a URL twice' });
    if (!isValidSource(app.nameIdSource)) {
      problems.push({ field: 'nameIdSource', message: `unknown directory attribute "${app.nameIdSource}"; valid names: ${VALID_SOURCES_TEXT}` });
    }
    if (!app.signAssertion && !app.signResponse) {
      problems.push({ field: 'signResponse', message: 'sign the response, the assertion or both; unsigned assertions are never issued' });
    }
    const { mappings, problems: mappingProblems } = resolveMappings(connector, current, inputs);
    problems.push(...mappingProblems);
    if (problems.length > 0) {
      throw new DomainError(ErrorCode.ValidationFailed, `Invalid application: ${problems.map((p) => p.field).join(', ')}`, problems);
    }
    return mappings;
  }

  private emit(tx: OutboxTransaction, app: Application, kind: 'created' | 'updated'): void {
    tx.emit(kind === 'created' ? CatalogEvents.applicationCreated : CatalogEvents.applicationUpdated, {
      organizationId: app.organizationId,
      applicationId: app.id,
      version: app.version,
      occurredAt: new Date().toISOString(),
      application: snapshot(app),
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
