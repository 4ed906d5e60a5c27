import { PageSection, Title } from '@patternfly/react-core';

export function NotFoundPage() {
  return (
    <PageSection>
      <Title headingLevel="h1">NotFound</Title>
    </PageSection>
  );
}
