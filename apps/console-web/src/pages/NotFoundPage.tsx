import { Link } from 'react-router';
import { EmptyState, EmptyStateBody, EmptyStateFooter, PageSection } from '@patternfly/react-core';

/** An unknown address, or an id that names nothing in the organisation (deleted, or another's). */
export function NotFoundPage({ what, back }: { what?: string; back?: { to: string; label: string } } = {}) {
  return (
    <PageSection>
      <EmptyState headingLevel="h1" titleText={what ? `No such ${what}` : 'Page not found'}>
        <EmptyStateBody>
          {what ? `This ${what} does not exist in your organisation, or it was deleted.` : 'Nothing in the console lives at this address.'}
        </EmptyStateBody>
        <EmptyStateFooter>
          <Link to={back?.to ?? '/applications'}>{back ? `Back to ${back.label}` : 'Go to SSO Applications'}</Link>
        </EmptyStateFooter>
      </EmptyState>
    </PageSection>
  );
}
