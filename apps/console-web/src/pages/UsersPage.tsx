import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import {
  Alert,
  Button,
  EmptyState,
  EmptyStateBody,
  FormSelect,
  FormSelectOption,
  Label,
  PageSection,
  Pagination,
  SearchInput,
  Title,
  Toolbar,
  ToolbarContent,
  ToolbarGroup,
  ToolbarItem,
} from '@patternfly/react-core';
import { SortByDirection, Table, Tbody, Td, Th, Thead, Tr, type ThProps } from '@patternfly/react-table';
import { useCan } from '../session';
import { useDebouncedValue } from '../components/common/useDebouncedValue';
import { CreateUserModal } from '../components/directory/CreateUserModal';
import { ImportUsersModal } from '../components/directory/ImportUsersModal';
import { useGroups, useUsers } from '../components/directory/queries';
import type { UserQuery } from '../components/directory/pending-api';
import {
  ADMIN_ROLES,
  ROLE_LABEL,
  STATE_LABEL,
  USER_SORT_FIELDS,
  USER_STATES,
  type AdminRole,
  type UserSortField,
  STATE_COLOR,
} from '../components/directory/types';
import { unlessEmpty } from '../components/common/stacked-cells';
import { DateTime } from '../components/common/DateTime';

const PER_PAGE = [20, 50, 100];

/** The table's columns; `sort` names the API's sort field for the sortable ones. */
const COLUMNS: Array<{ label: string; sort?: UserSortField }> = [
  { label: 'Username', sort: 'username' },
  { label: 'First name', sort: 'firstname' },
  { label: 'Last name', sort: 'lastname' },
  { label: 'Email', sort: 'email' },
  { label: 'State', sort: 'state' },
  { label: 'Admin role' },
  { label: 'Created', sort: 'createdAt' },
];

function oneOf<T extends string>(values: readonly T[], value: string | null): T | undefined {
  return values.find((v) => v === value);
}

/**
 * Users: the search, filters, sort and page live in the address (shareable, back button works),
 * and every one of them is asked of the server: the page never holds more than one page of users.
 */
export function UsersPage() {
  const canWrite = useCan('users:write');
  const [params, setParams] = useSearchParams();
  const [typed, setTyped] = useState(params.get('search') ?? '');
  const search = useDebouncedValue(typed.trim(), 300);
  const [creating, setCreating] = useState(false);
  const [importing, setImporting] = useState(false);

  const state = oneOf(USER_STATES, params.get('state'));
  const adminRole = oneOf<AdminRole | 'any' | 'none'>([...ADMIN_ROLES, 'any', 'none'], params.get('adminRole'));
  const group = params.get('group') ?? undefined;
  const sortParam = params.get('sort') ?? 'username';
  const sortField = oneOf(USER_SORT_FIELDS, sortParam.replace(/^-/, '')) ?? 'username';
  const descending = sortParam.startsWith('-');
  const perPage = Number(params.get('perPage')) || 50;
  const page = Math.max(1, Number(params.get('page')) || 1);

  const update = (changes: Record<string, string | undefined>, resetPage = true) => {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const [key, value] of Object.entries(changes)) {
          if (value === undefined || value === '') next.delete(key);
          else next.set(key, value);
        }
        if (resetPage) next.delete('page');
        return next;
      },
      { replace: true },
    );
  };

  // The debounced search goes to the address (and back to page 1) once typing pauses.
  const searchInAddress = params.get('search') ?? '';
  useEffect(() => {
    if (searchInAddress !== search) update({ search });
  }, [search]); // update is rebuilt each render: only a new search matters
  // The address changed under the box (the navigation's Users link, back): show what is searched.
  useEffect(() => {
    if (searchInAddress !== search) setTyped(searchInAddress);
  }, [searchInAddress]); // only a new address: typing changes `search` first, and must not be undone

  const query: UserQuery = {
    search: searchInAddress || undefined,
    state,
    adminRole,
    group,
    sort: descending ? `-${sortField}` : sortField,
    limit: perPage,
    offset: (page - 1) * perPage,
  };
  const users = useUsers(query);
  const groups = useGroups(500, 0);

  const sortBy = (index: number, field: UserSortField): ThProps['sort'] => ({
    sortBy: { index: COLUMNS.findIndex((c) => c.sort === sortField), direction: descending ? 'desc' : 'asc' },
    onSort: (_event, _index, direction) => update({ sort: direction === SortByDirection.desc ? `-${field}` : field }),
    columnIndex: index,
  });

  const filtered = Boolean(search || state || adminRole || group);
  const total = users.data?.total ?? 0;

  return (
    <>
      <PageSection>
        <Title headingLevel="h1">Users</Title>
      </PageSection>
      <PageSection>
        <Toolbar
          aria-label="Search and filter users"
          clearAllFilters={() => {
            setTyped('');
            update({ search: undefined, state: undefined, adminRole: undefined, group: undefined });
          }}
        >
          <ToolbarContent>
            <ToolbarItem>
              <SearchInput
                aria-label="Search users by username, email or name"
                placeholder="Search username, email, name"
                value={typed}
                onChange={(_event, value) => setTyped(value)}
                onClear={() => setTyped('')}
              />
            </ToolbarItem>
            <ToolbarGroup variant="filter-group" className="console-filters">
              <ToolbarItem>
                <FormSelect aria-label="Filter by state" value={state ?? ''} onChange={(_event, value) => update({ state: value })}>
                  <FormSelectOption value="" label="Any state" />
                  {USER_STATES.map((s) => (
                    <FormSelectOption key={s} value={s} label={STATE_LABEL[s]} />
                  ))}
                </FormSelect>
              </ToolbarItem>
              <ToolbarItem>
                <FormSelect
                  aria-label="Filter by admin role"
                  value={adminRole ?? ''}
                  onChange={(_event, value) => update({ adminRole: value })}
                >
                  <FormSelectOption value="" label="Any admin role or none" />
                  <FormSelectOption value="any" label="Any admin role" />
                  <FormSelectOption value="none" label="No admin role" />
                  {ADMIN_ROLES.map((role) => (
                    <FormSelectOption key={role} value={role} label={ROLE_LABEL[role]} />
                  ))}
                </FormSelect>
              </ToolbarItem>
              <ToolbarItem>
                <FormSelect aria-label="Filter by user group" value={group ?? ''} onChange={(_event, value) => update({ group: value })}>
                  <FormSelectOption value="" label="Any group" />
                  {(groups.data?.items ?? []).map((g) => (
                    <FormSelectOption key={g.id} value={g.id} label={g.name} />
                  ))}
                </FormSelect>
              </ToolbarItem>
            </ToolbarGroup>
            {canWrite && (
              <ToolbarGroup>
                <ToolbarItem>
                  <Button onClick={() => setCreating(true)}>Create user</Button>
                </ToolbarItem>
                <ToolbarItem>
                  <Button variant="secondary" onClick={() => setImporting(true)}>
                    Import CSV
                  </Button>
                </ToolbarItem>
              </ToolbarGroup>
            )}
            <ToolbarItem variant="pagination" align={{ default: 'alignEnd' }}>
              <Pagination
                itemCount={total}
                perPage={perPage}
                page={page}
                perPageOptions={PER_PAGE.map((n) => ({ title: String(n), value: n }))}
                onSetPage={(_event, next) => update({ page: String(next) }, false)}
                onPerPageSelect={(_event, next) => update({ perPage: String(next) })}
                isCompact
                titles={{ paginationAriaLabel: 'Users pages' }}
              />
            </ToolbarItem>
          </ToolbarContent>
        </Toolbar>
        {users.isError && (
          <Alert isInline variant="danger" title="The users could not be loaded">
            {String(users.error.message)}
          </Alert>
        )}
        <Table aria-label="Users" variant="compact" aria-busy={users.isFetching}>
          <Thead>
            <Tr>
              {COLUMNS.map((column, index) => (
                <Th key={column.label} modifier="nowrap" sort={column.sort ? sortBy(index, column.sort) : undefined}>
                  {column.label}
                </Th>
              ))}
            </Tr>
          </Thead>
          <Tbody>
            {(users.data?.items ?? []).map((user) => (
              <Tr key={user.id}>
                <Td dataLabel="Username">
                  <Link to={`/users/${user.id}`}>{user.username}</Link>
                </Td>
                <Td dataLabel="First name">{user.firstname}</Td>
                <Td dataLabel="Last name">{user.lastname}</Td>
                <Td dataLabel="Email">{user.email}</Td>
                <Td dataLabel="State">
                  <Label color={STATE_COLOR[user.state]} isCompact>
                    {STATE_LABEL[user.state]}
                  </Label>
                </Td>
                <Td dataLabel="Admin role" {...unlessEmpty(user.adminRole)}>
                  {user.adminRole ? ROLE_LABEL[user.adminRole] : ''}
                </Td>
                <Td dataLabel="Created">
                  <DateTime iso={user.createdAt} dateOnly />
                </Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
        {users.isSuccess && users.data.items.length === 0 && (
          <EmptyState headingLevel="h2" titleText={filtered ? 'No user matches' : 'No users yet'} variant="sm">
            <EmptyStateBody>{filtered ? 'Change the search or the filters.' : 'Create a user or import a CSV file.'}</EmptyStateBody>
          </EmptyState>
        )}
        <Pagination
          itemCount={total}
          perPage={perPage}
          page={page}
          perPageOptions={PER_PAGE.map((n) => ({ title: String(n), value: n }))}
          onSetPage={(_event, next) => update({ page: String(next) }, false)}
          onPerPageSelect={(_event, next) => update({ perPage: String(next) })}
          variant="bottom"
          titles={{ paginationAriaLabel: 'Users pages, bottom' }}
        />
      </PageSection>
      {canWrite && <CreateUserModal isOpen={creating} onClose={() => setCreating(false)} />}
      {canWrite && <ImportUsersModal isOpen={importing} onClose={() => setImporting(false)} />}
    </>
  );
}
