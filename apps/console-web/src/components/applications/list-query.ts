import { listApplications } from './pending-api';

/** The applications list's place: search text, page and page size, as the address holds them. */
export interface ApplicationsListPlace {
  search: string;
  page: number;
  perPage: number;
}

export function applicationsListPlace(params: URLSearchParams): ApplicationsListPlace {
  return {
    search: params.get('search') ?? '',
    page: Math.max(1, Number(params.get('page')) || 1),
    perPage: Number(params.get('perPage')) || 20,
  };
}

/**
 * The list's query, one definition for the screen and for the start of the app, which asks for
 * the first page beside /api/me when the address is the list (the screen then finds it cached).
 */
export function applicationsListQuery({ search, page, perPage }: ApplicationsListPlace) {
  return {
    queryKey: ['applications', { search, page, perPage }] as const,
    queryFn: () => listApplications({ search: search || undefined, limit: perPage, offset: (page - 1) * perPage }),
  };
}
