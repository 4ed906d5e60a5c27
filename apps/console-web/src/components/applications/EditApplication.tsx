import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Alert, AlertActionCloseButton, Button, Spinner } from '@patternfly/react-core';
import { catalog, unwrap } from '../../api/clients';
import { ApplicationForm } from './ApplicationForm';
import { defaultsFromApplication, updateBody, type ApplicationFormValues } from './form-model';
import { useConnector, useSourceOptions } from './queries';
import type { Application } from './types';

/**
 * The same form as Create New Application Integration, filled with the application. The form
 * keeps what the admin typed while others change the application (their change shows as a note,
 * not as lost input); a successful save starts over from the saved application.
 */
export function EditApplication({ app, onDone }: { app: Application; onDone: () => void }) {
  const queryClient = useQueryClient();
  const connector = useConnector(app.connectorId);
  const sources = useSourceOptions();
  const [opened, setOpened] = useState({ version: app.version, generation: 0 });
  const [saved, setSaved] = useState(false);

  const update = useMutation({
    mutationFn: async (values: ApplicationFormValues) =>
      unwrap<Application>(
        await catalog.PATCH('/v1/applications/{id}', { params: { path: { id: app.id } }, body: updateBody(app, connector.data, values) }),
      ),
    onSuccess: (updated) => {
      queryClient.setQueryData(['application', app.id], updated);
      void queryClient.invalidateQueries({ queryKey: ['applications'] });
      void queryClient.invalidateQueries({ queryKey: ['readiness', app.id] });
      void queryClient.invalidateQueries({ queryKey: ['preview', app.id] });
      setOpened((o) => ({ version: updated.version, generation: o.generation + 1 }));
      setSaved(true);
    },
  });

  if (connector.isPending || sources.query.isPending) return <Spinner aria-label="Loading the form" />;
  return (
    <>
      {saved && (
        <Alert
          component="h2"
          isInline
          variant="success"
          title="Saved"
          className="pf-v6-u-mb-md"
          actionClose={<AlertActionCloseButton onClose={() => setSaved(false)} />}
        />
      )}
      {app.version !== opened.version && (
        <Alert
          component="h2"
          isInline
          variant="warning"
          title="This application was changed elsewhere since you opened the form"
          className="pf-v6-u-mb-md"
        >
          Saving sends what the form shows.{' '}
          <Button variant="link" isInline onClick={() => setOpened((o) => ({ version: app.version, generation: o.generation + 1 }))}>
            Discard my changes and load the current configuration
          </Button>
        </Alert>
      )}
      <ApplicationForm
        key={opened.generation}
        mode="edit"
        connector={connector.data}
        defaultValues={defaultsFromApplication(app, connector.data)}
        sources={sources.options}
        submitLabel="Save changes"
        onSubmit={async (values) => {
          setSaved(false);
          await update.mutateAsync(values);
        }}
        onCancel={onDone}
      />
    </>
  );
}
