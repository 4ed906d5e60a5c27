import { PageSection, Title } from '@patternfly/react-core';

export function GroupsPage() {
  return (
    <PageSection>
      <Title headingLevel="h1">Groups</Title>
    </PageSection>
  );
}
