import { catalog, consoleApi, unwrap } from '../../api/clients';
import { presentParams } from '../../api/query-params';
import type { ActivityItem, ApplicationListItem, Page } from './types';

/**
 * The applications screens' reads that several components share, through the generated clients.
 * The CSRF token parameters remain for the callers; reads need none (the clients add it to changes).
 */

/** GET /v1/applications?search=&limit=&offset= (catalog): the configured applications with their readiness counts. */
export async function listApplications(params: { search?: string; limit: number; offset: number }): Promise<Page<ApplicationListItem>> {
  return unwrap(await catalog.GET('/v1/applications', { params: { query: presentParams(params) } }));
}

/** GET /api/activity (console service): newest first. */
export async function listActivity(params: {
  applicationId?: string;
  userId?: string;
  kind?: ActivityItem['kind'];
  limit?: number;
  before?: string;
}): Promise<{ items: ActivityItem[]; nextBefore: string | null }> {
  return unwrap(await consoleApi.GET('/api/activity', { params: { query: presentParams(params) } }));
}
