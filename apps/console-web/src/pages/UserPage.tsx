import { PageSection, Title } from '@patternfly/react-core';

export function UserPage() {
  return (
    <PageSection>
      <Title headingLevel="h1">User</Title>
    </PageSection>
  );
}
