import { useState } from 'react';
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import {
  Alert,
  Button,
  Content,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  SearchInput,
  Spinner,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { catalog, directory, unwrap } from '../../api/clients';
import { useCan } from '../../session';
import { ConfirmDialog } from '../common/ConfirmDialog';
import type { Group, Page } from './types';

/** The directory's groups the picker searches: its list has no search yet, so up to 500 are read and filtered here. */
const GROUPS_READ = 500;

/** The user groups whose active members may sign in to the application: list, bind, unbind. */
export function BoundGroups({ applicationId, applicationName }: { applicationId: string; applicationName: string }) {
  const canWrite = useCan('applications:write');
  const queryClient = useQueryClient();
  const [picking, setPicking] = useState(false);
  const [unbinding, setUnbinding] = useState<{ id: string; name: string } | null>(null);

  const bindings = useQuery({
    queryKey: ['bindings', applicationId],
    queryFn: async () =>
      unwrap<Page<{ groupId: string }>>(
        await catalog.GET('/v1/applications/{id}/user-groups', { params: { path: { id: applicationId } } }),
      ),
  });
  const groups = useQueries({
    queries: (bindings.data?.items ?? []).map((b) => ({
      queryKey: ['group', b.groupId],
      queryFn: async () => unwrap<Group>(await directory.GET('/v1/user-groups/{id}', { params: { path: { id: b.groupId } } })),
      staleTime: 60_000,
    })),
  });
  const nameOf = (index: number) => groups[index]?.data?.name ?? (groups[index]?.isError ? '(unknown group)' : '…');

  const changed = () => {
    void queryClient.invalidateQueries({ queryKey: ['bindings', applicationId] });
    void queryClient.invalidateQueries({ queryKey: ['readiness', applicationId] });
    void queryClient.invalidateQueries({ queryKey: ['applications'] });
    void queryClient.invalidateQueries({ queryKey: ['application', applicationId] });
    void queryClient.invalidateQueries({ queryKey: ['group-applications'] });
  };

  const unbind = useMutation({
    mutationFn: async (groupId: string) =>
      unwrap(await catalog.DELETE('/v1/applications/{id}/user-groups/{groupId}', { params: { path: { id: applicationId, groupId } } })),
    onSuccess: () => {
      setUnbinding(null);
      changed();
    },
  });

  const bound = new Set(bindings.data?.items.map((b) => b.groupId));

  return (
    <>
      <Content component="p">Active members of these user groups may sign in to {applicationName}.</Content>
      {canWrite && (
        <Toolbar>
          <ToolbarContent>
            <ToolbarItem>
              <Button variant="primary" onClick={() => setPicking(true)}>
                Bind a user group
              </Button>
            </ToolbarItem>
          </ToolbarContent>
        </Toolbar>
      )}
      {bindings.isError && (
        <Alert component="h2" isInline variant="danger" title={`The bound groups could not be loaded: ${bindings.error.message}`} />
      )}
      {bindings.isPending ? (
        <Spinner aria-label="Loading the bound user groups" />
      ) : (
        <Table aria-label="Bound user groups" variant="compact" gridBreakPoint="grid-md" data-testid="bound-groups">
          <Thead>
            <Tr>
              <Th>User group</Th>
              {canWrite && <Th screenReaderText="Unbind" />}
            </Tr>
          </Thead>
          <Tbody>
            {bindings.data?.items.map((b, index) => (
              <Tr key={b.groupId}>
                <Td dataLabel="User group">
                  <Link to={`/groups/${b.groupId}`}>{nameOf(index)}</Link>
                </Td>
                {canWrite && (
                  <Td isActionCell>
                    <Button variant="secondary" isDanger onClick={() => setUnbinding({ id: b.groupId, name: nameOf(index) })}>
                      Unbind
                    </Button>
                  </Td>
                )}
              </Tr>
            ))}
            {bindings.data?.items.length === 0 && (
              <Tr>
                <Td colSpan={2}>No user group is bound: nobody can sign in to this application yet.</Td>
              </Tr>
            )}
          </Tbody>
        </Table>
      )}
      {picking && (
        <GroupPicker
          applicationName={applicationName}
          applicationId={applicationId}
          bound={bound}
          onClose={() => setPicking(false)}
          onBound={changed}
        />
      )}
      <ConfirmDialog
        isOpen={unbinding !== null}
        title="Unbind the user group?"
        confirmLabel="Unbind"
        onConfirm={() => (unbinding ? unbind.mutateAsync(unbinding.id) : Promise.resolve())}
        onClose={() => {
          setUnbinding(null);
          unbind.reset();
        }}
      >
        Members of {unbinding?.name} will no longer be able to sign in to {applicationName} (unless another bound group holds them).
      </ConfirmDialog>
    </>
  );
}

function GroupPicker({
  applicationId,
  applicationName,
  bound,
  onClose,
  onBound,
}: {
  applicationId: string;
  applicationName: string;
  bound: Set<string>;
  onClose: () => void;
  onBound: () => void;
}) {
  const [search, setSearch] = useState('');
  const groups = useQuery({
    queryKey: ['groups', { limit: GROUPS_READ }],
    queryFn: async () => unwrap<Page<Group>>(await directory.GET('/v1/user-groups', { params: { query: { limit: GROUPS_READ } } })),
  });
  const bind = useMutation({
    mutationFn: async (groupId: string) =>
      unwrap(await catalog.POST('/v1/applications/{id}/user-groups', { params: { path: { id: applicationId } }, body: { groupId } })),
    onSuccess: onBound,
  });
  const needle = search.trim().toLowerCase();
  const matching = (groups.data?.items ?? []).filter((g) => !needle || g.name.toLowerCase().includes(needle));

  return (
    <Modal variant="medium" isOpen onClose={onClose} aria-labelledby="bind-group-title">
      <ModalHeader title={`Bind a user group to ${applicationName}`} labelId="bind-group-title" />
      <ModalBody>
        <SearchInput
          aria-label="Search user groups by name"
          placeholder="Search user groups"
          value={search}
          onChange={(_event, value) => setSearch(value)}
          onClear={() => setSearch('')}
          autoFocus
        />
        {groups.data && groups.data.total > GROUPS_READ && (
          <Content component="small" className="console-muted">
            Searching the first {GROUPS_READ} of {groups.data.total} groups.
          </Content>
        )}
        {bind.isError && <Alert component="h2" isInline variant="danger" title={bind.error.message} className="pf-v6-u-mt-sm" />}
        {groups.isError && (
          <Alert component="h2" isInline variant="danger" title={`The user groups could not be loaded: ${groups.error.message}`} />
        )}
        {groups.isPending ? (
          <Spinner aria-label="Loading user groups" />
        ) : (
          <Table aria-label="Matching user groups" variant="compact" className="pf-v6-u-mt-sm">
            <Thead>
              <Tr>
                <Th>User group</Th>
                <Th screenReaderText="Bind" />
              </Tr>
            </Thead>
            <Tbody>
              {matching.slice(0, 50).map((g) => (
                <Tr key={g.id}>
                  <Td dataLabel="User group">{g.name}</Td>
                  <Td isActionCell>
                    {bound.has(g.id) ? (
                      <span className="console-muted">Bound</span>
                    ) : (
                      <Button
                        variant="secondary"
                        aria-label={`Bind ${g.name}`}
                        isLoading={bind.isPending && bind.variables === g.id}
                        isDisabled={bind.isPending}
                        onClick={() => bind.mutate(g.id)}
                      >
                        Bind
                      </Button>
                    )}
                  </Td>
                </Tr>
              ))}
              {matching.length === 0 && (
                <Tr>
                  <Td colSpan={2}>No user group matches.</Td>
                </Tr>
              )}
            </Tbody>
          </Table>
        )}
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" onClick={onClose}>
          Done
        </Button>
      </ModalFooter>
    </Modal>
  );
}
