import { useId, type ReactNode } from 'react';
import { useInfiniteQuery, useQueries } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import {
  Alert,
  Button,
  EmptyState,
  EmptyStateBody,
  Form,
  FormGroup,
  FormSelect,
  FormSelectOption,
  Grid,
  GridItem,
  Label,
  PageSection,
  TextInput,
  Title,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import {
  ACTIVITY_KINDS,
  KIND_LABEL,
  REFUSAL_REASONS,
  fetchActivity,
  type ActivityFilter,
  type ActivityItem,
  type ActivityKind,
} from '../components/directory/activity-api';
import { useApplicationChoices } from '../components/directory/queries';
import { directory, unwrap } from '../api/clients';
import { UserPicker } from '../components/directory/UserPicker';
import { readable } from '../components/directory/activity-text';
import { DateTime } from '../components/common/DateTime';
import { useMe } from '../session';
import { unlessEmpty } from '../components/common/stacked-cells';

const KIND_COLOR = { 'sign-in': 'green', refusal: 'red', 'admin-change': 'blue' } as const;

/** datetime-local (the person's time zone) ↔ the ISO instant the API takes. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);
const toLocal = (iso: string | null) => {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
};

/** Who made an admin change: a person, an API key, or the system (the contract's actor, or its text). */
function actorText(actor: unknown): string {
  if (!actor) return '';
  if (typeof actor === 'string') return actor;
  if (typeof actor === 'object') {
    const a = actor as { kind?: string; username?: string; fingerprint?: string };
    if (a.kind === 'person' && a.username) return a.username;
    if (a.kind === 'api-key' && a.fingerprint) return `API key ${a.fingerprint}`;
  }
  return JSON.stringify(actor);
}

/** What the log calls this console, which is an application of the IdP's but not of the catalog's. */
const CONSOLE_NAME = 'Admin console';

/**
 * A typed reason (`app_not_authorized`, `missing_required_attribute:costCenter`) with a line-break
 * opportunity after each `_` and `:`, so a narrow column wraps it between its words, not inside one.
 */
function breakable(reason: string): ReactNode[] {
  return reason.split(/(?<=[_:])/).flatMap((part, i) => (i === 0 ? [part] : [<wbr key={i} />, part]));
}

/**
 * Activity: sign-ins, refusals (with their typed reasons) and admin changes, newest first. The
 * filters live in the address, so the user and application pages can link here filtered; "Load
 * more" follows the keyset cursor, so a long history never loads at once.
 */
export function ActivityPage() {
  const [params, setParams] = useSearchParams();
  const fromId = useId();
  const toId = useId();
  const applications = useApplicationChoices(true);
  // Sign-ins to this console carry its own application id, which the catalog does not list.
  const { consoleApplicationId } = useMe();
  const appName = new Map([
    ...(applications.data?.items ?? []).map((app) => [app.id, app.name] as const),
    [consoleApplicationId, CONSOLE_NAME] as const,
  ]);

  const kind = ACTIVITY_KINDS.find((k) => k === params.get('kind'));
  const filter: ActivityFilter = {
    kind,
    userId: params.get('userId') ?? undefined,
    applicationId: params.get('applicationId') ?? undefined,
    reason: params.get('reason') ?? undefined,
    from: params.get('from') ?? undefined,
    to: params.get('to') ?? undefined,
  };
  const set = (key: keyof ActivityFilter, value: string | undefined) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );

  const activity = useInfiniteQuery({
    queryKey: ['activity', filter],
    queryFn: ({ pageParam }) => fetchActivity(filter, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextBefore,
  });
  const items: ActivityItem[] = activity.data?.pages.flatMap((page) => page.items) ?? [];
  const username = useUsernames(items);
  const filtered = Object.values(filter).some(Boolean);

  return (
    <>
      <PageSection>
        <Title headingLevel="h1">Activity</Title>
      </PageSection>
      <PageSection>
        <Form aria-label="Filter activity" onSubmit={(event) => event.preventDefault()}>
          <Grid hasGutter md={6} xl={4}>
            <GridItem>
              <FormGroup label="Kind" fieldId="activity-kind">
                <FormSelect id="activity-kind" value={kind ?? ''} onChange={(_event, value) => set('kind', value)}>
                  <FormSelectOption value="" label="Every kind" />
                  {ACTIVITY_KINDS.map((k: ActivityKind) => (
                    <FormSelectOption key={k} value={k} label={KIND_LABEL[k]} />
                  ))}
                </FormSelect>
              </FormGroup>
            </GridItem>
            <GridItem>
              <FormGroup label="Refusal reason" fieldId="activity-reason">
                <FormSelect id="activity-reason" value={filter.reason ?? ''} onChange={(_event, value) => set('reason', value)}>
                  <FormSelectOption value="" label="Any reason" />
                  {REFUSAL_REASONS.map((reason) => (
                    <FormSelectOption key={reason} value={reason} label={reason} />
                  ))}
                </FormSelect>
              </FormGroup>
            </GridItem>
            <GridItem>
              <FormGroup label="Application" fieldId="activity-application">
                <FormSelect
                  id="activity-application"
                  value={filter.applicationId ?? ''}
                  onChange={(_event, value) => set('applicationId', value)}
                >
                  <FormSelectOption value="" label="Any application" />
                  {filter.applicationId && !appName.has(filter.applicationId) && (
                    <FormSelectOption value={filter.applicationId} label="The chosen application" />
                  )}
                  {(applications.data?.items ?? []).map((app) => (
                    <FormSelectOption key={app.id} value={app.id} label={app.name} />
                  ))}
                  <FormSelectOption value={consoleApplicationId} label={CONSOLE_NAME} />
                </FormSelect>
              </FormGroup>
            </GridItem>
            <GridItem>
              <UserPicker label="User" value={filter.userId ?? ''} onChange={(userId) => set('userId', userId)} />
            </GridItem>
            <GridItem>
              <FormGroup label="From" fieldId={fromId}>
                <TextInput
                  id={fromId}
                  type="datetime-local"
                  value={toLocal(filter.from ?? null)}
                  onChange={(_event, value) => set('from', toIso(value))}
                />
              </FormGroup>
            </GridItem>
            <GridItem>
              <FormGroup label="To" fieldId={toId}>
                <TextInput
                  id={toId}
                  type="datetime-local"
                  value={toLocal(filter.to ?? null)}
                  onChange={(_event, value) => set('to', toIso(value))}
                />
              </FormGroup>
            </GridItem>
          </Grid>
          {filtered && (
            <div>
              <Button variant="link" isInline onClick={() => setParams(new URLSearchParams(), { replace: true })}>
                Clear all filters
              </Button>
            </div>
          )}
        </Form>
      </PageSection>
      <PageSection>
        {activity.isError && (
          <Alert isInline variant="danger" title="The activity could not be loaded">
            {activity.error.message}
          </Alert>
        )}
        <Table aria-label="Activity, newest first" variant="compact" aria-busy={activity.isFetching}>
          <Thead>
            <Tr>
              <Th>When</Th>
              <Th>Kind</Th>
              <Th>What happened</Th>
              <Th>User</Th>
              <Th modifier="wrap">Application</Th>
              <Th>Reason</Th>
              <Th>By</Th>
            </Tr>
          </Thead>
          <Tbody>
            {items.map((item) => (
              <Tr key={item.id}>
                <Td dataLabel="When">
                  <DateTime iso={item.occurredAt} />
                </Td>
                <Td dataLabel="Kind">
                  <Label color={KIND_COLOR[item.kind]} isCompact>
                    {KIND_LABEL[item.kind]}
                  </Label>
                </Td>
                <Td dataLabel="What happened">
                  {readable(item, username, appName)}
                  {item.detail && <div className="console-muted">{item.detail}</div>}
                </Td>
                <Td dataLabel="User" {...unlessEmpty(item.userId)}>
                  {item.userId ? <Link to={`/users/${item.userId}`}>{username.get(item.userId) ?? 'User'}</Link> : ''}
                </Td>
                <Td dataLabel="Application" {...unlessEmpty(item.applicationId)}>
                  {item.applicationId === consoleApplicationId ? (
                    CONSOLE_NAME
                  ) : item.applicationId ? (
                    <Link to={`/applications/${item.applicationId}`}>{appName.get(item.applicationId) ?? 'Application'}</Link>
                  ) : (
                    ''
                  )}
                </Td>
                <Td dataLabel="Reason" modifier="wrap" {...unlessEmpty(item.reason)}>
                  {item.reason ? <code>{breakable(item.reason)}</code> : ''}
                </Td>
                <Td dataLabel="By" {...unlessEmpty(item.actor)}>
                  {actorText(item.actor)}
                </Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
        {activity.isSuccess && items.length === 0 && (
          <EmptyState headingLevel="h2" titleText={filtered ? 'Nothing matches these filters' : 'No activity yet'} variant="sm">
            <EmptyStateBody>Sign-ins, refusals and admin changes appear here within seconds.</EmptyStateBody>
          </EmptyState>
        )}
        {activity.hasNextPage && (
          <Button
            variant="secondary"
            className="pf-v6-u-mt-md"
            onClick={() => void activity.fetchNextPage()}
            isLoading={activity.isFetchingNextPage}
            isDisabled={activity.isFetchingNextPage}
          >
            Load more
          </Button>
        )}
      </PageSection>
    </>
  );
}

/**
 * The usernames of the people on the page (the activity store keeps ids only): one directory read
 * per person, cached under the user page's key, so a person's rows show their username. A deleted
 * person stays "User".
 */
function useUsernames(items: ActivityItem[]): Map<string, string> {
  const ids = [...new Set(items.flatMap((item) => (item.userId ? [item.userId] : [])))];
  const users = useQueries({
    queries: ids.map((id) => ({
      queryKey: ['user', id],
      queryFn: async () => unwrap(await directory.GET('/v1/users/{id}', { params: { path: { id } } })),
      staleTime: 60_000,
      retry: false,
    })),
  });
  return new Map(ids.flatMap((id, index) => (users[index]?.data ? [[id, users[index].data.username] as [string, string]] : [])));
}
