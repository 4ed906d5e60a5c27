import { useState } from 'react';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import {
  Alert,
  Button,
  Card,
  CardBody,
  CardTitle,
  Content,
  DataList,
  DataListAction,
  DataListCell,
  DataListItem,
  DataListItemCells,
  DataListItemRow,
  Pagination,
  SearchInput,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { directory, unwrap } from '../../api/clients';
import { useCan } from '../../session';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { useDebouncedValue } from '../common/useDebouncedValue';
import { listUsers } from './pending-api';
import { useUsers } from './queries';
import { STATE_LABEL, type UserView } from './types';

const fullName = (user: UserView) => [user.firstname, user.lastname].filter(Boolean).join(' ');

/**
 * The group's members, a page at a time (GET /v1/users?group=: the directory pages and sorts them,
 * so a group of 100,000 is no heavier than one of ten); with 'groups:write', add from a user search
 * and remove.
 */
export function GroupMembersCard({ groupId, groupName }: { groupId: string; groupName: string }) {
  const canWrite = useCan('groups:write');
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const [perPage, setPerPage] = useState(20);
  const [removing, setRemoving] = useState<UserView | null>(null);
  const members = useQuery({
    queryKey: ['members', groupId, { page, perPage }],
    queryFn: () => listUsers({ group: groupId, sort: 'username', limit: perPage, offset: (page - 1) * perPage }),
    placeholderData: keepPreviousData,
  });
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['members', groupId] });
    await queryClient.invalidateQueries({ queryKey: ['users'] });
  };

  return (
    <Card>
      <CardTitle component="h2">Members ({members.data?.total ?? '…'})</CardTitle>
      <CardBody>
        {canWrite && <AddMember groupId={groupId} groupName={groupName} onAdded={refresh} />}
        {members.isError && (
          <Alert isInline variant="danger" title="The members could not be loaded">
            {members.error.message}
          </Alert>
        )}
        {members.data && members.data.total === 0 && <Content component="p">No members yet.</Content>}
        {members.data && members.data.total > 0 && (
          <>
            <Table aria-label={`Members of ${groupName}`} variant="compact">
              <Thead>
                <Tr>
                  <Th>Username</Th>
                  <Th>Name</Th>
                  <Th>Email</Th>
                  <Th>State</Th>
                  {canWrite && <Th screenReaderText="Actions" />}
                </Tr>
              </Thead>
              <Tbody>
                {members.data.items.map((user) => (
                  <Tr key={user.id}>
                    <Td dataLabel="Username">
                      <Link to={`/users/${user.id}`}>{user.username}</Link>
                    </Td>
                    <Td dataLabel="Name">{fullName(user)}</Td>
                    <Td dataLabel="Email">{user.email}</Td>
                    <Td dataLabel="State">{STATE_LABEL[user.state]}</Td>
                    {canWrite && (
                      <Td isActionCell>
                        <Button
                          variant="link"
                          isDanger
                          onClick={() => setRemoving(user)}
                          aria-label={`Remove ${user.username} from ${groupName}`}
                        >
                          Remove
                        </Button>
                      </Td>
                    )}
                  </Tr>
                ))}
              </Tbody>
            </Table>
            <Pagination
              itemCount={members.data.total}
              perPage={perPage}
              page={page}
              onSetPage={(_event, next) => setPage(next)}
              onPerPageSelect={(_event, next) => {
                setPerPage(next);
                setPage(1);
              }}
              variant="bottom"
              isCompact
              titles={{ paginationAriaLabel: 'Members pages' }}
            />
          </>
        )}
      </CardBody>
      {canWrite && (
        <ConfirmDialog
          title={`Remove ${removing?.username ?? 'member'} from ${groupName}?`}
          confirmLabel="Remove"
          isOpen={removing !== null}
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            if (!removing) return;
            unwrap(
              await directory.DELETE('/v1/user-groups/{id}/members/{userId}', { params: { path: { id: groupId, userId: removing.id } } }),
            );
            await refresh();
          }}
        >
          They lose the applications this group grants, unless another of their groups grants them too.
        </ConfirmDialog>
      )}
    </Card>
  );
}

/** Search users (the same server-side search as the Users screen, ten at a time) and add one. */
function AddMember({ groupId, groupName, onAdded }: { groupId: string; groupName: string; onAdded: () => Promise<void> }) {
  const [typed, setTyped] = useState('');
  const search = useDebouncedValue(typed.trim(), 300);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const found = useUsers({ search, sort: 'username', limit: 10, offset: 0 }, search.length > 0);

  const add = async (user: UserView) => {
    setBusy(user.id);
    setMessage(null);
    try {
      const answer = unwrap(
        await directory.POST('/v1/user-groups/{id}/members', { params: { path: { id: groupId } }, body: { userId: user.id } }),
      );
      setMessage({ ok: true, text: answer.changed === false ? `${user.username} was already a member` : `${user.username} added` });
      // The search is done with: left open, it went on offering to add the person just added.
      setTyped('');
      await onAdded();
    } catch (error) {
      setMessage({ ok: false, text: error instanceof Error ? error.message : String(error) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="pf-v6-u-mb-md">
      <SearchInput
        aria-label={`Search users to add to ${groupName}`}
        placeholder="Search users to add (username, email, name)"
        value={typed}
        onChange={(_event, value) => setTyped(value)}
        onClear={() => setTyped('')}
      />
      {message && <Alert isInline isPlain variant={message.ok ? 'success' : 'danger'} title={message.text} className="pf-v6-u-mt-sm" />}
      {search && found.data && (
        <DataList aria-label="Users matching the search" isCompact className="pf-v6-u-mt-sm">
          {found.data.items.length === 0 && (
            <DataListItem>
              <DataListItemRow>
                <DataListItemCells dataListCells={[<DataListCell key="none">No user matches “{search}”.</DataListCell>]} />
              </DataListItemRow>
            </DataListItem>
          )}
          {found.data.items.map((user) => (
            <DataListItem key={user.id} aria-labelledby={`candidate-${user.id}`}>
              <DataListItemRow>
                <DataListItemCells
                  dataListCells={[
                    <DataListCell key="who">
                      <span id={`candidate-${user.id}`}>{user.username}</span>{' '}
                      <span className="console-muted">
                        {fullName(user)} · {user.email}
                      </span>
                    </DataListCell>,
                  ]}
                />
                <DataListAction
                  id={`add-${user.id}`}
                  aria-labelledby={`add-${user.id} candidate-${user.id}`}
                  aria-label={`Add ${user.username}`}
                >
                  <Button
                    variant="secondary"
                    aria-label={`Add ${user.username}`}
                    isLoading={busy === user.id}
                    isDisabled={busy !== null}
                    onClick={() => void add(user)}
                  >
                    Add
                  </Button>
                </DataListAction>
              </DataListItemRow>
            </DataListItem>
          ))}
          {found.data.total > found.data.items.length && (
            <DataListItem>
              <DataListItemRow>
                <DataListItemCells
                  dataListCells={[
                    <DataListCell key="more">{found.data.total - found.data.items.length} more match: type more to narrow.</DataListCell>,
                  ]}
                />
              </DataListItemRow>
            </DataListItem>
          )}
        </DataList>
      )}
    </div>
  );
}
