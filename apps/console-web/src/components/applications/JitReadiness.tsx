import { useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Alert, Button, Content, Label, LabelGroup, Pagination, Spinner } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { catalog, unwrap } from '../../api/clients';
import type { Lack, ReadinessReport } from './types';

const describe = (lack: Lack) => (lack.kind === 'nameId' ? `${lack.source} (the NameID)` : `${lack.source} (for ${lack.spName ?? '?'})`);

/**
 * Who would fail just-in-time provisioning now: authorised users lacking a value the SP needs to
 * create their account, each linked to their user page to fix it. Refreshed live as users change.
 */
export function JitReadiness({ applicationId, onPreview }: { applicationId: string; onPreview: (userId: string) => void }) {
  const [page, setPage] = useState(1);
  const [perPage, setPerPage] = useState(20);
  const report = useQuery({
    queryKey: ['readiness', applicationId, { page, perPage }],
    queryFn: async () =>
      unwrap<ReadinessReport>(
        await catalog.GET('/v1/applications/{id}/jit-readiness', {
          params: { path: { id: applicationId }, query: { limit: perPage, offset: (page - 1) * perPage } },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  if (report.isPending) return <Spinner aria-label="Loading JIT readiness" />;
  if (report.isError) {
    return (
      <Alert component="h2" isInline variant="warning" title={`JIT readiness is not available right now: ${report.error.message}`}>
        <Button variant="link" isInline onClick={() => void report.refetch()}>
          Try again
        </Button>
      </Alert>
    );
  }
  const data = report.data;
  return (
    <>
      {data.total === 0 ? (
        <Alert
          component="h2"
          isInline
          variant={data.authorisedUsers === 0 ? 'info' : 'success'}
          title={
            data.authorisedUsers === 0
              ? 'No authorised users yet'
              : `All ${data.authorisedUsers} authorised users are ready for JIT provisioning`
          }
          data-testid="readiness-summary"
        >
          {data.authorisedUsers === 0
            ? 'Bind a user group to authorise users.'
            : 'Each has a value for every required attribute and the NameID.'}
        </Alert>
      ) : (
        <Alert
          component="h2"
          isInline
          variant="warning"
          title={`${data.total} of ${data.authorisedUsers} authorised users would fail JIT provisioning`}
          data-testid="readiness-summary"
        >
          Their first sign-in is refused until their user record has the values listed; fix each one on their user page.
        </Alert>
      )}
      {data.total > 0 && (
        <>
          <Table
            aria-label="Users who would fail JIT provisioning"
            variant="compact"
            gridBreakPoint="grid-md"
            data-testid="readiness-table"
          >
            <Thead>
              <Tr>
                <Th>User</Th>
                <Th>Email</Th>
                <Th>Lacks a value for</Th>
                <Th screenReaderText="Actions" />
              </Tr>
            </Thead>
            <Tbody>
              {data.items.map((u) => (
                <Tr key={u.userId}>
                  <Td dataLabel="User">
                    <Link to={`/users/${u.userId}`} aria-label={`Fix ${u.username}`}>
                      {u.username}
                    </Link>
                  </Td>
                  <Td dataLabel="Email" className="console-break">
                    {u.email}
                  </Td>
                  <Td dataLabel="Lacks a value for">
                    <LabelGroup aria-label={`What ${u.username} lacks`} numLabels={5}>
                      {u.missing.map((lack) => (
                        <Label key={`${lack.kind}-${lack.spName}-${lack.source}`} color="orange" isCompact>
                          {describe(lack)}
                        </Label>
                      ))}
                    </LabelGroup>
                  </Td>
                  <Td isActionCell>
                    <Button
                      variant="link"
                      isInline
                      onClick={() => onPreview(u.userId)}
                      aria-label={`Preview the assertion for ${u.username}`}
                    >
                      Preview
                    </Button>
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
          <Pagination
            itemCount={data.total}
            page={page}
            perPage={perPage}
            onSetPage={(_event, next) => setPage(next)}
            onPerPageSelect={(_event, next) => {
              setPerPage(next);
              setPage(1);
            }}
            variant="bottom"
            titles={{ paginationAriaLabel: 'Readiness pages' }}
          />
        </>
      )}
      <Content component="small" className="console-muted">
        Read from the catalog's copy of the directory, confirmed current when asked.
      </Content>
    </>
  );
}
