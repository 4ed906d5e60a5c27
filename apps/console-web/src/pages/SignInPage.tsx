import { Alert, Button, Content, Flex, LoginPage } from '@patternfly/react-core';

/** Shown to anyone without a console session: sign-in goes through the organisation's IdP. */
export function SignInPage({ ended, failed }: { ended: boolean; failed?: string }) {
  return (
    <LoginPage loginTitle="Admin console" loginSubtitle="Sign in with your organisation account">
      <Flex direction={{ default: 'column' }} gap={{ default: 'gapMd' }}>
        {ended && <Alert isInline variant="info" title="Your session ended. Sign in again to continue." />}
        {failed && <Alert isInline variant="danger" title={`The console could not load: ${failed}`} />}
        <Content component="p">
          You sign in on your identity provider&apos;s page with your username and password; the console never sees your password.
        </Content>
        <Button component="a" href="/auth/login" variant="primary" isBlock>
          Sign in
        </Button>
      </Flex>
    </LoginPage>
  );
}
