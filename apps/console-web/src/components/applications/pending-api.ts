import { ApiFailure, type ApiError } from '../../api/clients';
import type { ActivityItem, Application, Page } from './types';

/**
 * Endpoints the generated clients do not know yet: the applications list's `search` parameter and
 * its `authorisedUsers` / `jitNotReady` counts (catalog), the IdP's signing-key schedule, and the
 * console's own activity store. Each moves to the generated client when the OpenAPI documents are
 * regenerated; until then this is the only hand-written call, typed as the services answer.
 */

async function getJson<T>(path: string, csrfToken: string): Promise<T> {
  const response = await fetch(path, {
    credentials: 'same-origin',
    headers: { accept: 'application/json', 'x-csrf-token': csrfToken },
  });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as Partial<ApiError>;
    throw new ApiFailure({
      statusCode: body.statusCode ?? response.status,
      error: body.error ?? response.statusText,
      message: body.message ?? `The service answered ${response.status}`,
      ...(body.details ? { details: body.details } : {}),
    });
  }
  return (await response.json()) as T;
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** GET /v1/applications?search=&limit=&offset= (catalog): the configured applications with their readiness counts. */
export function listApplications(
  params: { search?: string; limit: number; offset: number },
  csrfToken: string,
): Promise<Page<Application>> {
  return getJson(`/api/catalog/v1/applications${query(params)}`, csrfToken);
}

export interface SigningKey {
  id: string;
  state: 'current' | 'next' | 'retired';
  activatesAt: string;
  createdAt: string;
  notAfter: string;
  fingerprintSha256: string;
  certificatePem: string;
}

/** GET /v1/signing-keys (IdP): the organisation's signing keys, current, next and retired. */
export function listSigningKeys(csrfToken: string): Promise<{ items: SigningKey[] }> {
  return getJson(`/api/idp/v1/signing-keys`, csrfToken);
}

/** GET /api/activity (console service): newest first. */
export function listActivity(
  params: { applicationId?: string; userId?: string; kind?: string; limit?: number; before?: string },
  csrfToken: string,
): Promise<{ items: ActivityItem[]; nextBefore: string | null }> {
  return getJson(`/api/activity${query(params)}`, csrfToken);
}
