import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import {
  Alert,
  Breadcrumb,
  BreadcrumbItem,
  Button,
  Flex,
  FlexItem,
  Label,
  PageSection,
  Spinner,
  Tab,
  TabTitleText,
  Tabs,
  Title,
} from '@patternfly/react-core';
import { catalog, unwrap } from '../api/clients';
import { useCan } from '../session';
import { ConfirmDialog } from '../components/common/ConfirmDialog';
import { FunctionalityLabels } from '../components/common/FunctionalityLabels';
import { ApplicationOverview } from '../components/applications/ApplicationOverview';
import { BoundGroups } from '../components/applications/BoundGroups';
import { JitReadiness } from '../components/applications/JitReadiness';
import { AssertionPreviewPanel } from '../components/applications/AssertionPreviewPanel';
import { RecentActivity } from '../components/applications/RecentActivity';
import { EditApplication } from '../components/applications/EditApplication';
import { readinessCounts, type Application } from '../components/applications/types';

const TABS = ['overview', 'configuration', 'groups', 'readiness', 'preview', 'activity'] as const;
type TabKey = (typeof TABS)[number];

/** One application: what the SP needs, its configuration, bound groups, JIT readiness, assertion preview and recent sign-ins. */
export function ApplicationPage() {
  const { id = '' } = useParams();
  const canWrite = useCan('applications:write');
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const requested = params.get('tab') as TabKey | null;
  const tab: TabKey = requested && TABS.includes(requested) && (requested !== 'configuration' || canWrite) ? requested : 'overview';
  const previewUser = params.get('userId');
  const [confirmDelete, setConfirmDelete] = useState(false);

  const app = useQuery({
    queryKey: ['application', id],
    queryFn: async () => unwrap<Application>(await catalog.GET('/v1/applications/{id}', { params: { path: { id } } })),
  });

  const setActive = useMutation({
    mutationFn: async (active: boolean) =>
      unwrap<Application>(await catalog.PATCH('/v1/applications/{id}', { params: { path: { id } }, body: { active } })),
    onSuccess: (updated) => {
      queryClient.setQueryData(['application', id], updated);
      void queryClient.invalidateQueries({ queryKey: ['applications'] });
      void queryClient.invalidateQueries({ queryKey: ['preview', id] });
    },
  });
  const remove = useMutation({
    mutationFn: async () => unwrap(await catalog.DELETE('/v1/applications/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: ['application', id] });
      void queryClient.invalidateQueries({ queryKey: ['applications'] });
      void navigate('/applications');
    },
  });

  const go = (next: TabKey, extra: Record<string, string> = {}) => setParams(next === 'overview' ? extra : { tab: next, ...extra });

  const breadcrumb = (
    <Breadcrumb>
      <BreadcrumbItem>
        <Link to="/applications">SSO Applications</Link>
      </BreadcrumbItem>
      <BreadcrumbItem isActive>{app.data?.name ?? 'Application'}</BreadcrumbItem>
    </Breadcrumb>
  );

  if (app.isPending) {
    return (
      <PageSection>
        {breadcrumb}
        <Spinner aria-label="Loading the application" />
      </PageSection>
    );
  }
  if (app.isError) {
    return (
      <PageSection>
        {breadcrumb}
        <Title headingLevel="h1" className="pf-v6-u-mt-md">
          Application
        </Title>
        <Alert
          component="h3"
          isInline
          variant="danger"
          title={`The application could not be loaded: ${app.error.message}`}
          className="pf-v6-u-mt-md"
        >
          <Link to="/applications">Back to SSO Applications</Link>
        </Alert>
      </PageSection>
    );
  }

  const application = app.data;
  const counts = readinessCounts(application);
  return (
    <>
      <PageSection>
        {breadcrumb}
        <Flex
          className="pf-v6-u-mt-md"
          alignItems={{ default: 'alignItemsCenter' }}
          justifyContent={{ default: 'justifyContentSpaceBetween' }}
          gap={{ default: 'gapMd' }}
        >
          <Flex alignItems={{ default: 'alignItemsCenter' }} gap={{ default: 'gapMd' }}>
            <FlexItem>
              <Title headingLevel="h1">{application.name}</Title>
            </FlexItem>
            <FlexItem>{application.active ? <Label color="green">Active</Label> : <Label color="grey">Inactive</Label>}</FlexItem>
            <FlexItem>
              <FunctionalityLabels values={application.supportedFunctionality} />
            </FlexItem>
          </Flex>
          {canWrite && (
            <Flex gap={{ default: 'gapSm' }}>
              <Button
                variant="secondary"
                isLoading={setActive.isPending}
                isDisabled={setActive.isPending}
                onClick={() => setActive.mutate(!application.active)}
              >
                {application.active ? 'Disable' : 'Enable'}
              </Button>
              <Button variant="danger" onClick={() => setConfirmDelete(true)}>
                Delete
              </Button>
            </Flex>
          )}
        </Flex>
        {setActive.isError && <Alert component="h3" isInline variant="danger" title={setActive.error.message} className="pf-v6-u-mt-sm" />}
        {counts.authorised !== null && (
          <p className="console-muted pf-v6-u-mt-sm">
            {counts.authorised} authorised user{counts.authorised === 1 ? '' : 's'}
            {counts.notReady ? `, ${counts.notReady} would fail JIT provisioning` : ''}
          </p>
        )}
      </PageSection>
      <PageSection>
        <Tabs activeKey={tab} onSelect={(_event, key) => go(key as TabKey)} aria-label="Application sections" mountOnEnter unmountOnExit>
          <Tab eventKey="overview" title={<TabTitleText>Overview</TabTitleText>}>
            <div className="pf-v6-u-pt-md">
              <ApplicationOverview app={application} />
            </div>
          </Tab>
          {canWrite ? (
            <Tab eventKey="configuration" title={<TabTitleText>Configuration</TabTitleText>}>
              <div className="pf-v6-u-pt-md">
                <EditApplication app={application} onDone={() => go('overview')} />
              </div>
            </Tab>
          ) : null}
          <Tab eventKey="groups" title={<TabTitleText>User Groups</TabTitleText>}>
            <div className="pf-v6-u-pt-md">
              <BoundGroups applicationId={application.id} applicationName={application.name} />
            </div>
          </Tab>
          <Tab eventKey="readiness" title={<TabTitleText>JIT readiness</TabTitleText>}>
            <div className="pf-v6-u-pt-md">
              <JitReadiness applicationId={application.id} onPreview={(userId) => go('preview', { userId })} />
            </div>
          </Tab>
          <Tab eventKey="preview" title={<TabTitleText>Assertion preview</TabTitleText>}>
            <div className="pf-v6-u-pt-md">
              <AssertionPreviewPanel applicationId={application.id} userId={previewUser} onUser={(userId) => go('preview', { userId })} />
            </div>
          </Tab>
          <Tab eventKey="activity" title={<TabTitleText>Recent sign-ins</TabTitleText>}>
            <div className="pf-v6-u-pt-md">
              <RecentActivity applicationId={application.id} />
            </div>
          </Tab>
        </Tabs>
      </PageSection>
      <ConfirmDialog
        isOpen={confirmDelete}
        title={`Delete ${application.name}?`}
        confirmLabel="Delete application"
        onConfirm={() => remove.mutateAsync()}
        onClose={() => {
          setConfirmDelete(false);
          remove.reset();
        }}
      >
        Nobody will be able to sign in to it through this IdP, its user group bindings go with it, and the SP keeps its accounts. This
        cannot be undone.
      </ConfirmDialog>
    </>
  );
}
