import { PageSection, Title } from '@patternfly/react-core';

export function NewApplicationPage() {
  return (
    <PageSection>
      <Title headingLevel="h1">NewApplication</Title>
    </PageSection>
  );
}
