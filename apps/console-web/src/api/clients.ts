import createClient, { type Middleware } from 'openapi-fetch';
import type { components as CatalogComponents, paths as CatalogPaths } from './catalog';
import type { components as ConsoleComponents, paths as ConsolePaths } from './console';
import type { components as DirectoryComponents, paths as DirectoryPaths } from './directory';
import type { components as IdpComponents, paths as IdpPaths } from './idp';

/** The answers' schemas, by the names the services give them (`DirectorySchemas['UserView']`). */
export type DirectorySchemas = DirectoryComponents['schemas'];
export type CatalogSchemas = CatalogComponents['schemas'];
export type IdpSchemas = IdpComponents['schemas'];
export type ConsoleSchemas = ConsoleComponents['schemas'];

/**
 * Typed clients for the services, generated from their OpenAPI documents (scripts/console-api.mjs):
 * the console service forwards /api/<service>/... with the signed-in person's token, so the
 * browser never holds a credential. Mutations carry the session's CSRF token.
 */
let csrfToken = '';
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when a service answers 401: the session ended (expired, signed out elsewhere, role removed). */
let onSignedOut: () => void = () => undefined;
export function onSessionEnded(callback: () => void): void {
  onSignedOut = callback;
}

const session: Middleware = {
  onRequest({ request }) {
    if (request.method !== 'GET' && request.method !== 'HEAD') request.headers.set('x-csrf-token', csrfToken);
    return request;
  },
  onResponse({ request, response }) {
    // GET /api/me answers 401 to a person not signed in yet: that is the sign-in page, not a session that ended.
    if (response.status === 401 && new URL(request.url).pathname !== '/api/me') onSignedOut();
    return response;
  },
};

function client<Paths extends object>(base: string) {
  const created = createClient<Paths>({ baseUrl: `${window.location.origin}${base}`, credentials: 'same-origin' });
  created.use(session);
  return created;
}

export const directory = client<DirectoryPaths>('/api/directory');
export const catalog = client<CatalogPaths>('/api/catalog');
export const idp = client<IdpPaths>('/api/idp');
/** The console service's own API: /api/me and /api/activity. */
export const consoleApi = client<ConsolePaths>('');

/** The error body every service answers: `details` names each bad field. */
export interface ApiError {
  statusCode: number;
  error: string;
  message: string;
  details?: Array<{ field: string; message: string }>;
}

/** Unwraps an openapi-fetch answer: the data, or throws the service's error body as ApiFailure. */
export class ApiFailure extends Error {
  constructor(readonly body: ApiError) {
    super(body.message);
  }
}

export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    const body = (result.error ?? {}) as Partial<ApiError>;
    throw new ApiFailure({
      statusCode: body.statusCode ?? result.response.status,
      error: body.error ?? result.response.statusText,
      message: body.message ?? `The service answered ${result.response.status}`,
      ...(body.details ? { details: body.details } : {}),
    });
  }
  return result.data as T;
}
