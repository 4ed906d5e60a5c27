import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import {
  Alert,
  Button,
  EmptyState,
  EmptyStateBody,
  PageSection,
  Pagination,
  Title,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { PencilAltIcon, TrashIcon } from '@patternfly/react-icons';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { directory, unwrap } from '../api/clients';
import { useCan } from '../session';
import { ConfirmDialog } from '../components/common/ConfirmDialog';
import { GroupNameModal } from '../components/directory/GroupNameModal';
import { useGroups } from '../components/directory/queries';
import type { GroupView } from '../components/directory/types';
import { DateTime } from '../components/common/DateTime';

export function GroupsPage() {
  const canWrite = useCan('groups:write');
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const [perPage, setPerPage] = useState(50);
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<GroupView | null>(null);
  const [deleting, setDeleting] = useState<GroupView | null>(null);
  const groups = useGroups(perPage, (page - 1) * perPage);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['groups'] });
  const total = groups.data?.total ?? 0;

  return (
    <>
      <PageSection>
        <Title headingLevel="h1">User Groups</Title>
      </PageSection>
      <PageSection>
        <Toolbar>
          <ToolbarContent>
            {canWrite && (
              <ToolbarItem>
                <Button onClick={() => setCreating(true)}>Create group</Button>
              </ToolbarItem>
            )}
            <ToolbarItem variant="pagination" align={{ default: 'alignEnd' }}>
              <Pagination
                itemCount={total}
                perPage={perPage}
                page={page}
                onSetPage={(_event, next) => setPage(next)}
                onPerPageSelect={(_event, next) => {
                  setPerPage(next);
                  setPage(1);
                }}
                isCompact
                titles={{ paginationAriaLabel: 'User groups pages' }}
              />
            </ToolbarItem>
          </ToolbarContent>
        </Toolbar>
        {groups.isError && (
          <Alert isInline variant="danger" title="The groups could not be loaded">
            {groups.error.message}
          </Alert>
        )}
        <Table aria-label="User groups" variant="compact">
          <Thead>
            <Tr>
              <Th>Name</Th>
              <Th>Created</Th>
              {canWrite && <Th screenReaderText="Actions" />}
            </Tr>
          </Thead>
          <Tbody>
            {(groups.data?.items ?? []).map((group) => (
              <Tr key={group.id}>
                <Td dataLabel="Name">
                  <Link to={`/groups/${group.id}`}>{group.name}</Link>
                </Td>
                <Td dataLabel="Created">
                  <DateTime iso={group.createdAt} dateOnly />
                </Td>
                {canWrite && (
                  <Td isActionCell>
                    <Button
                      variant="plain"
                      aria-label={`Rename ${group.name}`}
                      icon={<PencilAltIcon />}
                      onClick={() => setRenaming(group)}
                    />
                    <Button variant="plain" aria-label={`Delete ${group.name}`} icon={<TrashIcon />} onClick={() => setDeleting(group)} />
                  </Td>
                )}
              </Tr>
            ))}
          </Tbody>
        </Table>
        {groups.isSuccess && groups.data.items.length === 0 && (
          <EmptyState headingLevel="h2" titleText="No user groups yet" variant="sm">
            <EmptyStateBody>Groups give their members access to the applications bound to them.</EmptyStateBody>
          </EmptyState>
        )}
      </PageSection>
      {canWrite && (
        <>
          <GroupNameModal
            title="Create user group"
            submitLabel="Create group"
            isOpen={creating}
            onClose={() => setCreating(false)}
            onSave={async (name) => {
              const created = unwrap(await directory.POST('/v1/user-groups', { body: { name } }));
              await refresh();
              void navigate(`/groups/${created.id}`);
            }}
          />
          <GroupNameModal
            title="Rename user group"
            submitLabel="Rename"
            initialName={renaming?.name ?? ''}
            isOpen={renaming !== null}
            onClose={() => setRenaming(null)}
            onSave={async (name) => {
              if (!renaming) return;
              unwrap(await directory.PATCH('/v1/user-groups/{id}', { params: { path: { id: renaming.id } }, body: { name } }));
              await refresh();
            }}
          />
          <ConfirmDialog
            title={`Delete ${deleting?.name ?? 'group'}?`}
            confirmLabel="Delete group"
            isOpen={deleting !== null}
            onClose={() => setDeleting(null)}
            onConfirm={async () => {
              if (!deleting) return;
              unwrap(await directory.DELETE('/v1/user-groups/{id}', { params: { path: { id: deleting.id } } }));
              await refresh();
            }}
          >
            Its members lose the applications bound to this group (unless another of their groups grants them). The users themselves stay.
          </ConfirmDialog>
        </>
      )}
    </>
  );
}
