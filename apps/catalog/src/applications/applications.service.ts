import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type FreshnessGate, Outbox, type OutboxTransaction } from '@jit/messaging';
import { CatalogEvents } from '@jit/catalog-contracts';
import { DomainError, ErrorCode } from '@jit/service';
import { DirectoryReplicaService } from '../directory-replica/directory-replica.service';
import { REPLICA_FRESHNESS } from '../directory-replica/directory-replica.module';
import { CUSTOM_PREFIX } from './attribute-mappings';
import { Application, ApplicationGroup } from './application.entity';
import { decideApplication, readMetadata, type ApplicationSettings, type Decision, type OptionsBody } from './application-options';
import { applicationSnapshot, connectorOf, findApplication, toView } from './application-view';
import type {
  ApplicationListPage,
  ApplicationListQuery,
  ApplicationView,
  CreateApplicationBody,
  UpdateApplicationBody,
} from './applications.dto';
import { ReadinessService } from './readiness.service';
import { requiredSources } from './jit-readiness';
import type { SpMetadata } from './sp-metadata';

/** `text` matched literally by LIKE (backslash its escape character). */
const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The options were refused: one error naming each bad field. */
function settingsOrThrow(decision: Decision): ApplicationSettings {
  if ('refusal' in decision) throw new DomainError(ErrorCode.ValidationFailed, decision.refusal.message, decision.refusal.problems);
  return decision.settings;
}

function metadataOf(body: OptionsBody): SpMetadata | null {
  if (body.metadataXml === undefined) return null;
  const read = readMetadata(body.metadataXml);
  if ('refusal' in read) throw new DomainError(ErrorCode.ValidationFailed, read.refusal.message, read.refusal.problems);
  return read.metadata;
}

/** Configured applications: create, read, change, delete. The option rules are application-options.ts's. */
@Injectable()
export class ApplicationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly replica: DirectoryReplicaService,
    private readonly readiness: ReadinessService,
    @Inject(REPLICA_FRESHNESS) private readonly freshness: FreshnessGate,
  ) {}

  async create(organizationId: string, body: CreateApplicationBody): Promise<ApplicationView> {
    const connector = connectorOf(body.connectorId);
    const metadata = metadataOf(body);
    const customNames = await this.customNamesFor(organizationId, body);
    const id = randomUUID();
    const settings = settingsOrThrow(decideApplication({ connector, current: null, body, metadata, customNames, applicationId: id }));
    const app = this.dataSource.getRepository(Application).create({ ...settings, id, organizationId, version: 1 });
    app.requiredSources = requiredSources(app);
    await this.outbox.run(async (tx) => {
      await tx.manager.insert(Application, app);
      this.emitSnapshot(tx, app, CatalogEvents.applicationCreated);
    });
    return toView(app, connector);
  }

  async list(organizationId: string, query: ApplicationListQuery): Promise<ApplicationListPage> {
    const qb = this.dataSource
      .getRepository(Application)
      .createQueryBuilder('a')
      .where('a.organizationId = :organizationId', { organizationId });
    if (query.status) qb.andWhere('a.active = :active', { active: query.status === 'active' });
    // A substring, not a prefix: people remember a word of the name. An organisation's
    // applications are few (thousands at most), read through applications_org_idx.
    if (query.search) qb.andWhere('a.name ILIKE :search', { search: `%${escapeLike(query.search)}%` });
    const [items, total] = await qb
      .orderBy('a.createdAt', 'ASC')
      .addOrderBy('a.id', 'ASC')
      .take(query.limit)
      .skip(query.offset)
      .getManyAndCount();
    return { items: await this.readiness.views(items), total };
  }

  async get(organizationId: string, id: string): Promise<ApplicationView> {
    const app = await findApplication(this.dataSource.manager, organizationId, id);
    const [view] = await this.readiness.views([app]);
    return view;
  }

  async update(organizationId: string, id: string, body: UpdateApplicationBody): Promise<ApplicationView> {
    const metadata = metadataOf(body);
    const customNames = await this.customNamesFor(organizationId, body);
    return this.outbox.run(async (tx) => {
      const app = await findApplication(tx.manager, organizationId, id, true);
      const connector = connectorOf(app.connectorId);
      const before = applicationSnapshot(app);
      Object.assign(app, settingsOrThrow(decideApplication({ connector, current: before, body, metadata, customNames })));
      const after = applicationSnapshot(app);
      if (JSON.stringify(after) === JSON.stringify(before)) return toView(app, connector);
      app.version += 1;
      app.requiredSources = requiredSources(app);
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
      const app = await findApplication(tx.manager, organizationId, id, true);
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
}
