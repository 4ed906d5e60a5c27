import { PageSection, Title } from '@patternfly/react-core';

export function ActivityPage() {
  return (
    <PageSection>
      <Title headingLevel="h1">Activity</Title>
    </PageSection>
  );
}
