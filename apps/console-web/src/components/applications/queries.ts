import { useQuery } from '@tanstack/react-query';
import { catalog, directory, unwrap } from '../../api/clients';
import { sourceOptions } from './AttributesTable';
import type { Connector } from './types';

/** The directory attribute names a mapping may use (GET /v1/user-attributes), as select options. */
export function useSourceOptions() {
  const attributes = useQuery({
    queryKey: ['user-attributes'],
    queryFn: async () => unwrap<{ standard: string[]; custom: string[] }>(await directory.GET('/v1/user-attributes')),
    staleTime: 60_000,
  });
  return { options: sourceOptions(attributes.data), query: attributes };
}

/** One connector of the catalog (static data: cached for long). */
export function useConnector(id: string | null | undefined) {
  return useQuery({
    queryKey: ['connector', id],
    queryFn: async () => unwrap<Connector>(await catalog.GET('/v1/connectors/{id}', { params: { path: { id: id as string } } })),
    enabled: Boolean(id),
    staleTime: 5 * 60_000,
  });
}
