import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ActionGroup, Alert, Button, Card, CardBody, CardTitle, Content, Form } from '@patternfly/react-core';
import { idp, unwrap } from '../../api/clients';
import { applyApiErrors } from '../../forms';
import { useCan } from '../../session';
import { TextField } from '../common/TextField';
import { SigningKeysTable, signingKeysQuery } from '../common/signing-keys';

const schema = z.object({
  activatesAt: z
    .string()
    .min(1, 'Choose when the new key starts signing')
    .refine((value) => new Date(value).getTime() > Date.now(), 'Choose a time in the future'),
});
type Values = z.infer<typeof schema>;

/** A week from now, as a datetime-local value: the IdP's default notice for SPs to fetch the new certificate. */
function aWeekAhead(): string {
  const date = new Date(Date.now() + 7 * 86_400_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The IdP's signing keys (current, next, retired) and, with 'signing-keys:manage', a rotation on a chosen date. */
export function SigningKeysTab() {
  const canManage = useCan('signing-keys:manage');
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const keys = useQuery(signingKeysQuery);
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: { activatesAt: aWeekAhead() } });

  const submit = form.handleSubmit(async (values) => {
    setNotice(null);
    try {
      const next = unwrap(
        await idp.POST('/v1/signing-keys/rotation', { body: { activatesAt: new Date(values.activatesAt).toISOString() } }),
      );
      setNotice({
        ok: true,
        text: `The next key signs from ${new Date(next.activatesAt).toLocaleString()}; its certificate is in the metadata now`,
      });
      await queryClient.invalidateQueries({ queryKey: signingKeysQuery.queryKey });
    } catch (error) {
      setNotice({ ok: false, text: applyApiErrors(error, form.setError, ['activatesAt']) });
    }
  });

  return (
    <>
      {keys.isError && (
        <Alert isInline variant="danger" title="The signing keys could not be loaded">
          {keys.error.message}
        </Alert>
      )}
      {keys.data && <SigningKeysTable keys={keys.data.items} />}
      {canManage && (
        <Card className="pf-v6-u-mt-lg">
          <CardTitle component="h2">Schedule a rotation</CardTitle>
          <CardBody>
            <Content component="p">
              The next key&apos;s certificate is published in the metadata at once, so service providers can fetch it before it starts
              signing.
            </Content>
            {notice && <Alert isInline variant={notice.ok ? 'success' : 'danger'} title={notice.text} className="pf-v6-u-mb-md" />}
            <Form onSubmit={(event) => void submit(event)} noValidate>
              <TextField control={form.control} name="activatesAt" label="The new key signs from" type="datetime-local" isRequired />
              <ActionGroup>
                <Button type="submit" isLoading={form.formState.isSubmitting} isDisabled={form.formState.isSubmitting}>
                  Schedule rotation
                </Button>
              </ActionGroup>
            </Form>
          </CardBody>
        </Card>
      )}
    </>
  );
}
