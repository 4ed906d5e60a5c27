import { useEffect, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Alert, Button, Checkbox, Content, SearchInput, Spinner, Toolbar, ToolbarContent, ToolbarItem } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { catalog, unwrap } from '../../api/clients';
import { FunctionalityLabels } from '../common/FunctionalityLabels';
import type { Connector, Page } from './types';

/** Create New Application Integration, first step: type the name of the application in the Search field and select it. */
export function ConnectorPicker({ onSelect }: { onSelect: (connector: Connector) => void }) {
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  const [jitOnly, setJitOnly] = useState(false);

  useEffect(() => {
    const timer = setTimeout(() => setSearch(typed.trim()), 250);
    return () => clearTimeout(timer);
  }, [typed]);

  const connectors = useQuery({
    queryKey: ['connectors', { search, jitOnly }],
    queryFn: async () =>
      unwrap<Page<Connector>>(
        await catalog.GET('/v1/connectors', {
          params: { query: { ...(search ? { search } : {}), ...(jitOnly ? { supports: 'jit' } : {}), limit: 100 } },
        }),
      ),
    placeholderData: keepPreviousData,
    staleTime: 5 * 60_000,
  });

  return (
    <>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <SearchInput
              aria-label="Search the connector catalog"
              placeholder="Search"
              value={typed}
              onChange={(_event, value) => setTyped(value)}
              onClear={() => setTyped('')}
              autoFocus
            />
          </ToolbarItem>
          <ToolbarItem alignSelf="center">
            <Checkbox
              id="connectors-jit-only"
              label="Supports JIT Provisioning"
              isChecked={jitOnly}
              onChange={(_e, checked) => setJitOnly(checked)}
            />
          </ToolbarItem>
          <ToolbarItem alignSelf="center">
            <span className="console-muted" aria-live="polite">
              {connectors.data ? `${connectors.data.total} connector${connectors.data.total === 1 ? '' : 's'}` : ''}
            </span>
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      {connectors.isError && (
        <Alert component="h2" isInline variant="danger" title={`The catalog could not be searched: ${connectors.error.message}`} />
      )}
      {connectors.isPending ? (
        <Spinner aria-label="Loading the connector catalog" />
      ) : (
        <Table aria-label="Connector catalog" variant="compact" gridBreakPoint="grid-md" data-testid="connector-results">
          <Thead>
            <Tr>
              <Th>Name</Th>
              <Th modifier="wrap">Supported Functionality</Th>
              <Th screenReaderText="Select" />
            </Tr>
          </Thead>
          <Tbody>
            {connectors.data?.items.map((c) => (
              <Tr key={c.id}>
                <Td dataLabel="Name">
                  <strong>{c.name}</strong>
                  <Content component="small" className="console-muted">
                    {c.description}
                  </Content>
                </Td>
                <Td dataLabel="Supported Functionality">
                  <FunctionalityLabels values={c.supportedFunctionality} name={c.name} />
                </Td>
                <Td isActionCell>
                  <Button variant="secondary" onClick={() => onSelect(c)} aria-label={`Select ${c.name}`}>
                    Select
                  </Button>
                </Td>
              </Tr>
            ))}
            {connectors.data?.items.length === 0 && (
              <Tr>
                <Td colSpan={3}>
                  No connector matches. The generic SAML 2.0 connector works with any SAML service provider: search for &quot;SAML&quot;.
                </Td>
              </Tr>
            )}
          </Tbody>
        </Table>
      )}
    </>
  );
}
