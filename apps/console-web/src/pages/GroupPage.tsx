import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import {
  Alert,
  Breadcrumb,
  BreadcrumbItem,
  Bullseye,
  Button,
  Flex,
  FlexItem,
  Grid,
  GridItem,
  PageSection,
  Spinner,
  Title,
} from '@patternfly/react-core';
import { ApiFailure, directory, unwrap } from '../api/clients';
import { useCan } from '../session';
import { ConfirmDialog } from '../components/common/ConfirmDialog';
import { GroupApplicationsCard } from '../components/directory/GroupApplications';
import { GroupMembersCard } from '../components/directory/GroupMembers';
import { GroupNameModal } from '../components/directory/GroupNameModal';
import { NotFoundPage } from './NotFoundPage';

export function GroupPage() {
  const { id = '' } = useParams();
  const canWrite = useCan('groups:write');
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [renaming, setRenaming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const group = useQuery({
    queryKey: ['group', id],
    queryFn: async () => unwrap(await directory.GET('/v1/user-groups/{id}', { params: { path: { id } } })),
  });

  if (group.isPending) {
    return (
      <Bullseye>
        <Spinner aria-label="Loading the group" />
      </Bullseye>
    );
  }
  if (group.isError) {
    if (group.error instanceof ApiFailure && (group.error.body.statusCode === 404 || group.error.body.statusCode === 400)) {
      return <NotFoundPage what="user group" back={{ to: '/groups', label: 'User Groups' }} />;
    }
    return (
      <PageSection>
        <Alert variant="danger" title="The group could not be loaded">
          {group.error.message}
        </Alert>
      </PageSection>
    );
  }
  const { name } = group.data;

  return (
    <>
      <PageSection>
        <Breadcrumb className="pf-v6-u-mb-md">
          <BreadcrumbItem>
            <Link to="/groups">User Groups</Link>
          </BreadcrumbItem>
          <BreadcrumbItem isActive>{name}</BreadcrumbItem>
        </Breadcrumb>
        <Flex
          justifyContent={{ default: 'justifyContentSpaceBetween' }}
          alignItems={{ default: 'alignItemsCenter' }}
          gap={{ default: 'gapMd' }}
        >
          <FlexItem>
            <Title headingLevel="h1">{name}</Title>
          </FlexItem>
          {canWrite && (
            <FlexItem>
              <Flex gap={{ default: 'gapSm' }}>
                <Button variant="secondary" onClick={() => setRenaming(true)}>
                  Rename
                </Button>
                <Button variant="danger" onClick={() => setDeleting(true)}>
                  Delete group
                </Button>
              </Flex>
            </FlexItem>
          )}
        </Flex>
      </PageSection>
      <PageSection>
        <Grid hasGutter>
          <GridItem>
            <GroupApplicationsCard groupId={id} groupName={name} />
          </GridItem>
          <GridItem>
            <GroupMembersCard groupId={id} groupName={name} />
          </GridItem>
        </Grid>
      </PageSection>
      {canWrite && (
        <>
          <GroupNameModal
            title="Rename user group"
            submitLabel="Rename"
            initialName={name}
            isOpen={renaming}
            onClose={() => setRenaming(false)}
            onSave={async (next) => {
              const saved = unwrap(await directory.PATCH('/v1/user-groups/{id}', { params: { path: { id } }, body: { name: next } }));
              queryClient.setQueryData(['group', id], saved);
              await queryClient.invalidateQueries({ queryKey: ['groups'] });
            }}
          />
          <ConfirmDialog
            title={`Delete ${name}?`}
            confirmLabel="Delete group"
            isOpen={deleting}
            onClose={() => setDeleting(false)}
            onConfirm={async () => {
              unwrap(await directory.DELETE('/v1/user-groups/{id}', { params: { path: { id } } }));
              queryClient.removeQueries({ queryKey: ['group', id] });
              await queryClient.invalidateQueries({ queryKey: ['groups'] });
              void navigate('/groups');
            }}
          >
            Its members lose the applications bound to this group (unless another of their groups grants them). The users themselves stay.
          </ConfirmDialog>
        </>
      )}
    </>
  );
}
