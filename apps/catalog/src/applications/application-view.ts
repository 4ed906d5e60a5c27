import type { EntityManager } from 'typeorm';
import { ApplicationSnapshot } from '@jit/catalog-contracts';
import { DomainError, ErrorCode, notFound } from '@jit/service';
import { findConnector, type Connector } from '../connectors/connector';
import { fixedAttributes } from './attribute-mappings';
import { Application } from './application.entity';
// Types only: applications.dto.ts reads APPLICATION_STATUSES from here.
import type { ApplicationListItem, ApplicationView } from './applications.dto';

/** JIT readiness of one application as the list shows it. */
export interface ReadinessCount {
  usersLacking: number;
  authorisedUsers: number;
  /** False when the catalog could not confirm its copy of the directory is current. */
  fresh: boolean;
}

/**
 * What the IdP needs of an application: its events and the catalog's snapshot carry this. The
 * contract's schema picks its fields from the row (one list of fields: the schema's), and rows
 * written before a field existed take the contract's default.
 */
export function applicationSnapshot(app: Application): ApplicationSnapshot {
  return ApplicationSnapshot.parse(app);
}

/** An application as the admin API answers it (the schema: ApplicationView in applications.dto.ts). */
export function toView(app: Application, connector: Connector): ApplicationView {
  const fixed = fixedAttributes(connector);
  return {
    id: app.id,
    supportedFunctionality: connector.supportedFunctionality,
    ...applicationSnapshot(app),
    attributes: app.attributes.map((m) => ({ ...m, editable: !fixed.has(m.spName) })),
    status: applicationStatus(app),
    version: app.version,
    createdAt: app.createdAt,
    updatedAt: app.updatedAt,
  };
}

/** An application with its readiness counts, as lists (and GET of one) answer it. */
export function toListItem(app: Application, connector: Connector, readiness: ReadinessCount): ApplicationListItem {
  return {
    ...toView(app, connector),
    // The list's columns: the same counts as jitReadiness, at the top for the console's table.
    jitReadiness: readiness,
    authorisedUsers: readiness.authorisedUsers,
    jitNotReady: readiness.usersLacking,
  };
}

export const APPLICATION_STATUSES = ['active', 'inactive'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

/** An inactive application refuses every sign-in; the console shows and filters by this. */
export const applicationStatus = (app: Pick<Application, 'active'>): ApplicationStatus => (app.active ? 'active' : 'inactive');

export function connectorOf(id: string): Connector {
  const connector = findConnector(id);
  if (!connector) {
    throw new DomainError(ErrorCode.ValidationFailed, `Unknown connector "${id}"`, [
      { field: 'connectorId', message: 'no such connector; GET /v1/connectors lists them' },
    ]);
  }
  return connector;
}

/** The caller's application, or 404 (another organisation's too); `lock` holds its row until commit. */
export async function findApplication(manager: EntityManager, organizationId: string, id: string, lock = false): Promise<Application> {
  const app = await manager.getRepository(Application).findOne({
    where: { id, organizationId },
    ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
  });
  if (!app) throw notFound('Application', id);
  return app;
}
