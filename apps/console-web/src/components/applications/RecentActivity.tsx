import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Alert, Label, Spinner } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { listActivity } from './pending-api';
import { DateTime } from '../common/DateTime';

const KIND = {
  'sign-in': { label: 'Sign-in', color: 'green' },
  refusal: { label: 'Refusal', color: 'red' },
  'admin-change': { label: 'Change', color: 'blue' },
} as const;

/** The application's last 20 sign-ins and refusals (and changes to it), newest first, from the console's activity store. */
export function RecentActivity({ applicationId }: { applicationId: string }) {
  const activity = useQuery({
    queryKey: ['application-activity', applicationId],
    queryFn: () => listActivity({ applicationId, limit: 20 }),
  });

  if (activity.isPending) return <Spinner aria-label="Loading recent activity" />;
  if (activity.isError)
    return <Alert component="h2" isInline variant="warning" title={`Recent activity could not be loaded: ${activity.error.message}`} />;
  return (
    <>
      <Table aria-label="Recent sign-ins and refusals" variant="compact" gridBreakPoint="grid-md" data-testid="application-activity">
        <Thead>
          <Tr>
            <Th>When</Th>
            <Th>What</Th>
            <Th>User</Th>
            <Th>Details</Th>
          </Tr>
        </Thead>
        <Tbody>
          {activity.data.items.map((item) => (
            <Tr key={item.id}>
              <Td dataLabel="When">
                <DateTime iso={item.occurredAt} />
              </Td>
              <Td dataLabel="What">
                <Label color={KIND[item.kind].color} isCompact>
                  {KIND[item.kind].label}
                </Label>
                {item.reason && <span className="console-mono"> {item.reason}</span>}
              </Td>
              <Td dataLabel="User">
                {item.userId ? <Link to={`/users/${item.userId}`}>{item.subject || item.userId}</Link> : item.subject || '—'}
              </Td>
              <Td dataLabel="Details" className="console-break">
                {item.summary}
                {item.detail && <div className="console-muted">{item.detail}</div>}
              </Td>
            </Tr>
          ))}
          {activity.data.items.length === 0 && (
            <Tr>
              <Td colSpan={4}>No sign-in or refusal yet.</Td>
            </Tr>
          )}
        </Tbody>
      </Table>
      <Link to={`/activity?applicationId=${applicationId}`}>All activity of this application</Link>
    </>
  );
}
