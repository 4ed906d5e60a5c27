import { ApiFailure, type ApiError } from '../../api/clients';
import type { AdminRole, Page, UserSortField, UserState, UserView } from './types';

/**
 * Calls for endpoints the committed OpenAPI documents do not describe yet: the users `search`
 * parameter, a user's applications (catalog) and the signing keys list (IdP). They go through the
 * console's same-origin proxy like the generated clients do, and move to those clients when the
 * documents are regenerated.
 */

async function call<T>(path: string, init: RequestInit & { csrfToken?: string } = {}): Promise<T> {
  const { csrfToken, ...rest } = init;
  const headers = new Headers(rest.headers);
  headers.set('accept', 'application/json');
  if (csrfToken) headers.set('x-csrf-token', csrfToken);
  const response = await fetch(path, { ...rest, headers, credentials: 'same-origin' });
  const text = await response.text();
  const body: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const error = (body ?? {}) as Partial<ApiError>;
    throw new ApiFailure({
      statusCode: error.statusCode ?? response.status,
      error: error.error ?? response.statusText,
      message: error.message ?? `The service answered ${response.status}`,
      ...(error.details ? { details: error.details } : {}),
    });
  }
  return body as T;
}

export interface UserQuery {
  /** One text matched against username, email and names. */
  search?: string;
  state?: UserState;
  adminRole?: AdminRole | 'any' | 'none';
  group?: string;
  sort?: UserSortField | `-${UserSortField}`;
  limit: number;
  offset: number;
}

/** GET /v1/users with the server-side search: one page, never the whole directory. */
export function listUsers(query: UserQuery): Promise<Page<UserView>> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  return call<Page<UserView>>(`/api/directory/v1/users?${params.toString()}`);
}

/** An application a user can sign in to, and the groups that authorise it. */
export interface UserApplication {
  id: string;
  name: string;
  connectorId: string;
  supportedFunctionality: string[];
  status: string;
  viaGroups: Array<{ id: string; name: string }>;
}

/** Catalog GET /v1/users/{id}/applications. */
export function userApplications(userId: string): Promise<Page<UserApplication>> {
  return call<Page<UserApplication>>(`/api/catalog/v1/users/${encodeURIComponent(userId)}/applications`);
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

/** IdP GET /v1/signing-keys: the organisation's current, next and retired keys. */
export function listSigningKeys(): Promise<{ items: SigningKey[] }> {
  return call<{ items: SigningKey[] }>('/api/idp/v1/signing-keys');
}
