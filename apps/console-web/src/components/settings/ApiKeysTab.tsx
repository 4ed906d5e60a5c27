import { useId, useState } from 'react';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  ClipboardCopy,
  Content,
  Form,
  Label,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  Pagination,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { directory, unwrap } from '../../api/clients';
import { applyApiErrors } from '../../forms';
import { useCan } from '../../session';
import { ConfirmDialog } from '../common/ConfirmDialog';
import { TextField } from '../common/TextField';
import type { ApiKeyView, CreatedApiKey } from '../directory/types';
import { DateTime } from '../common/DateTime';

const schema = z.object({ name: z.string().trim().min(1, 'Name the key after what uses it').max(200, 'At most 200 characters') });
type Values = z.infer<typeof schema>;

/** API keys for machines: listed for every admin; created (the key shown once) and revoked with 'api-keys:manage'. */
export function ApiKeysTab() {
  const canManage = useCan('api-keys:manage');
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const [perPage, setPerPage] = useState(20);
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKeyView | null>(null);
  const keys = useQuery({
    queryKey: ['api-keys', { page, perPage }],
    queryFn: async () =>
      unwrap(await directory.GET('/v1/api-keys', { params: { query: { limit: perPage, offset: (page - 1) * perPage } } })),
    placeholderData: keepPreviousData,
  });

  return (
    <>
      <Toolbar>
        <ToolbarContent>
          {canManage && (
            <ToolbarItem>
              <Button onClick={() => setCreating(true)}>Create API key</Button>
            </ToolbarItem>
          )}
          <ToolbarItem variant="pagination" align={{ default: 'alignEnd' }}>
            <Pagination
              itemCount={keys.data?.total ?? 0}
              perPage={perPage}
              page={page}
              onSetPage={(_event, next) => setPage(next)}
              onPerPageSelect={(_event, next) => {
                setPerPage(next);
                setPage(1);
              }}
              isCompact
              titles={{ paginationAriaLabel: 'API keys pages' }}
            />
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      {keys.isError && (
        <Alert isInline variant="danger" title="The API keys could not be loaded">
          {keys.error.message}
        </Alert>
      )}
      <Table aria-label="API keys" variant="compact">
        <Thead>
          <Tr>
            <Th>Name</Th>
            <Th>Created</Th>
            <Th>Status</Th>
            {canManage && <Th screenReaderText="Actions" />}
          </Tr>
        </Thead>
        <Tbody>
          {(keys.data?.items ?? []).map((key) => (
            <Tr key={key.id}>
              <Td dataLabel="Name">
                {key.name}{' '}
                {key.bootstrap && (
                  <Label isCompact color="grey">
                    Bootstrap
                  </Label>
                )}
              </Td>
              <Td dataLabel="Created">
                <DateTime iso={key.createdAt} />
              </Td>
              <Td dataLabel="Status">
                {key.revokedAt ? (
                  <Label isCompact color="red">
                    Revoked <DateTime iso={key.revokedAt} dateOnly />
                  </Label>
                ) : (
                  <Label isCompact color="green">
                    Active
                  </Label>
                )}
              </Td>
              {canManage && (
                <Td isActionCell>
                  {!key.revokedAt && (
                    <Button variant="link" isDanger onClick={() => setRevoking(key)} aria-label={`Revoke ${key.name}`}>
                      Revoke
                    </Button>
                  )}
                </Td>
              )}
            </Tr>
          ))}
        </Tbody>
      </Table>
      {canManage && (
        <>
          <CreateApiKeyModal
            isOpen={creating}
            onClose={() => setCreating(false)}
            onCreated={() => queryClient.invalidateQueries({ queryKey: ['api-keys'] })}
          />
          <ConfirmDialog
            title={`Revoke ${revoking?.name ?? 'API key'}?`}
            confirmLabel="Revoke"
            isOpen={revoking !== null}
            onClose={() => setRevoking(null)}
            onConfirm={async () => {
              if (!revoking) return;
              unwrap(await directory.DELETE('/v1/api-keys/{id}', { params: { path: { id: revoking.id } } }));
              await queryClient.invalidateQueries({ queryKey: ['api-keys'] });
            }}
          >
            Every program using this key is refused from now on. This cannot be undone.
          </ConfirmDialog>
        </>
      )}
    </>
  );
}

/** Names the key, then shows it once with a copy button: the directory keeps only its hash. */
function CreateApiKeyModal({ isOpen, onClose, onCreated }: { isOpen: boolean; onClose: () => void; onCreated: () => Promise<void> }) {
  const titleId = useId();
  const formId = useId();
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: { name: '' } });
  const close = () => {
    setCreated(null);
    setFailure(null);
    form.reset({ name: '' });
    onClose();
  };
  const submit = form.handleSubmit(async (values) => {
    setFailure(null);
    try {
      setCreated(unwrap(await directory.POST('/v1/api-keys', { body: values })));
      await onCreated();
    } catch (error) {
      setFailure(applyApiErrors(error, form.setError, ['name']));
    }
  });
  return (
    <Modal variant="medium" isOpen={isOpen} onClose={close} aria-labelledby={titleId}>
      <ModalHeader title={created ? `API key “${created.name}” created` : 'Create API key'} labelId={titleId} />
      <ModalBody>
        {failure && <Alert isInline variant="danger" title={failure} className="pf-v6-u-mb-md" />}
        {created ? (
          <>
            <Alert isInline variant="warning" title="Copy the key now: it is shown only once" className="pf-v6-u-mb-md" />
            <ClipboardCopy
              isReadOnly
              isCode
              hoverTip="Copy"
              clickTip="Copied"
              textAriaLabel="The new API key"
              toggleAriaLabel="Show the whole key"
            >
              {created.apiKey}
            </ClipboardCopy>
            <Content component="p" className="pf-v6-u-mt-md">
              Programs send it in the <code>x-api-key</code> header.
            </Content>
          </>
        ) : (
          <Form id={formId} onSubmit={(event) => void submit(event)} noValidate>
            <TextField
              control={form.control}
              name="name"
              label="Name"
              isRequired
              autoComplete="off"
              hint="What uses the key, e.g. HR sync"
            />
          </Form>
        )}
      </ModalBody>
      <ModalFooter>
        {created ? (
          <Button onClick={close}>Done</Button>
        ) : (
          <>
            <Button type="submit" form={formId} isLoading={form.formState.isSubmitting} isDisabled={form.formState.isSubmitting}>
              Create
            </Button>
            <Button variant="link" onClick={close}>
              Cancel
            </Button>
          </>
        )}
      </ModalFooter>
    </Modal>
  );
}
