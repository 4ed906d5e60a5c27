import { useEffect, useRef, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, CardBody, CardTitle, Content, Label, Spinner } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { idp, unwrap, type IdpSchemas } from '../../api/clients';
import { useCanOnAccount } from '../../session';
import { ConfirmDialog } from '../common/ConfirmDialog';
import type { UserView } from './types';
import { DateTime, moment } from '../common/DateTime';

type Factor = IdpSchemas['UserMfa']['factors'][number];

/** How each kind of factor reads to an admin; a kind the IdP adds fails the build until it is named here. */
const KIND_LABEL: Record<Factor['kind'], string> = { totp: 'Authenticator app (TOTP)', webauthn: 'Passkey' };

/** IdP GET /v1/users/{id}/mfa: the person's factors and recovery codes left (never a secret). */
export const userMfaQuery = (userId: string) => ({
  queryKey: ['user-mfa', userId] as const,
  queryFn: async () => unwrap(await idp.GET('/v1/users/{id}/mfa', { params: { path: { id: userId } } })),
});

/**
 * A person's second factors as the IdP holds them and whether wrong codes locked their second step.
 * With 'credentials:manage' (administrator, help desk): "Unlock second step" lifts the lockout and
 * keeps the devices (a person who mistyped); "Reset MFA" removes every factor and recovery code,
 * lifts the lockout and ends the person's sessions (a person who lost the device), so they sign in
 * again and enrol again where the policy asks. The IdP refuses both on an admin's account to anyone
 * who may not change roles.
 */
export function SecurityDevicesCard({ user }: { user: UserView }) {
  const canReset = useCanOnAccount('credentials:manage', user);
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  // The button that was pressed is gone once the lockout or the devices are: the focus moves to what
  // happened, not to the top of the page (once the dialog has let go of it).
  const noticeRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (notice && !confirming) noticeRef.current?.focus();
  }, [notice, confirming]);
  const [unlock, setUnlock] = useState<{ busy: boolean; failure: string | null }>({ busy: false, failure: null });
  const mfa = useQuery(userMfaQuery(user.id));
  const factors = mfa.data?.factors ?? [];

  const unlockSecondStep = async () => {
    setNotice(null);
    setUnlock({ busy: true, failure: null });
    try {
      unwrap(await idp.DELETE('/v1/users/{id}/mfa/lockout', { params: { path: { id: user.id } } }));
      // The state is read again first, so the notice never shows beside a lockout already lifted.
      await queryClient.invalidateQueries({ queryKey: ['user-mfa', user.id] });
      setNotice('Unlocked: a right code works at once; the devices stay');
      setUnlock({ busy: false, failure: null });
    } catch (error) {
      setUnlock({ busy: false, failure: error instanceof Error ? error.message : String(error) });
    }
  };

  return (
    <Card>
      <CardTitle component="h2">Security devices</CardTitle>
      <CardBody>
        {notice && (
          <div ref={noticeRef} tabIndex={-1} data-testid="security-devices-notice">
            <Alert isInline variant="success" title={notice} className="pf-v6-u-mb-sm" aria-live="polite" />
          </div>
        )}
        {mfa.isPending && <Spinner size="md" aria-label="Loading the security devices" />}
        {mfa.isError && (
          <Alert component="h3" isInline variant="danger" title="The security devices could not be loaded">
            {mfa.error.message}
          </Alert>
        )}
        {mfa.data && (
          <>
            {mfa.data.lockedUntil && (
              <Alert
                component="h3"
                isInline
                variant="warning"
                title={`Second step locked until ${moment(mfa.data.lockedUntil)}`}
                className="pf-v6-u-mb-sm"
                data-testid="mfa-locked"
              >
                Too many wrong codes: even a right one is refused until then.
                {unlock.failure && <p className="pf-v6-u-mt-sm">The unlock failed: {unlock.failure}</p>}
                {canReset && (
                  <div className="pf-v6-u-mt-sm">
                    <Button variant="secondary" onClick={() => void unlockSecondStep()} isLoading={unlock.busy} isDisabled={unlock.busy}>
                      Unlock second step
                    </Button>
                  </div>
                )}
              </Alert>
            )}
            {factors.length === 0 ? (
              <Content component="p">No second factor set up.</Content>
            ) : (
              <Table aria-label={`Security devices of ${user.username}`} variant="compact" gridBreakPoint="grid">
                <Thead>
                  <Tr>
                    <Th>Device</Th>
                    <Th>Enrolled</Th>
                    <Th>Last used</Th>
                  </Tr>
                </Thead>
                <Tbody>
                  {factors.map((factor) => (
                    <Tr key={factor.id}>
                      <Td dataLabel="Device">
                        {KIND_LABEL[factor.kind]}
                        {factor.name ? ` “${factor.name}”` : ''}{' '}
                        {!factor.confirmed && (
                          <Label color="orange" isCompact>
                            Not confirmed
                          </Label>
                        )}
                      </Td>
                      <Td dataLabel="Enrolled">
                        <DateTime iso={factor.createdAt} />
                      </Td>
                      <Td dataLabel="Last used">{factor.lastUsedAt ? <DateTime iso={factor.lastUsedAt} /> : 'Never'}</Td>
                    </Tr>
                  ))}
                </Tbody>
              </Table>
            )}
            <Content component="p" className="pf-v6-u-mt-sm" data-testid="recovery-codes-left">
              {mfa.data.recoveryCodesLeft === 1 ? '1 recovery code left.' : `${mfa.data.recoveryCodesLeft} recovery codes left.`}
            </Content>
            {canReset && (factors.length > 0 || mfa.data.recoveryCodesLeft > 0) && (
              <Button variant="secondary" isDanger onClick={() => setConfirming(true)} className="pf-v6-u-mt-sm">
                Reset MFA
              </Button>
            )}
          </>
        )}
      </CardBody>
      {canReset && (
        <ConfirmDialog
          title={`Reset MFA for ${user.username}?`}
          confirmLabel="Reset MFA"
          isOpen={confirming}
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            setNotice(null);
            const reset = unwrap(await idp.DELETE('/v1/users/{id}/mfa', { params: { path: { id: user.id } } }));
            const factorsText = reset.factorsRemoved === 1 ? '1 device removed' : `${reset.factorsRemoved} devices removed`;
            const sessionsText = reset.sessionsEnded === 1 ? '1 session ended' : `${reset.sessionsEnded} sessions ended`;
            setNotice(`MFA reset: ${factorsText}, ${sessionsText}`);
            await queryClient.invalidateQueries({ queryKey: ['user-mfa', user.id] });
          }}
        >
          Every security device and recovery code of {user.username} is removed and any MFA lockout is lifted.{' '}
          <strong>This ends their sessions:</strong> they sign in again with their password, and set up a new device at sign-in when the
          organisation or an application requires one. Do this only once you are sure who asked.
        </ConfirmDialog>
      )}
    </Card>
  );
}
