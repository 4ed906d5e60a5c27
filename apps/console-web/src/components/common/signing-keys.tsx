import { Alert, Button, Label } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import DownloadIcon from '@patternfly/react-icons/dist/esm/icons/download-icon';
import { idp, unwrap, type IdpSchemas } from '../../api/clients';
import { downloadText } from './download';
import { DateTime, moment } from './DateTime';

/** The IdP's signing keys of the organisation, as an application's page and Settings both show them. */
export type SigningKey = IdpSchemas['SigningKeysList']['items'][number];

/** IdP GET /v1/signing-keys: one query (and cache entry) for every screen that shows the keys. */
export const signingKeysQuery = {
  queryKey: ['signing-keys'] as const,
  queryFn: async () => unwrap(await idp.GET('/v1/signing-keys')),
};

const STATE_COLOR = { current: 'green', next: 'blue', retired: 'grey' } as const;

/** Current, next and retired certificates, the next one's start announced, each downloadable. */
export function SigningKeysTable({ keys }: { keys: SigningKey[] }) {
  const order = { current: 0, next: 1, retired: 2 } as const;
  const sorted = [...keys].sort((a, b) => order[a.state] - order[b.state] || b.activatesAt.localeCompare(a.activatesAt));
  const next = sorted.find((k) => k.state === 'next');
  return (
    <>
      {next ? (
        <Alert
          component="h3"
          isInline
          variant="info"
          title={`The next certificate signs from ${moment(next.activatesAt)}`}
          className="pf-v6-u-mb-md"
        >
          SPs that do not read the IdP metadata need it installed before then.
        </Alert>
      ) : (
        <p className="console-muted pf-v6-u-mb-md">No rotation is scheduled.</p>
      )}
      <Table aria-label="Signing certificates" variant="compact" gridBreakPoint="grid-md">
        <Thead>
          <Tr>
            <Th>State</Th>
            <Th>Signs from</Th>
            <Th>Valid until</Th>
            <Th>SHA-256 fingerprint</Th>
            <Th screenReaderText="Download" />
          </Tr>
        </Thead>
        <Tbody>
          {sorted.map((k) => (
            <Tr key={k.id}>
              <Td dataLabel="State">
                <Label color={STATE_COLOR[k.state]} isCompact>
                  {k.state}
                </Label>
              </Td>
              <Td dataLabel="Signs from">
                <DateTime iso={k.activatesAt} />
              </Td>
              <Td dataLabel="Valid until">
                <DateTime iso={k.notAfter} />
              </Td>
              <Td dataLabel="SHA-256 fingerprint" modifier="breakWord">
                <code>{k.fingerprintSha256}</code>
              </Td>
              <Td isActionCell>
                <Button
                  variant="plain"
                  icon={<DownloadIcon />}
                  aria-label={`Download the ${k.state} certificate`}
                  onClick={() => downloadText(`idp-certificate-${k.state}-${k.id}.pem`, k.certificatePem, 'application/x-pem-file')}
                />
              </Td>
            </Tr>
          ))}
        </Tbody>
      </Table>
    </>
  );
}
