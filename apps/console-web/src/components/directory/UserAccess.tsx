import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Alert, Card, CardBody, CardTitle, Content, Label } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { directory, unwrap } from '../../api/clients';
import { FunctionalityLabels } from '../common/FunctionalityLabels';
import { userApplications } from './pending-api';

/** GET /v1/users/{id}/groups: the groups the user is an active member of. */
export function UserGroupsCard({ userId }: { userId: string }) {
  const groups = useQuery({
    queryKey: ['user', userId, 'groups'],
    queryFn: async () => unwrap(await directory.GET('/v1/users/{id}/groups', { params: { path: { id: userId } } })),
  });
  return (
    <Card>
      <CardTitle component="h2">User groups</CardTitle>
      <CardBody>
        {groups.isError && (
          <Alert isInline variant="danger" title="The groups could not be loaded">
            {groups.error.message}
          </Alert>
        )}
        {groups.data && groups.data.items.length === 0 && <Content component="p">Not a member of any group.</Content>}
        {groups.data && groups.data.items.length > 0 && (
          <ul aria-label="Groups of this user">
            {groups.data.items.map((group) => (
              <li key={group.id}>
                <Link to={`/groups/${group.id}`}>{group.name}</Link>
              </li>
            ))}
          </ul>
        )}
      </CardBody>
    </Card>
  );
}

/** The applications the user can sign in to, and through which groups (catalog GET /v1/users/{id}/applications). */
export function UserApplicationsCard({ userId }: { userId: string }) {
  const applications = useQuery({ queryKey: ['applications', 'of-user', userId], queryFn: () => userApplications(userId) });
  return (
    <Card>
      <CardTitle component="h2">Applications this user can sign in to</CardTitle>
      <CardBody>
        {applications.isError && (
          <Alert isInline variant="danger" title="The applications could not be loaded">
            {applications.error.message}
          </Alert>
        )}
        {applications.data && applications.data.items.length === 0 && (
          <Content component="p">None: no group of this user is bound to an application.</Content>
        )}
        {applications.data && applications.data.items.length > 0 && (
          <Table aria-label="Applications this user can sign in to" variant="compact">
            <Thead>
              <Tr>
                <Th>Application</Th>
                <Th>Supported Functionality</Th>
                <Th>Status</Th>
                <Th>Through groups</Th>
              </Tr>
            </Thead>
            <Tbody>
              {applications.data.items.map((app) => (
                <Tr key={app.id}>
                  <Td dataLabel="Application">
                    <Link to={`/applications/${app.id}`}>{app.name}</Link>
                  </Td>
                  <Td dataLabel="Supported Functionality">
                    <FunctionalityLabels values={app.supportedFunctionality} name={app.name} />
                  </Td>
                  <Td dataLabel="Status">
                    {/* As on the other screens: a label, not the API's lowercase word. */}
                    {app.status === 'active' ? (
                      <Label color="green" isCompact>
                        Active
                      </Label>
                    ) : (
                      <Label isCompact>Inactive</Label>
                    )}
                  </Td>
                  <Td dataLabel="Through groups">
                    {app.viaGroups.map((group, index) => (
                      <span key={group.id}>
                        {index > 0 && ', '}
                        <Link to={`/groups/${group.id}`}>{group.name}</Link>
                      </span>
                    ))}
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </CardBody>
    </Card>
  );
}
