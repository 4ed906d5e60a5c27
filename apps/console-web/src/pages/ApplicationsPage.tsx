import { useEffect, useRef, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import {
  Alert,
  Button,
  Content,
  EmptyState,
  EmptyStateBody,
  Label,
  PageSection,
  Pagination,
  SearchInput,
  Spinner,
  Title,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
  Tooltip,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useCan } from '../session';
import { FunctionalityLabels } from '../components/common/FunctionalityLabels';
import { readinessCounts } from '../components/applications/types';
import { applicationsListPlace, applicationsListQuery } from '../components/applications/list-query';

const PER_PAGE_OPTIONS = [10, 20, 50, 100].map((value) => ({ title: String(value), value }));

/** USER AUTHENTICATION > SSO Applications: the Configured Applications list. */
export function ApplicationsPage() {
  const canWrite = useCan('applications:write');
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const { search, page, perPage } = applicationsListPlace(params);
  const [typed, setTyped] = useState(search);

  // Back and forward change the address: the field follows it (but not the search it just asked for, typing may have gone on).
  const asked = useRef(search);
  useEffect(() => {
    if (search !== asked.current) setTyped(search);
    asked.current = search;
  }, [search]);

  // The search is the server's (it must stay fast at thousands of applications): ask once typing pauses.
  useEffect(() => {
    if (typed === search) return;
    const timer = setTimeout(() => update({ search: typed, page: 1 }), 300);
    return () => clearTimeout(timer);
  }, [typed]);

  function update(next: { search?: string; page?: number; perPage?: number }) {
    const merged = { search, page, perPage, ...next };
    const query: Record<string, string> = {};
    if (merged.search) query.search = merged.search;
    asked.current = merged.search;
    if (merged.page > 1) query.page = String(merged.page);
    if (merged.perPage !== 20) query.perPage = String(merged.perPage);
    setParams(query, { replace: true });
  }

  const list = useQuery({ ...applicationsListQuery({ search, page, perPage }), placeholderData: keepPreviousData });

  // No pages to turn when nothing is listed ("0 - 0 of 0" beside the empty state says nothing).
  const hasItems = (list.data?.total ?? 0) > 0;
  const pagination = (variant: 'top' | 'bottom') => (
    <Pagination
      itemCount={list.data?.total ?? 0}
      page={page}
      perPage={perPage}
      perPageOptions={PER_PAGE_OPTIONS}
      onSetPage={(_event, next) => update({ page: next })}
      onPerPageSelect={(_event, next) => update({ perPage: next, page: 1 })}
      variant={variant}
      isCompact={variant === 'top'}
      titles={{ paginationAriaLabel: `Applications pages (${variant})` }}
    />
  );

  return (
    <>
      <PageSection>
        <Title headingLevel="h1">SSO Applications</Title>
        <Content component="p" className="console-muted">
          Configured Applications: the SAML applications your users sign in to, what each supports, and how many of their authorised users
          would fail just-in-time provisioning.
        </Content>
      </PageSection>
      <PageSection>
        <Toolbar>
          <ToolbarContent>
            <ToolbarItem>
              <SearchInput
                aria-label="Search applications by name"
                placeholder="Search"
                value={typed}
                onChange={(_event, value) => setTyped(value)}
                onClear={() => {
                  setTyped('');
                  update({ search: '', page: 1 });
                }}
              />
            </ToolbarItem>
            {canWrite && (
              <ToolbarItem>
                <Button variant="primary" onClick={() => void navigate('/applications/new')}>
                  + Add New Application
                </Button>
              </ToolbarItem>
            )}
            {hasItems && (
              <ToolbarItem variant="pagination" align={{ default: 'alignEnd' }}>
                {pagination('top')}
              </ToolbarItem>
            )}
          </ToolbarContent>
        </Toolbar>
        {list.isError && (
          <Alert component="h3" isInline variant="danger" title={`The applications could not be loaded: ${list.error.message}`} />
        )}
        {list.isPending ? (
          <Spinner aria-label="Loading applications" />
        ) : list.data && list.data.items.length === 0 ? (
          <EmptyState titleText={search ? 'No application matches' : 'No applications yet'} headingLevel="h2">
            <EmptyStateBody>
              {search
                ? `No configured application has "${search}" in its name.`
                : canWrite
                  ? 'Add one with + Add New Application: search the catalog for the service your users sign in to.'
                  : 'An administrator adds applications from the connector catalog.'}
            </EmptyStateBody>
          </EmptyState>
        ) : (
          <Table aria-label="Configured Applications" variant="compact" gridBreakPoint="grid-md" data-testid="applications-table">
            <Thead>
              <Tr>
                <Th>Name</Th>
                <Th>Status</Th>
                <Th>Supported Functionality</Th>
                <Th modifier="wrap" info={{ tooltip: 'Active members of the user groups bound to the application' }}>
                  Authorised users
                </Th>
                <Th
                  modifier="wrap"
                  info={{ tooltip: 'Authorised users lacking a value the SP needs to create their account at first sign-in' }}
                >
                  Would fail JIT
                </Th>
              </Tr>
            </Thead>
            <Tbody>
              {list.data?.items.map((app) => {
                const counts = readinessCounts(app);
                return (
                  <Tr key={app.id}>
                    <Td dataLabel="Name">
                      <Link to={`/applications/${app.id}`}>{app.name}</Link>
                      <div className="console-muted">{app.connectorId}</div>
                    </Td>
                    <Td dataLabel="Status">
                      {app.active ? (
                        <Label color="green" isCompact>
                          Active
                        </Label>
                      ) : (
                        <Label color="grey" isCompact>
                          Inactive
                        </Label>
                      )}
                    </Td>
                    <Td dataLabel="Supported Functionality">
                      <FunctionalityLabels values={app.supportedFunctionality} name={app.name} />
                    </Td>
                    <Td dataLabel="Authorised users">{counts.authorised ?? '—'}</Td>
                    <Td dataLabel="Would fail JIT">
                      {counts.notReady === null ? (
                        '—'
                      ) : counts.notReady > 0 ? (
                        <Link to={`/applications/${app.id}?tab=readiness`}>
                          <Label color="orange" isCompact>
                            {counts.notReady}
                          </Label>
                        </Link>
                      ) : (
                        counts.notReady
                      )}
                      {!counts.fresh && (
                        <Tooltip content="The catalog could not confirm its copy of the directory is current: the count may lag.">
                          <span className="console-muted" tabIndex={0}>
                            {' '}
                            (may lag)
                          </span>
                        </Tooltip>
                      )}
                    </Td>
                  </Tr>
                );
              })}
            </Tbody>
          </Table>
        )}
        {hasItems && pagination('bottom')}
      </PageSection>
    </>
  );
}
