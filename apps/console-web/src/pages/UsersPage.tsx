import { PageSection, Title } from '@patternfly/react-core';

export function UsersPage() {
  return (
    <PageSection>
      <Title headingLevel="h1">Users</Title>
    </PageSection>
  );
}
