import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { Alert, Breadcrumb, BreadcrumbItem, Button, Content, Flex, FlexItem, PageSection, Spinner, Title } from '@patternfly/react-core';
import { catalog, unwrap } from '../api/clients';
import { useCan } from '../session';
import { ConnectorPicker } from '../components/applications/ConnectorPicker';
import { ApplicationForm } from '../components/applications/ApplicationForm';
import { FunctionalityLabels } from '../components/common/FunctionalityLabels';
import { createBody, defaultsFromConnector, type ApplicationFormValues } from '../components/applications/form-model';
import { useConnector, useSourceOptions } from '../components/applications/queries';
import type { Application, Connector } from '../components/applications/types';

/** + Add New Application → Create New Application Integration: pick the connector, then configure it. */
export function NewApplicationPage() {
  const canWrite = useCan('applications:write');
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const connectorId = params.get('connector');
  const connector = useConnector(connectorId);
  const sources = useSourceOptions();

  const create = useMutation({
    mutationFn: async ({ chosen, values }: { chosen: Connector; values: ApplicationFormValues }) => {
      const body = createBody(chosen, values);
      const result =
        values.spSource === 'metadata'
          ? await catalog.POST('/v1/applications/from-metadata', { body: { ...body, metadataXml: values.metadataXml } })
          : await catalog.POST('/v1/applications', { body });
      return unwrap<Application>(result);
    },
    onSuccess: (app) => {
      void queryClient.invalidateQueries({ queryKey: ['applications'] });
      void navigate(`/applications/${app.id}`);
    },
  });

  const heading = (
    <PageSection>
      <Breadcrumb>
        <BreadcrumbItem>
          <Link to="/applications">SSO Applications</Link>
        </BreadcrumbItem>
        <BreadcrumbItem isActive>New application</BreadcrumbItem>
      </Breadcrumb>
      <Title headingLevel="h1" className="pf-v6-u-mt-md">
        Create New Application Integration
      </Title>
    </PageSection>
  );

  if (!canWrite) {
    return (
      <>
        {heading}
        <PageSection>
          <Alert component="h3" isInline variant="info" title="Your admin role may not add applications">
            An administrator adds applications; you can see the configured ones under SSO Applications.
          </Alert>
        </PageSection>
      </>
    );
  }

  if (!connectorId) {
    return (
      <>
        {heading}
        <PageSection>
          <Content component="p">Type the name of the application in the Search field and select it.</Content>
          <ConnectorPicker onSelect={(c) => setParams({ connector: c.id })} />
        </PageSection>
      </>
    );
  }

  return (
    <>
      {heading}
      <PageSection>
        {connector.isPending || sources.query.isPending ? (
          <Spinner aria-label="Loading the connector" />
        ) : connector.isError ? (
          <Alert component="h3" isInline variant="danger" title={`The connector could not be loaded: ${connector.error.message}`}>
            <Button variant="link" isInline onClick={() => setParams({})}>
              Choose another connector
            </Button>
          </Alert>
        ) : (
          <>
            <Flex alignItems={{ default: 'alignItemsCenter' }} gap={{ default: 'gapMd' }} className="pf-v6-u-mb-md">
              <FlexItem>
                <Title headingLevel="h2" size="lg">
                  {connector.data.name}
                </Title>
              </FlexItem>
              <FlexItem>
                <FunctionalityLabels values={connector.data.supportedFunctionality} />
              </FlexItem>
              <FlexItem>
                <Button variant="link" isInline onClick={() => setParams({})}>
                  Choose another connector
                </Button>
              </FlexItem>
            </Flex>
            {connector.data.adminNotes && (
              <Alert component="h3" isInline variant="info" title="Notes for this SP" className="pf-v6-u-mb-md">
                {connector.data.adminNotes}
              </Alert>
            )}
            {sources.query.isError && (
              <Alert
                component="h3"
                isInline
                variant="warning"
                title="The directory's attribute names could not be loaded"
                className="pf-v6-u-mb-md"
              />
            )}
            <ApplicationForm
              key={connector.data.id}
              mode="create"
              connector={connector.data}
              defaultValues={defaultsFromConnector(connector.data)}
              sources={sources.options}
              submitLabel="Save application"
              onSubmit={async (values) => {
                await create.mutateAsync({ chosen: connector.data, values });
              }}
              onCancel={() => void navigate('/applications')}
            />
          </>
        )}
      </PageSection>
    </>
  );
}
