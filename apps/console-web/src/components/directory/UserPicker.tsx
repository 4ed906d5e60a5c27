import { useId, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { FormGroup, FormSelect, FormSelectOption, SearchInput } from '@patternfly/react-core';
import { directory, unwrap } from '../../api/clients';
import { useDebouncedValue } from '../common/useDebouncedValue';
import { useUsers } from './queries';
import type { UserView } from './types';

/**
 * Picks one user by searching (server-side, 20 matches at most): the directory may hold 100,000
 * users, so there is never a list of all of them.
 */
export function UserPicker({
  label,
  value,
  onChange,
  emptyLabel = 'Any user',
}: {
  label: string;
  value: string;
  onChange: (userId: string, user?: UserView) => void;
  /** The choice before a search: 'Any user' for a filter. */
  emptyLabel?: string;
}) {
  const selectId = useId();
  const [typed, setTyped] = useState('');
  const search = useDebouncedValue(typed.trim(), 300);
  const found = useUsers({ search, sort: 'username', limit: 20, offset: 0 }, search.length > 0);
  const items = found.data?.items ?? [];
  // A choice made elsewhere (the address, a link from a user page) is named, not "The chosen user".
  const chosen = useQuery({
    queryKey: ['user', value],
    queryFn: async () => unwrap(await directory.GET('/v1/users/{id}', { params: { path: { id: value } } })),
    enabled: value !== '' && !items.some((user) => user.id === value),
    staleTime: 60_000,
    retry: false,
  });
  return (
    <FormGroup label={label} fieldId={selectId}>
      <SearchInput
        aria-label={`${label}: search by username, email or name`}
        placeholder="Search a user"
        value={typed}
        onChange={(_event, next) => setTyped(next)}
        onClear={() => {
          setTyped('');
          onChange('');
        }}
      />
      <FormSelect
        id={selectId}
        value={value}
        onChange={(_event, next) =>
          onChange(
            next,
            items.find((user) => user.id === next),
          )
        }
        className="pf-v6-u-mt-xs"
      >
        <FormSelectOption value="" label={search ? `${found.data?.total ?? 0} matching users: choose one` : emptyLabel} />
        {value && !items.some((user) => user.id === value) && (
          <FormSelectOption value={value} label={chosen.data ? `${chosen.data.username} (${chosen.data.email})` : 'The chosen user'} />
        )}
        {items.map((user) => (
          <FormSelectOption key={user.id} value={user.id} label={`${user.username} (${user.email})`} />
        ))}
      </FormSelect>
    </FormGroup>
  );
}
