import { PageSection, Title } from '@patternfly/react-core';

export function SettingsPage() {
  return (
    <PageSection>
      <Title headingLevel="h1">Settings</Title>
    </PageSection>
  );
}
