import { useId, useState } from 'react';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  ActionGroup,
  Alert,
  Button,
  Card,
  CardBody,
  CardTitle,
  Content,
  Form,
  FormGroup,
  FormSelect,
  FormSelectOption,
  Label,
} from '@patternfly/react-core';
import { directory, unwrap } from '../../api/clients';
import { applyApiErrors } from '../../forms';
import { useCan } from '../../session';
import { TextField } from '../common/TextField';
import { ADMIN_ROLES, ROLE_LABEL, type AdminRole, type UserView } from './types';
import { moment } from '../common/DateTime';

/** Lockout state (GET /v1/users/{id}/lockout) and, when the admin may lift it (useCanOnAccount), unlock. */
export function LockoutCard({ userId, canUnlock }: { userId: string; canUnlock: boolean }) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const lockout = useQuery({
    queryKey: ['user', userId, 'lockout'],
    queryFn: async () => unwrap(await directory.GET('/v1/users/{id}/lockout', { params: { path: { id: userId } } })),
    refetchInterval: 30_000,
  });
  const unlock = async () => {
    setBusy(true);
    setMessage(null);
    try {
      unwrap(await directory.DELETE('/v1/users/{id}/lockout', { params: { path: { id: userId } } }));
      setMessage({ ok: true, text: 'Unlocked: the right password works at once from every address' });
      await queryClient.invalidateQueries({ queryKey: ['user', userId, 'lockout'] });
    } catch (error) {
      setMessage({ ok: false, text: error instanceof Error ? error.message : String(error) });
    } finally {
      setBusy(false);
    }
  };
  const data = lockout.data;
  return (
    <Card>
      <CardTitle component="h2">Lockout</CardTitle>
      <CardBody>
        {lockout.isError && (
          <Alert isInline variant="danger" title="The lockout state could not be read">
            {lockout.error.message}
          </Alert>
        )}
        {message && <Alert isInline variant={message.ok ? 'success' : 'danger'} title={message.text} className="pf-v6-u-mb-sm" />}
        {data && (
          <>
            <Content component="p">{data.locked ? <Label color="red">Locked</Label> : <Label color="green">Not locked</Label>}</Content>
            {data.accountLimitedUntil && (
              <Content component="p">
                Too many wrong passwords this hour: new addresses are refused until {moment(data.accountLimitedUntil)}.
              </Content>
            )}
            {data.sources.length > 0 && (
              <ul aria-label="Addresses backing off">
                {data.sources.map((source, index) => (
                  <li key={index}>
                    {source.source ?? 'Unknown address'}: {source.failures} wrong passwords in a row, waits until {moment(source.until)}
                  </li>
                ))}
              </ul>
            )}
            {canUnlock && (data.locked || data.sources.length > 0 || data.accountLimitedUntil) && (
              <Button variant="secondary" onClick={() => void unlock()} isLoading={busy} isDisabled={busy} className="pf-v6-u-mt-sm">
                Unlock
              </Button>
            )}
          </>
        )}
      </CardBody>
    </Card>
  );
}

const passwordSchema = z.object({ password: z.string().min(8, 'At least 8 characters').max(1024) });
type PasswordValues = z.infer<typeof passwordSchema>;

/** PUT /v1/users/{id}/password, with 'credentials:manage': sets a new password and lifts the lockout. */
export function PasswordResetCard({ userId }: { userId: string }) {
  const queryClient = useQueryClient();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const form = useForm<PasswordValues>({ resolver: zodResolver(passwordSchema), defaultValues: { password: '' } });
  const submit = form.handleSubmit(async (values) => {
    setMessage(null);
    try {
      unwrap(await directory.PUT('/v1/users/{id}/password', { params: { path: { id: userId } }, body: values }));
      form.reset({ password: '' });
      setMessage({ ok: true, text: 'Password set; any lockout is lifted' });
      await queryClient.invalidateQueries({ queryKey: ['user', userId, 'lockout'] });
    } catch (error) {
      setMessage({ ok: false, text: applyApiErrors(error, form.setError, ['password']) });
    }
  });
  return (
    <Card>
      <CardTitle component="h2">Reset password</CardTitle>
      <CardBody>
        {message && <Alert isInline variant={message.ok ? 'success' : 'danger'} title={message.text} className="pf-v6-u-mb-sm" />}
        <Form onSubmit={(event) => void submit(event)} noValidate>
          <TextField control={form.control} name="password" label="New password" type="password" autoComplete="new-password" isRequired />
          <ActionGroup>
            <Button type="submit" variant="secondary" isLoading={form.formState.isSubmitting} isDisabled={form.formState.isSubmitting}>
              Set password
            </Button>
          </ActionGroup>
        </Form>
      </CardBody>
    </Card>
  );
}

/** The user's admin role: shown to everyone, changed only with 'roles:manage' (PUT /v1/users/{id}/admin-role). */
export function AdminRoleCard({ user }: { user: UserView }) {
  const canManage = useCan('roles:manage');
  const selectId = useId();
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const change = async (role: AdminRole | null) => {
    setBusy(true);
    setMessage(null);
    try {
      unwrap(await directory.PUT('/v1/users/{id}/admin-role', { params: { path: { id: user.id } }, body: { role } }));
      setMessage({ ok: true, text: role ? `Now ${ROLE_LABEL[role]}` : 'No admin role now' });
      await queryClient.invalidateQueries({ queryKey: ['user', user.id] });
      await queryClient.invalidateQueries({ queryKey: ['users'] });
    } catch (error) {
      setMessage({ ok: false, text: error instanceof Error ? error.message : String(error) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card>
      <CardTitle component="h2">Admin role</CardTitle>
      <CardBody>
        {message && <Alert isInline variant={message.ok ? 'success' : 'danger'} title={message.text} className="pf-v6-u-mb-sm" />}
        {canManage ? (
          <FormGroup label="Admin role" fieldId={selectId}>
            <FormSelect
              id={selectId}
              value={user.adminRole ?? ''}
              isDisabled={busy}
              onChange={(_event, value) => void change(ADMIN_ROLES.find((role) => role === value) ?? null)}
            >
              <FormSelectOption value="" label="None (not an admin)" />
              {ADMIN_ROLES.map((role) => (
                <FormSelectOption key={role} value={role} label={ROLE_LABEL[role]} />
              ))}
            </FormSelect>
          </FormGroup>
        ) : (
          <Content component="p">{user.adminRole ? ROLE_LABEL[user.adminRole] : 'None (not an admin)'}</Content>
        )}
      </CardBody>
    </Card>
  );
}
