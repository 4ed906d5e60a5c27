import { catalog, directory, unwrap, type CatalogSchemas } from '../../api/clients';
import { presentParams } from '../../api/query-params';
import type { AdminRole, Page, UserSortField, UserState, UserView } from './types';

/** The directory screens' reads that several components share, through the generated clients. */

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
export async function listUsers(query: UserQuery): Promise<Page<UserView>> {
  return unwrap(await directory.GET('/v1/users', { params: { query: presentParams(query) } }));
}

/** An application a user can sign in to, and the groups that authorise it. */
export type UserApplication = CatalogSchemas['UserApplicationView'];

/** Catalog GET /v1/users/{id}/applications. */
export async function userApplications(userId: string): Promise<Page<UserApplication>> {
  return unwrap(await catalog.GET('/v1/users/{id}/applications', { params: { path: { id: userId } } }));
}
