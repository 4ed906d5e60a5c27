import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { catalog, directory, unwrap } from '../../api/clients';
import { listUsers, type UserQuery } from './pending-api';

/** One page of users; the previous page stays on screen while the next loads, so the table does not jump. */
export function useUsers(query: UserQuery, enabled = true) {
  return useQuery({ queryKey: ['users', 'list', query], queryFn: () => listUsers(query), placeholderData: keepPreviousData, enabled });
}

/** One page of groups (the API sorts them by name). */
export function useGroups(limit: number, offset: number) {
  return useQuery({
    queryKey: ['groups', { limit, offset }],
    queryFn: async () => unwrap(await directory.GET('/v1/user-groups', { params: { query: { limit, offset } } })),
    placeholderData: keepPreviousData,
  });
}

/** The organisation's applications for a picker: the first 500 (the API's page limit). */
export function useApplicationChoices(enabled: boolean) {
  return useQuery({
    queryKey: ['applications', { limit: 500, offset: 0 }],
    queryFn: async () => unwrap(await catalog.GET('/v1/applications', { params: { query: { limit: 500, offset: 0 } } })),
    enabled,
    staleTime: 30_000,
  });
}
