import { PageSection, Title } from '@patternfly/react-core';

export function ApplicationsPage() {
  return (
    <PageSection>
      <Title headingLevel="h1">Applications</Title>
    </PageSection>
  );
}
