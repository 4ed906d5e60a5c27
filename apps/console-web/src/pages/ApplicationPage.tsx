import { PageSection, Title } from '@patternfly/react-core';

export function ApplicationPage() {
  return (
    <PageSection>
      <Title headingLevel="h1">Application</Title>
    </PageSection>
  );
}
