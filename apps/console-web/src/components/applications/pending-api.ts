import { catalog, consoleApi, idp, unwrap, type IdpSchemas } from '../../api/clients';
import { presentParams } from '../../api/query-params';
import type { ActivityItem, ApplicationListItem, Page } from './types';

/**
 * The applications screens' reads that several components share, through the generated clients.
 * The CSRF token parameters remain for the callers; reads need none (the clients add it to changes).
 */

/** GET /v1/applications?search=&limit=&offset= (catalog): the configured applications with their readiness counts. */
export async function listApplications(
  params: { search?: string; limit: number; offset: number },
  _csrfToken?: string,
): Promise<Page<ApplicationListItem>> {
  return unwrap(await catalog.GET('/v1/applications', { params: { query: presentParams(params) } }));
}

export type SigningKey = IdpSchemas['SigningKeysList']['items'][number];

/** GET /v1/signing-keys (IdP): the organisation's signing keys, current, next and retired. */
export async function listSigningKeys(_csrfToken?: string): Promise<{ items: SigningKey[] }> {
  return unwrap(await idp.GET('/v1/signing-keys'));
}

/** GET /api/activity (console service): newest first. */
export async function listActivity(
  params: { applicationId?: string; userId?: string; kind?: ActivityItem['kind']; limit?: number; before?: string },
  _csrfToken?: string,
): Promise<{ items: ActivityItem[]; nextBefore: string | null }> {
  return unwrap(await consoleApi.GET('/api/activity', { params: { query: presentParams(params) } }));
}
