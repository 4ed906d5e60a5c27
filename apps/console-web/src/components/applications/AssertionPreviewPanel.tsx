import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import {
  Alert,
  Button,
  CodeBlock,
  CodeBlockCode,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  ExpandableSection,
  Form,
  FormGroup,
  InputGroup,
  InputGroupItem,
  List,
  ListItem,
  Spinner,
  TextInput,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { directory, idp, unwrap } from '../../api/clients';
import type { AssertionPreview, Page, UserSummary } from './types';

/** The directory's user list filters on exact values (username or email, ignoring case); there is no free-text search here. */
async function findUser(text: string): Promise<UserSummary | null> {
  const value = text.trim();
  const query = value.includes('@') ? { email: value } : { username: value };
  const page = unwrap<Page<UserSummary>>(await directory.GET('/v1/users', { params: { query: { ...query, limit: 1 } } }));
  return page.items[0] ?? null;
}

/**
 * What a chosen user would receive from this application now (the IdP's own decision, unsigned):
 * the NameID and attributes, or what blocks the sign-in.
 */
export function AssertionPreviewPanel({
  applicationId,
  userId,
  onUser,
}: {
  applicationId: string;
  userId: string | null;
  onUser: (id: string) => void;
}) {
  const [typed, setTyped] = useState('');
  const [lookup, setLookup] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  useEffect(() => setLookup({ busy: false, error: null }), [userId]);

  const preview = useQuery({
    queryKey: ['preview', applicationId, userId],
    queryFn: async () =>
      unwrap<AssertionPreview>(
        await idp.GET('/v1/applications/{id}/preview', { params: { path: { id: applicationId }, query: { userId: userId as string } } }),
      ),
    enabled: Boolean(userId),
  });
  const user = useQuery({
    queryKey: ['user', userId],
    queryFn: async () => unwrap<UserSummary>(await directory.GET('/v1/users/{id}', { params: { path: { id: userId as string } } })),
    enabled: Boolean(userId),
  });

  async function choose() {
    if (typed.trim() === '') return;
    setLookup({ busy: true, error: null });
    try {
      const found = await findUser(typed);
      if (!found) setLookup({ busy: false, error: `No user has the username or email "${typed.trim()}"` });
      else {
        setLookup({ busy: false, error: null });
        onUser(found.id);
      }
    } catch (error) {
      setLookup({ busy: false, error: error instanceof Error ? error.message : String(error) });
    }
  }

  return (
    <>
      <Form
        onSubmit={(event) => {
          event.preventDefault();
          void choose();
        }}
      >
        <FormGroup label="User (exact username or email)" fieldId="preview-user">
          <InputGroup>
            <InputGroupItem isFill>
              <TextInput
                id="preview-user"
                value={typed}
                onChange={(_event, value) => setTyped(value)}
                placeholder="jdoe or jdoe@example.com"
              />
            </InputGroupItem>
            <InputGroupItem>
              <Button type="submit" variant="primary" isLoading={lookup.busy} isDisabled={lookup.busy || typed.trim() === ''}>
                Preview
              </Button>
            </InputGroupItem>
          </InputGroup>
        </FormGroup>
      </Form>
      {lookup.error && <Alert component="h2" isInline variant="warning" title={lookup.error} className="pf-v6-u-mt-sm" />}
      {userId && (
        <div className="pf-v6-u-mt-md" data-testid="assertion-preview">
          {preview.isPending ? (
            <Spinner aria-label="Loading the assertion preview" />
          ) : preview.isError ? (
            <Alert component="h2" isInline variant="danger" title={`The preview could not be made: ${preview.error.message}`} />
          ) : (
            <>
              <p className="pf-v6-u-mb-sm">
                For <Link to={`/users/${userId}`}>{user.data ? `${user.data.username} (${user.data.email})` : userId}</Link>
              </p>
              {preview.data.wouldIssue ? (
                <Alert component="h2" isInline variant="success" title="This user would be signed in with the assertion below" />
              ) : (
                <Alert component="h2" isInline variant="danger" title="This user's sign-in would be refused">
                  <List>
                    {preview.data.blockers.map((b) => (
                      <ListItem key={`${b.reason}-${b.message}`}>
                        {b.message} <span className="console-muted">({b.reason})</span>
                      </ListItem>
                    ))}
                  </List>
                </Alert>
              )}
              <DescriptionList isHorizontal isCompact className="pf-v6-u-mt-md">
                <DescriptionListGroup>
                  <DescriptionListTerm>NameID</DescriptionListTerm>
                  <DescriptionListDescription className="console-break">
                    {preview.data.nameId.value ?? '(no value)'} <span className="console-muted">{preview.data.nameId.format}</span>
                  </DescriptionListDescription>
                </DescriptionListGroup>
              </DescriptionList>
              <Table aria-label="Attributes that would be sent" variant="compact" gridBreakPoint="grid-md" className="pf-v6-u-mt-md">
                <Thead>
                  <Tr>
                    <Th>Attribute</Th>
                    <Th>Values</Th>
                  </Tr>
                </Thead>
                <Tbody>
                  {preview.data.attributes.map((a) => (
                    <Tr key={a.name}>
                      <Td dataLabel="Attribute" className="console-break">
                        {a.name}
                      </Td>
                      <Td dataLabel="Values" className="console-break">
                        {a.values.length === 0 ? <span className="console-muted">(none)</span> : a.values.join(', ')}
                      </Td>
                    </Tr>
                  ))}
                  {preview.data.attributes.length === 0 && (
                    <Tr>
                      <Td colSpan={2}>No attributes.</Td>
                    </Tr>
                  )}
                </Tbody>
              </Table>
              {preview.data.assertionXml && (
                <ExpandableSection toggleText="Show the assertion XML (unsigned)" className="pf-v6-u-mt-md">
                  <CodeBlock>
                    <CodeBlockCode className="console-break">{preview.data.assertionXml}</CodeBlockCode>
                  </CodeBlock>
                </ExpandableSection>
              )}
            </>
          )}
        </div>
      )}
    </>
  );
}
