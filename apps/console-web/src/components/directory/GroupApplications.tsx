import { useId, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import {
  Alert,
  Button,
  Card,
  CardBody,
  CardTitle,
  Content,
  Flex,
  FlexItem,
  FormGroup,
  FormSelect,
  FormSelectOption,
  Label,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { catalog, unwrap } from '../../api/clients';
import { useCan } from '../../session';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { FunctionalityLabels } from '../common/FunctionalityLabels';
import { useApplicationChoices } from './queries';
import type { ApplicationSummary } from './types';

/**
 * The User Group's Applications panel (catalog GET /v1/user-groups/{id}/applications): one of the
 * source document's three places that show the JIT Provisioning label. With 'applications:write',
 * bind an application (POST /v1/applications/{id}/user-groups) or unbind it.
 */
export function GroupApplicationsCard({ groupId, groupName }: { groupId: string; groupName: string }) {
  const canBind = useCan('applications:write');
  const queryClient = useQueryClient();
  const selectId = useId();
  const [chosen, setChosen] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [unbinding, setUnbinding] = useState<ApplicationSummary | null>(null);

  const bound = useQuery({
    queryKey: ['group-applications', groupId],
    queryFn: async () => unwrap(await catalog.GET('/v1/user-groups/{id}/applications', { params: { path: { id: groupId } } })),
  });
  const choices = useApplicationChoices(canBind);
  const boundIds = new Set((bound.data?.items ?? []).map((app) => app.id));
  const available = (choices.data?.items ?? []).filter((app) => !boundIds.has(app.id));

  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['group-applications', groupId] });
    await queryClient.invalidateQueries({ queryKey: ['bindings'] });
    await queryClient.invalidateQueries({ queryKey: ['applications'] });
  };

  const bind = async () => {
    const app = available.find((a) => a.id === chosen);
    if (!app) return;
    setBusy(true);
    setMessage(null);
    try {
      unwrap(await catalog.POST('/v1/applications/{id}/user-groups', { params: { path: { id: app.id } }, body: { groupId } }));
      setChosen('');
      setMessage({ ok: true, text: `${app.name} bound: members of ${groupName} can sign in to it` });
      await refresh();
    } catch (error) {
      setMessage({ ok: false, text: error instanceof Error ? error.message : String(error) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card>
      <CardTitle component="h2">Applications</CardTitle>
      <CardBody>
        {message && <Alert isInline variant={message.ok ? 'success' : 'danger'} title={message.text} className="pf-v6-u-mb-sm" />}
        {canBind && (
          <Flex alignItems={{ default: 'alignItemsFlexEnd' }} gap={{ default: 'gapSm' }} className="pf-v6-u-mb-md">
            <FlexItem grow={{ default: 'grow' }}>
              <FormGroup label="Bind an application" fieldId={selectId}>
                <FormSelect id={selectId} value={chosen} onChange={(_event, value) => setChosen(value)}>
                  <FormSelectOption value="" label={available.length ? 'Choose an application' : 'No other application to bind'} />
                  {available.map((app) => (
                    <FormSelectOption key={app.id} value={app.id} label={app.name} />
                  ))}
                </FormSelect>
              </FormGroup>
            </FlexItem>
            <FlexItem>
              <Button onClick={() => void bind()} isDisabled={!chosen || busy} isLoading={busy}>
                Bind
              </Button>
            </FlexItem>
          </Flex>
        )}
        {bound.isError && (
          <Alert isInline variant="danger" title="The applications could not be loaded">
            {bound.error.message}
          </Alert>
        )}
        {bound.data && bound.data.items.length === 0 && <Content component="p">No application is bound to this group.</Content>}
        {bound.data && bound.data.items.length > 0 && (
          <Table aria-label={`Applications bound to ${groupName}`} variant="compact">
            <Thead>
              <Tr>
                <Th>Application</Th>
                <Th>Supported Functionality</Th>
                <Th>Status</Th>
                {canBind && <Th screenReaderText="Actions" />}
              </Tr>
            </Thead>
            <Tbody>
              {bound.data.items.map((app) => (
                <Tr key={app.id}>
                  <Td dataLabel="Application">
                    <Link to={`/applications/${app.id}`}>{app.name}</Link>
                  </Td>
                  <Td dataLabel="Supported Functionality">
                    <FunctionalityLabels values={app.supportedFunctionality} name={app.name} />
                  </Td>
                  <Td dataLabel="Status">
                    {app.active === false ? (
                      <Label isCompact>Inactive</Label>
                    ) : (
                      <Label isCompact color="green">
                        Active
                      </Label>
                    )}
                  </Td>
                  {canBind && (
                    <Td isActionCell>
                      <Button variant="link" isDanger onClick={() => setUnbinding(app)} aria-label={`Unbind ${app.name} from ${groupName}`}>
                        Unbind
                      </Button>
                    </Td>
                  )}
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </CardBody>
      {canBind && (
        <ConfirmDialog
          title={`Unbind ${unbinding?.name ?? 'application'}?`}
          confirmLabel="Unbind"
          isOpen={unbinding !== null}
          onClose={() => setUnbinding(null)}
          onConfirm={async () => {
            if (!unbinding) return;
            unwrap(
              await catalog.DELETE('/v1/applications/{id}/user-groups/{groupId}', { params: { path: { id: unbinding.id, groupId } } }),
            );
            await refresh();
          }}
        >
          Members of {groupName} can no longer sign in to {unbinding?.name} unless another of their groups is bound to it.
        </ConfirmDialog>
      )}
    </Card>
  );
}
