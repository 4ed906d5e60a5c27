import { PageSection, Title } from '@patternfly/react-core';

export function GroupPage() {
  return (
    <PageSection>
      <Title headingLevel="h1">Group</Title>
    </PageSection>
  );
}
