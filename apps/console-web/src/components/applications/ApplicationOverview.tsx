import { useQuery } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  CardBody,
  CardTitle,
  ClipboardCopy,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Flex,
  Label,
  Spinner,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import DownloadIcon from '@patternfly/react-icons/dist/esm/icons/download-icon';
import { idp } from '../../api/clients';
import { SigningKeysTable, signingKeysQuery } from '../common/signing-keys';
import { readIdpMetadata } from './idp-metadata';
import { downloadText } from '../common/download';
import { MFA_AUTHN_CONTEXT_TEXT, NAME_ID_FORMAT_LABEL, type Application, type NameIdFormat } from './types';

function Copyable({ label, value }: { label: string; value: string }) {
  return (
    <ClipboardCopy isReadOnly hoverTip="Copy" clickTip="Copied" textAriaLabel={label} toggleAriaLabel={`Show ${label}`}>
      {value}
    </ClipboardCopy>
  );
}

/**
 * What the SP's admin needs from the IdP (SSO URL, entity ID, metadata, certificate and its
 * rotation schedule) and how the application is configured.
 */
export function ApplicationOverview({ app }: { app: Application }) {
  const metadata = useQuery({
    queryKey: ['application', app.id, 'idp-metadata'],
    queryFn: async () => {
      const result = await idp.GET('/saml2/{appId}/metadata', { params: { path: { appId: app.id } }, parseAs: 'text' });
      if (!result.response.ok) throw new Error(`The IdP answered ${result.response.status}`);
      return readIdpMetadata(result.data ?? '');
    },
    staleTime: 60_000,
  });
  const keys = useQuery({ ...signingKeysQuery, staleTime: 60_000 });
  const metadataPath = `/api/idp/saml2/${app.id}/metadata`;
  const endpoints = metadata.data;
  const currentKey = keys.data?.items.find((k) => k.state === 'current');
  const certificate = currentKey?.certificatePem ?? endpoints?.certificates[0];

  return (
    <Flex direction={{ default: 'column' }} gap={{ default: 'gapLg' }}>
      <Card>
        <CardTitle component="h2">Identity provider details for the SP</CardTitle>
        <CardBody>
          {metadata.isPending ? (
            <Spinner size="md" aria-label="Loading the IdP metadata" />
          ) : metadata.isError || !endpoints ? (
            <Alert
              component="h3"
              isInline
              variant="warning"
              title={`The IdP's metadata for this application could not be read${metadata.isError ? `: ${metadata.error.message}` : ''}`}
            />
          ) : (
            <DescriptionList isHorizontal isCompact>
              <DescriptionListGroup>
                <DescriptionListTerm>IdP SSO URL</DescriptionListTerm>
                <DescriptionListDescription data-testid="idp-sso-url">
                  <Copyable label="IdP SSO URL" value={endpoints.ssoUrl ?? `${endpoints.entityId}/sso`} />
                </DescriptionListDescription>
              </DescriptionListGroup>
              <DescriptionListGroup>
                <DescriptionListTerm>IdP Entity ID</DescriptionListTerm>
                <DescriptionListDescription>
                  <Copyable label="IdP Entity ID" value={endpoints.entityId} />
                </DescriptionListDescription>
              </DescriptionListGroup>
              <DescriptionListGroup>
                <DescriptionListTerm>IdP metadata URL</DescriptionListTerm>
                <DescriptionListDescription>
                  <Copyable label="IdP metadata URL" value={`${endpoints.entityId}/metadata`} />
                </DescriptionListDescription>
              </DescriptionListGroup>
              {endpoints.sloUrl && (
                <DescriptionListGroup>
                  <DescriptionListTerm>IdP Single Logout URL</DescriptionListTerm>
                  <DescriptionListDescription>
                    <Copyable label="IdP Single Logout URL" value={endpoints.sloUrl} />
                  </DescriptionListDescription>
                </DescriptionListGroup>
              )}
            </DescriptionList>
          )}
          <Flex className="pf-v6-u-mt-md" gap={{ default: 'gapSm' }}>
            <Button component="a" href={metadataPath} download={`idp-metadata-${app.id}.xml`} variant="secondary" icon={<DownloadIcon />}>
              Download IdP metadata
            </Button>
            <Button
              variant="secondary"
              icon={<DownloadIcon />}
              isDisabled={!certificate}
              onClick={() => certificate && downloadText(`idp-certificate-${app.id}.pem`, certificate, 'application/x-pem-file')}
            >
              Download certificate
            </Button>
          </Flex>
        </CardBody>
      </Card>

      <Card>
        <CardTitle component="h2">Signing certificate rotation</CardTitle>
        <CardBody>
          {keys.isPending ? (
            <Spinner size="md" aria-label="Loading the signing keys" />
          ) : keys.isError ? (
            <Alert component="h3" isInline variant="warning" title={`The signing keys could not be loaded: ${keys.error.message}`} />
          ) : (
            <SigningKeysTable keys={keys.data.items} />
          )}
        </CardBody>
      </Card>

      <Card>
        <CardTitle component="h2">Service provider</CardTitle>
        <CardBody>
          <DescriptionList isHorizontal isCompact>
            <DescriptionListGroup>
              <DescriptionListTerm>Connector</DescriptionListTerm>
              <DescriptionListDescription>{app.connectorId}</DescriptionListDescription>
            </DescriptionListGroup>
            <DescriptionListGroup>
              <DescriptionListTerm>SP Entity ID</DescriptionListTerm>
              <DescriptionListDescription className="console-break">{app.spEntityId}</DescriptionListDescription>
            </DescriptionListGroup>
            <DescriptionListGroup>
              <DescriptionListTerm>ACS URLs</DescriptionListTerm>
              <DescriptionListDescription className="console-break">
                {app.acsUrls.map((url) => (
                  <div key={url}>{url}</div>
                ))}
              </DescriptionListDescription>
            </DescriptionListGroup>
            <DescriptionListGroup>
              <DescriptionListTerm>NameID</DescriptionListTerm>
              <DescriptionListDescription>
                {NAME_ID_FORMAT_LABEL[app.nameIdFormat as NameIdFormat] ?? app.nameIdFormat} from {app.nameIdSource}
              </DescriptionListDescription>
            </DescriptionListGroup>
            <DescriptionListGroup>
              <DescriptionListTerm>Signing</DescriptionListTerm>
              <DescriptionListDescription>
                {[app.signResponse && 'Response', app.signAssertion && 'Assertion'].filter(Boolean).join(' and ') || 'Nothing'} signed (
                {app.signatureAlgorithm.toUpperCase()}){app.requireSignedRequests ? '; signed AuthnRequests required' : ''}
              </DescriptionListDescription>
            </DescriptionListGroup>
            <DescriptionListGroup>
              <DescriptionListTerm>Encryption</DescriptionListTerm>
              <DescriptionListDescription>{app.encryptionCertificate ? 'Assertion encrypted' : 'Off'}</DescriptionListDescription>
            </DescriptionListGroup>
            <DescriptionListGroup>
              <DescriptionListTerm>Single Logout URL</DescriptionListTerm>
              <DescriptionListDescription className="console-break">{app.singleLogoutUrl ?? 'None'}</DescriptionListDescription>
            </DescriptionListGroup>
            <DescriptionListGroup>
              <DescriptionListTerm>Default RelayState</DescriptionListTerm>
              <DescriptionListDescription className="console-break">{app.defaultRelayState ?? 'None'}</DescriptionListDescription>
            </DescriptionListGroup>
            <DescriptionListGroup>
              <DescriptionListTerm>Multi-factor authentication</DescriptionListTerm>
              <DescriptionListDescription data-testid="application-mfa" className="console-break">
                {app.mfaPhishingResistant
                  ? 'A passkey is required for every sign-in'
                  : app.mfaRequired
                    ? 'Required for every sign-in'
                    : "As the organisation's MFA policy says"}
                ; after a second factor the assertion says {MFA_AUTHN_CONTEXT_TEXT[app.mfaAuthnContext].label} (
                {MFA_AUTHN_CONTEXT_TEXT[app.mfaAuthnContext].classRef})
              </DescriptionListDescription>
            </DescriptionListGroup>
            <DescriptionListGroup>
              <DescriptionListTerm>User portal</DescriptionListTerm>
              <DescriptionListDescription>
                {app.portalVisible ? `Shown as "${app.portalLabel ?? app.name}"` : 'Hidden'}
                {app.idpInitiatedAllowed ? '' : app.launchUrl ? `; launches ${app.launchUrl}` : '; IdP-initiated sign-in off'}
              </DescriptionListDescription>
            </DescriptionListGroup>
          </DescriptionList>
        </CardBody>
      </Card>

      <Card>
        <CardTitle component="h2">User attributes</CardTitle>
        <CardBody>
          <Table aria-label="User attributes sent" variant="compact" gridBreakPoint="grid-md">
            <Thead>
              <Tr>
                <Th>Service Provider Attribute Name</Th>
                <Th>Value</Th>
                <Th>JIT</Th>
                <Th>Sent</Th>
              </Tr>
            </Thead>
            <Tbody>
              {app.attributes.map((m) => (
                <Tr key={m.spName}>
                  <Td dataLabel="Service Provider Attribute Name" className="console-break">
                    {m.spName}
                  </Td>
                  <Td dataLabel="Value">{m.constant !== null ? `Constant "${m.constant}"` : m.source}</Td>
                  <Td dataLabel="JIT">
                    {m.required ? (
                      <Label color="green" isCompact>
                        JIT required
                      </Label>
                    ) : (
                      'Optional'
                    )}
                  </Td>
                  <Td dataLabel="Sent">{m.enabled ? 'Yes' : 'No (switched off)'}</Td>
                </Tr>
              ))}
              {app.attributes.length === 0 && (
                <Tr>
                  <Td colSpan={4}>No attributes besides the NameID.</Td>
                </Tr>
              )}
            </Tbody>
          </Table>
        </CardBody>
      </Card>
    </Flex>
  );
}
