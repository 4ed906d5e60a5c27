import { useEffect, useState } from 'react';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import {
  ActionGroup,
  Alert,
  Breadcrumb,
  BreadcrumbItem,
  Bullseye,
  Button,
  Card,
  CardBody,
  CardTitle,
  Content,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Flex,
  FlexItem,
  Form,
  Grid,
  GridItem,
  Label,
  PageSection,
  Spinner,
  Title,
} from '@patternfly/react-core';
import { ApiFailure, directory, unwrap } from '../api/clients';
import { useCanOnAccount } from '../session';
import { personName } from '../person-name';
import { ConfirmDialog } from '../components/common/ConfirmDialog';
import {
  applyUserApiErrors,
  toFormValues,
  toPatchBody,
  userFormSchema,
  UserFormFields,
  type UserFormValues,
} from '../components/directory/user-form';
import { AdminRoleCard, LockoutCard, PasswordResetCard } from '../components/directory/UserSecurity';
import { SecurityDevicesCard } from '../components/directory/SecurityDevices';
import { UserApplicationsCard, UserGroupsCard } from '../components/directory/UserAccess';
import {
  ATTRIBUTE_LABEL,
  EDITABLE_ATTRIBUTES,
  STATE_LABEL,
  type UserState,
  type UserView,
  STATE_COLOR,
} from '../components/directory/types';
import { NotFoundPage } from './NotFoundPage';

export function UserPage() {
  const { id = '' } = useParams();
  const user = useQuery({
    queryKey: ['user', id],
    queryFn: async () => unwrap(await directory.GET('/v1/users/{id}', { params: { path: { id } } })),
  });
  if (user.isPending) {
    return (
      <Bullseye>
        <Spinner aria-label="Loading the user" />
      </Bullseye>
    );
  }
  if (user.isError) {
    if (user.error instanceof ApiFailure && (user.error.body.statusCode === 404 || user.error.body.statusCode === 400)) {
      return <NotFoundPage what="user" back={{ to: '/users', label: 'Users' }} />;
    }
    return (
      <PageSection>
        <Alert variant="danger" title="The user could not be loaded">
          {user.error.message}
        </Alert>
      </PageSection>
    );
  }
  return <UserScreen user={user.data} />;
}

/** What an admin who may not edit users sees: the attributes as text, no inputs. */
function UserAttributesList({ user }: { user: UserView }) {
  const custom = Object.entries(user.customAttributes);
  return (
    <DescriptionList isCompact isHorizontal columnModifier={{ lg: '2Col' }} aria-label="Attributes">
      {EDITABLE_ATTRIBUTES.map((name) => (
        <DescriptionListGroup key={name}>
          <DescriptionListTerm>{ATTRIBUTE_LABEL[name] ?? name}</DescriptionListTerm>
          <DescriptionListDescription>{user[name] ?? '—'}</DescriptionListDescription>
        </DescriptionListGroup>
      ))}
      {custom.map(([name, value]) => (
        <DescriptionListGroup key={`custom.${name}`}>
          <DescriptionListTerm>{name} (custom)</DescriptionListTerm>
          <DescriptionListDescription>{value}</DescriptionListDescription>
        </DescriptionListGroup>
      ))}
    </DescriptionList>
  );
}

function UserScreen({ user }: { user: UserView }) {
  const canWrite = useCanOnAccount('users:write', user);
  const canCredentials = useCanOnAccount('credentials:manage', user);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [deleting, setDeleting] = useState(false);
  const [stateBusy, setStateBusy] = useState(false);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const form = useForm<UserFormValues>({ resolver: zodResolver(userFormSchema), defaultValues: toFormValues(user) });

  // A change made elsewhere refreshes the form, unless the person is editing it: what they typed stays.
  useEffect(() => {
    if (!form.formState.isDirty) form.reset(toFormValues(user));
  }, [user, form]);

  const save = form.handleSubmit(async (values) => {
    setNotice(null);
    try {
      const saved = unwrap(await directory.PATCH('/v1/users/{id}', { params: { path: { id: user.id } }, body: toPatchBody(values) }));
      queryClient.setQueryData(['user', user.id], saved);
      form.reset(toFormValues(saved));
      setNotice({ ok: true, text: 'Saved' });
      await queryClient.invalidateQueries({ queryKey: ['users'] });
    } catch (error) {
      setNotice({ ok: false, text: applyUserApiErrors(error, form.setError, values) });
    }
  });

  const setState = async (state: UserState) => {
    setStateBusy(true);
    setNotice(null);
    try {
      const saved = unwrap(await directory.PATCH('/v1/users/{id}', { params: { path: { id: user.id } }, body: { state } }));
      queryClient.setQueryData(['user', user.id], saved);
      setNotice({ ok: true, text: `${STATE_LABEL[state]} now` });
      await queryClient.invalidateQueries({ queryKey: ['users'] });
    } catch (error) {
      setNotice({ ok: false, text: error instanceof Error ? error.message : String(error) });
    } finally {
      setStateBusy(false);
    }
  };

  return (
    <>
      <PageSection>
        <Breadcrumb className="pf-v6-u-mb-md">
          <BreadcrumbItem>
            <Link to="/users">Users</Link>
          </BreadcrumbItem>
          <BreadcrumbItem isActive>{user.username}</BreadcrumbItem>
        </Breadcrumb>
        <Flex
          justifyContent={{ default: 'justifyContentSpaceBetween' }}
          alignItems={{ default: 'alignItemsCenter' }}
          gap={{ default: 'gapMd' }}
        >
          <FlexItem>
            <Title headingLevel="h1">
              {personName(user)}{' '}
              <Label color={STATE_COLOR[user.state]} data-testid="user-state">
                {STATE_LABEL[user.state]}
              </Label>
            </Title>
            <Content component="p" className="console-muted">
              {user.username} · {user.email} · <Link to={`/activity?userId=${user.id}`}>Sign-ins and refusals</Link>
            </Content>
          </FlexItem>
          {canWrite && (
            <FlexItem>
              <Flex gap={{ default: 'gapSm' }}>
                {user.state === 'ACTIVATED' ? (
                  <Button variant="secondary" isLoading={stateBusy} isDisabled={stateBusy} onClick={() => void setState('SUSPENDED')}>
                    Suspend
                  </Button>
                ) : (
                  <Button variant="secondary" isLoading={stateBusy} isDisabled={stateBusy} onClick={() => void setState('ACTIVATED')}>
                    Activate
                  </Button>
                )}
                <Button variant="danger" onClick={() => setDeleting(true)}>
                  Delete user
                </Button>
              </Flex>
            </FlexItem>
          )}
        </Flex>
      </PageSection>
      <PageSection>
        {notice && (
          <Alert
            isInline
            variant={notice.ok ? 'success' : 'danger'}
            title={notice.ok ? notice.text : 'Not saved'}
            className="pf-v6-u-mb-md"
            aria-live="polite"
          >
            {notice.ok ? undefined : notice.text}
          </Alert>
        )}
        <Grid hasGutter>
          <GridItem lg={8}>
            <Card>
              <CardTitle component="h2">Attributes</CardTitle>
              <CardBody>
                {canWrite ? (
                  <Form onSubmit={(event) => void save(event)} noValidate>
                    <UserFormFields control={form.control} withPassword={false} withState={false} />
                    <ActionGroup>
                      <Button
                        type="submit"
                        isLoading={form.formState.isSubmitting}
                        isDisabled={form.formState.isSubmitting || !form.formState.isDirty}
                      >
                        Save
                      </Button>
                      <Button variant="link" isDisabled={!form.formState.isDirty} onClick={() => form.reset(toFormValues(user))}>
                        Discard changes
                      </Button>
                    </ActionGroup>
                  </Form>
                ) : (
                  <UserAttributesList user={user} />
                )}
              </CardBody>
            </Card>
          </GridItem>
          <GridItem lg={4}>
            <Flex direction={{ default: 'column' }} gap={{ default: 'gapMd' }}>
              <LockoutCard userId={user.id} canUnlock={canCredentials} />
              <SecurityDevicesCard user={user} />
              {canCredentials && <PasswordResetCard userId={user.id} />}
              <AdminRoleCard user={user} />
            </Flex>
          </GridItem>
          <GridItem lg={4}>
            <UserGroupsCard userId={user.id} />
          </GridItem>
          <GridItem lg={8}>
            <UserApplicationsCard userId={user.id} />
          </GridItem>
        </Grid>
      </PageSection>
      {canWrite && (
        <ConfirmDialog
          title={`Delete ${user.username}?`}
          confirmLabel="Delete user"
          isOpen={deleting}
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            unwrap(await directory.DELETE('/v1/users/{id}', { params: { path: { id: user.id } } }));
            queryClient.removeQueries({ queryKey: ['user', user.id] });
            await queryClient.invalidateQueries({ queryKey: ['users'] });
            void navigate('/users');
          }}
        >
          The user leaves every group and can no longer sign in to any application. This cannot be undone.
        </ConfirmDialog>
      )}
    </>
  );
}
