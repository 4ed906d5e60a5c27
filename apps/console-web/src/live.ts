import { useEffect } from 'react';
import type { QueryClient } from '@tanstack/react-query';

/**
 * Changes made elsewhere (the API, another admin, a sign-in) reach open pages without a reload:
 * the console service relays the organisation's events as server-sent events, and each one marks
 * the queries of its kind stale, so whatever is on screen refetches.
 */
const QUERY_ROOTS: Array<[prefix: string, roots: string[]]> = [
  ['directory.user.', ['users', 'user', 'readiness', 'groups', 'members', 'preview']],
  ['directory.group.', ['groups', 'group', 'members', 'users', 'readiness', 'group-applications']],
  ['directory.membership.', ['members', 'groups', 'users', 'user', 'readiness', 'applications', 'preview']],
  ['catalog.', ['applications', 'application', 'bindings', 'readiness', 'group-applications', 'preview']],
  ['idp.', ['activity', 'application-activity', 'signing-keys']],
  // A factor enrolled, used, removed or reset (a person's security devices), or the policy set.
  ['idp.mfa.', ['user-mfa', 'mfa-policy']],
];

export function rootsFor(subject: string): string[] {
  const unprefixed = subject.replace(/^[^.]+\.(?=(directory|catalog|idp)\.)/, '');
  return QUERY_ROOTS.filter(([prefix]) => unprefixed.startsWith(prefix)).flatMap(([, roots]) => roots);
}

export function useLiveUpdates(queryClient: QueryClient): void {
  useEffect(() => {
    const source = new EventSource('/api/events');
    source.onmessage = (message: MessageEvent<string>) => {
      let subject = '';
      try {
        subject = (JSON.parse(message.data) as { subject?: string }).subject ?? '';
      } catch {
        return;
      }
      const roots = new Set(rootsFor(subject));
      if (subject.includes('.membership.') || subject.includes('.group.')) roots.add('activity');
      void queryClient.invalidateQueries({ predicate: (query) => roots.has(String(query.queryKey[0])) });
    };
    return () => source.close();
  }, [queryClient]);
}
