import { PageSection, Tab, TabTitleText, Tabs, Title } from '@patternfly/react-core';
import { useSearchParams } from 'react-router';
import { AdminsTab } from '../components/settings/AdminsTab';
import { ApiKeysTab } from '../components/settings/ApiKeysTab';
import { MfaPolicyTab } from '../components/settings/MfaPolicyTab';
import { SignInPageTab } from '../components/settings/SignInPageTab';
import { SigningKeysTab } from '../components/settings/SigningKeysTab';

const TABS = ['api-keys', 'signing-keys', 'admins', 'mfa', 'sign-in-page'] as const;

/** Settings: API keys, the IdP's signing keys, the admins, the MFA policy and the sign-in page; the open tab is in the address. */
export function SettingsPage() {
  const [params, setParams] = useSearchParams();
  const active = TABS.find((tab) => tab === params.get('tab')) ?? 'api-keys';
  return (
    <>
      <PageSection>
        <Title headingLevel="h1">Settings</Title>
      </PageSection>
      <PageSection>
        <Tabs
          activeKey={active}
          onSelect={(_event, key) => setParams({ tab: String(key) }, { replace: true })}
          aria-label="Settings"
          role="region"
          mountOnEnter
          unmountOnExit
        >
          <Tab eventKey="api-keys" title={<TabTitleText>API keys</TabTitleText>}>
            <div className="pf-v6-u-pt-md">
              <ApiKeysTab />
            </div>
          </Tab>
          <Tab eventKey="signing-keys" title={<TabTitleText>Signing keys</TabTitleText>}>
            <div className="pf-v6-u-pt-md">
              <SigningKeysTab />
            </div>
          </Tab>
          <Tab eventKey="admins" title={<TabTitleText>Admins</TabTitleText>}>
            <div className="pf-v6-u-pt-md">
              <AdminsTab />
            </div>
          </Tab>
          <Tab eventKey="mfa" title={<TabTitleText>Multi-factor authentication</TabTitleText>}>
            <div className="pf-v6-u-pt-md">
              <MfaPolicyTab />
            </div>
          </Tab>
          <Tab eventKey="sign-in-page" title={<TabTitleText>Sign-in page</TabTitleText>}>
            <div className="pf-v6-u-pt-md">
              <SignInPageTab />
            </div>
          </Tab>
        </Tabs>
      </PageSection>
    </>
  );
}
