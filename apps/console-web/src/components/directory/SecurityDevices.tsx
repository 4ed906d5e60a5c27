import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, CardBody, CardTitle, Content, Label, Spinner } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { idp, unwrap, type IdpSchemas } from '../../api/clients';
import { useCan } from '../../session';
import { ConfirmDialog } from '../common/ConfirmDialog';
import type { UserView } from './types';

type Factor = IdpSchemas['UserMfa']['factors'][number];

/** How each kind of factor reads to an admin; a kind the IdP adds fails the build until it is named here. */
const KIND_LABEL: Record<Factor['kind'], string> = { totp: 'Authenticator app (TOTP)' };

const when = (iso: string) => new Date(iso).toLocaleString();

/** IdP GET /v1/users/{id}/mfa: the person's factors and recovery codes left (never a secret). */
export const userMfaQuery = (userId: string) => ({
  queryKey: ['user-mfa', userId] as const,
  queryFn: async () => unwrap(await idp.GET('/v1/users/{id}/mfa', { params: { path: { id: userId } } })),
});

/**
 * A person's second factors as the IdP holds them, and, with 'credentials:manage' (administrator,
 * help desk), "Reset MFA": every factor and recovery code goes, an MFA lockout is lifted and the
 * person's sessions end, so they sign in again and enrol again where the policy asks.
 */
export function SecurityDevicesCard({ user }: { user: UserView }) {
  const canReset = useCan('credentials:manage');
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const mfa = useQuery(userMfaQuery(user.id));
  const factors = mfa.data?.factors ?? [];

  return (
    <Card>
      <CardTitle component="h2">Security devices</CardTitle>
      <CardBody>
        {notice && <Alert isInline variant="success" title={notice} className="pf-v6-u-mb-sm" aria-live="polite" />}
        {mfa.isPending && <Spinner size="md" aria-label="Loading the security devices" />}
        {mfa.isError && (
          <Alert component="h3" isInline variant="danger" title="The security devices could not be loaded">
            {mfa.error.message}
          </Alert>
        )}
        {mfa.data && (
          <>
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
                        {KIND_LABEL[factor.kind]}{' '}
                        {!factor.confirmed && (
                          <Label color="orange" isCompact>
                            Not confirmed
                          </Label>
                        )}
                      </Td>
                      <Td dataLabel="Enrolled">{when(factor.createdAt)}</Td>
                      <Td dataLabel="Last used">{factor.lastUsedAt ? when(factor.lastUsedAt) : 'Never'}</Td>
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
