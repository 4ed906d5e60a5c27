import { useId, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import {
  Alert,
  Button,
  Content,
  Form,
  FormGroup,
  FormHelperText,
  HelperText,
  HelperTextItem,
  Label,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  TextArea,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { directory, unwrap } from '../../api/clients';
import type { ImportResult } from './types';

/** The directory's limit (IMPORT_MAX_BYTES): refused here before the upload. */
const MAX_BYTES = 2 * 1024 * 1024;

/**
 * POST /v1/users/import: a CSV with a header row of attribute names (custom.<name> for a custom
 * attribute). Each row is created or refused on its own; the report lists every row's outcome.
 */
export function ImportUsersModal({ isOpen, onClose }: { isOpen: boolean; onClose: () => void }) {
  const titleId = useId();
  const fileId = useId();
  const textId = useId();
  const queryClient = useQueryClient();
  const [csv, setCsv] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);

  const close = () => {
    setCsv('');
    setFileName(null);
    setFailure(null);
    setResult(null);
    onClose();
  };

  const upload = async () => {
    setFailure(null);
    if (new Blob([csv]).size > MAX_BYTES) {
      setFailure('The file is larger than 2 MB: split it into several files');
      return;
    }
    setBusy(true);
    try {
      const answer = unwrap(
        await directory.POST('/v1/users/import', {
          body: csv,
          headers: { 'content-type': 'text/csv' },
          bodySerializer: (body: string) => body,
        }),
      );
      setResult(answer);
      await queryClient.invalidateQueries({ queryKey: ['users'] });
    } catch (error) {
      setFailure(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal variant="large" isOpen={isOpen} onClose={close} aria-labelledby={titleId}>
      <ModalHeader
        title="Import users from CSV"
        labelId={titleId}
        description="The first row names the columns: username and email are required; any standard attribute, state, password, and custom.<name> for a custom attribute."
      />
      <ModalBody>
        {failure && (
          <Alert isInline variant="danger" title="Nothing was imported" className="pf-v6-u-mb-md">
            {failure}
          </Alert>
        )}
        {result ? (
          <>
            <Alert
              isInline
              variant={result.failed === 0 ? 'success' : result.created === 0 ? 'danger' : 'warning'}
              title={`${result.created} created, ${result.failed} refused`}
              className="pf-v6-u-mb-md"
            />
            <Table aria-label="Import report, one line per row" variant="compact">
              <Thead>
                <Tr>
                  <Th>Row</Th>
                  <Th>Outcome</Th>
                  <Th>Details</Th>
                </Tr>
              </Thead>
              <Tbody>
                {result.rows.map((row) => (
                  <Tr key={row.row}>
                    <Td dataLabel="Row">{row.row}</Td>
                    <Td dataLabel="Outcome">
                      <Label color={row.status === 'created' ? 'green' : 'red'} isCompact>
                        {row.status === 'created' ? 'Created' : 'Refused'}
                      </Label>
                    </Td>
                    <Td dataLabel="Details">
                      {row.status === 'created' && row.id ? (
                        <Link to={`/users/${row.id}`} onClick={close}>
                          Open user
                        </Link>
                      ) : (
                        <ul>
                          {(row.errors ?? []).map((problem, index) => (
                            <li key={index}>
                              <strong>{problem.field}</strong>: {problem.message}
                            </li>
                          ))}
                        </ul>
                      )}
                    </Td>
                  </Tr>
                ))}
              </Tbody>
            </Table>
          </>
        ) : (
          <Form onSubmit={(event) => event.preventDefault()}>
            <FormGroup label="CSV file" fieldId={fileId}>
              <input
                id={fileId}
                type="file"
                accept=".csv,text/csv"
                onChange={(event) => {
                  const file = event.target.files?.[0];
                  if (!file) return;
                  setFileName(file.name);
                  void file.text().then(setCsv);
                }}
              />
              {fileName && (
                <FormHelperText>
                  <HelperText>
                    <HelperTextItem>{`${fileName}: ${csv.split(/\r?\n/).filter((line) => line.trim() !== '').length - 1} data rows`}</HelperTextItem>
                  </HelperText>
                </FormHelperText>
              )}
            </FormGroup>
            <FormGroup label="Or paste the CSV" fieldId={textId}>
              <TextArea
                id={textId}
                value={csv}
                onChange={(_event, value) => setCsv(value)}
                rows={8}
                resizeOrientation="vertical"
                placeholder={'username,email,firstname,lastname,custom.profileID\njdoe,jdoe@example.com,Jane,Doe,42'}
              />
            </FormGroup>
            <Content component="small">At most 5,000 rows and 2 MB; each row is created or refused on its own.</Content>
          </Form>
        )}
      </ModalBody>
      <ModalFooter>
        {result ? (
          <>
            <Button onClick={close}>Done</Button>
            <Button variant="secondary" onClick={() => setResult(null)}>
              Import another file
            </Button>
          </>
        ) : (
          <>
            <Button onClick={() => void upload()} isLoading={busy} isDisabled={busy || csv.trim() === ''}>
              Import
            </Button>
            <Button variant="link" onClick={close}>
              Cancel
            </Button>
          </>
        )}
      </ModalFooter>
    </Modal>
  );
}
