import { useId, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
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
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { directory, unwrap } from '../../api/clients';
import { useCan, useMe } from '../../session';
import { useUsers } from '../directory/queries';
import { UserPicker } from '../directory/UserPicker';
import { ADMIN_ROLES, ROLE_LABEL, type AdminRole, type UserView } from '../directory/types';

const DESCRIPTION: Record<AdminRole, string> = {
  administrator: 'Everything, including applications, keys and roles.',
  'help-desk': 'Users, groups and memberships, unlock, password and MFA reset.',
  'read-only': 'Sees everything, changes nothing.',
};

/** Who holds each admin role (GET /v1/users?adminRole=); with 'roles:manage', change or grant roles. */
export function AdminsTab() {
  const canManage = useCan('roles:manage');
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);

  const setRole = async (user: { id: string; username: string }, role: AdminRole | null) => {
    setNotice(null);
    try {
      unwrap(await directory.PUT('/v1/users/{id}/admin-role', { params: { path: { id: user.id } }, body: { role } }));
      setNotice({ ok: true, text: role ? `${user.username} is now ${ROLE_LABEL[role]}` : `${user.username} is no longer an admin` });
      await queryClient.invalidateQueries({ queryKey: ['users'] });
      await queryClient.invalidateQueries({ queryKey: ['user', user.id] });
    } catch (error) {
      setNotice({ ok: false, text: error instanceof Error ? error.message : String(error) });
    }
  };

  return (
    <>
      {notice && <Alert isInline variant={notice.ok ? 'success' : 'danger'} title={notice.text} className="pf-v6-u-mb-md" />}
      {canManage && <GrantRole onGrant={setRole} />}
      {ADMIN_ROLES.map((role) => (
        <RoleHolders key={role} role={role} canManage={canManage} onChange={setRole} />
      ))}
    </>
  );
}

function RoleHolders({
  role,
  canManage,
  onChange,
}: {
  role: AdminRole;
  canManage: boolean;
  onChange: (user: UserView, role: AdminRole | null) => Promise<void>;
}) {
  const me = useMe();
  const holders = useUsers({ adminRole: role, sort: 'username', limit: 100, offset: 0 });
  const items = holders.data?.items ?? [];
  return (
    <section className="pf-v6-u-mb-lg" aria-labelledby={`role-${role}`}>
      <Title headingLevel="h2" size="lg" id={`role-${role}`}>
        {ROLE_LABEL[role]} ({holders.data?.total ?? '…'})
      </Title>
      <Content component="p" className="console-muted">
        {DESCRIPTION[role]}
      </Content>
      {holders.isError && (
        <Alert isInline variant="danger" title="Could not be loaded">
          {holders.error.message}
        </Alert>
      )}
      {holders.data && items.length === 0 && <Content component="p">Nobody.</Content>}
      {items.length > 0 && (
        <Table aria-label={`${ROLE_LABEL[role]} admins`} variant="compact">
          <Thead>
            <Tr>
              <Th>Username</Th>
              <Th>Email</Th>
              <Th>{canManage ? 'Role' : ''}</Th>
            </Tr>
          </Thead>
          <Tbody>
            {items.map((user) => (
              <Tr key={user.id}>
                <Td dataLabel="Username">
                  <Link to={`/users/${user.id}`}>{user.username}</Link>
                  {user.id === me.user.id && ' (you)'}
                </Td>
                <Td dataLabel="Email">{user.email}</Td>
                <Td dataLabel="Role">
                  {canManage && (
                    <FormSelect
                      aria-label={`Admin role of ${user.username}`}
                      value={role}
                      onChange={(_event, value) => void onChange(user, ADMIN_ROLES.find((r) => r === value) ?? null)}
                    >
                      {ADMIN_ROLES.map((r) => (
                        <FormSelectOption key={r} value={r} label={ROLE_LABEL[r]} />
                      ))}
                      <FormSelectOption value="" label="None (remove admin role)" />
                    </FormSelect>
                  )}
                </Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
      {holders.data && holders.data.total > items.length && (
        <Content component="p">
          <Link to={`/users?adminRole=${role}`}>All {holders.data.total} on the Users screen</Link>
        </Content>
      )}
    </section>
  );
}

/** Gives a user (found by search) an admin role. */
function GrantRole({ onGrant }: { onGrant: (user: { id: string; username: string }, role: AdminRole) => Promise<void> }) {
  const roleId = useId();
  const [chosen, setChosen] = useState<{ id: string; username: string } | null>(null);
  const [role, setRole] = useState<AdminRole>('read-only');
  const [busy, setBusy] = useState(false);
  return (
    <Card className="pf-v6-u-mb-lg">
      <CardTitle component="h2">Give someone an admin role</CardTitle>
      <CardBody>
        <Flex alignItems={{ default: 'alignItemsFlexEnd' }} gap={{ default: 'gapMd' }}>
          <FlexItem grow={{ default: 'grow' }}>
            <UserPicker
              label="User"
              emptyLabel="Search above, then choose"
              value={chosen?.id ?? ''}
              onChange={(id, user) => setChosen(id ? { id, username: user?.username ?? 'The user' } : null)}
            />
          </FlexItem>
          <FlexItem>
            <FormGroup label="Role" fieldId={roleId}>
              <FormSelect
                id={roleId}
                value={role}
                onChange={(_event, value) => setRole(ADMIN_ROLES.find((r) => r === value) ?? 'read-only')}
              >
                {ADMIN_ROLES.map((r) => (
                  <FormSelectOption key={r} value={r} label={ROLE_LABEL[r]} />
                ))}
              </FormSelect>
            </FormGroup>
          </FlexItem>
          <FlexItem>
            <Button
              isDisabled={!chosen || busy}
              isLoading={busy}
              onClick={() => {
                if (!chosen) return;
                setBusy(true);
                void onGrant(chosen, role).finally(() => {
                  setBusy(false);
                  setChosen(null);
                });
              }}
            >
              Give role
            </Button>
          </FlexItem>
        </Flex>
      </CardBody>
    </Card>
  );
}
