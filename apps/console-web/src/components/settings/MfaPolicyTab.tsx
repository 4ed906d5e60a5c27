import { useEffect, useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  ActionGroup,
  Alert,
  Button,
  Content,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Form,
  FormGroup,
  FormHelperText,
  HelperText,
  HelperTextItem,
  Label,
  Radio,
  Spinner,
} from '@patternfly/react-core';
import { idp, unwrap, type IdpSchemas } from '../../api/clients';
import { applyApiErrors } from '../../forms';
import { useCanEverything } from '../../session';

type MfaPolicy = IdpSchemas['MfaPolicy']['policy'];
// The IdP's document names these: `satisfies` fails the build when it drops or renames one.
export const MFA_POLICIES = ['off', 'optional', 'required'] as const satisfies readonly MfaPolicy[];

/** What each value does at sign-in, as the IdP decides it (apps/idp/src/login and sso). */
export const MFA_POLICY_TEXT: Record<MfaPolicy, { label: string; description: string }> = {
  off: {
    label: 'Off',
    description:
      'Nobody is asked to set up a second factor. A person who added one on their account page still gives it, and an application that requires MFA still asks for one.',
  },
  optional: {
    label: 'Optional',
    description:
      'People may add an authenticator app on their account page and give a code from it at every sign-in once they have. Nobody has to, except for an application that requires MFA.',
  },
  required: {
    label: 'Required',
    description:
      'Everyone gives a second factor at every sign-in. A person without one is walked through setting up an authenticator app at their next sign-in, and cannot remove their last one.',
  },
};

/** IdP GET /v1/mfa-policy: one query for Settings and whatever else shows the policy. */
export const mfaPolicyQuery = {
  queryKey: ['mfa-policy'] as const,
  queryFn: async () => unwrap(await idp.GET('/v1/mfa-policy')),
};

const schema = z.object({ policy: z.enum(MFA_POLICIES, { message: 'Choose off, optional or required' }) });
type Values = z.infer<typeof schema>;

/**
 * The organisation's multi-factor policy. Setting it changes how everyone signs in, so the IdP
 * allows it only to a role with every permission (an administrator); others see it as text.
 */
export function MfaPolicyTab() {
  const canSet = useCanEverything();
  const policy = useQuery(mfaPolicyQuery);
  return (
    <>
      <Content component="p">
        How people sign in to every application of the organisation. An application can also require MFA for itself (its configuration,
        &quot;Multi-factor authentication&quot;), whatever this policy says.
      </Content>
      {policy.isPending && <Spinner size="md" aria-label="Loading the MFA policy" />}
      {policy.isError && (
        <Alert component="h2" isInline variant="danger" title="The MFA policy could not be loaded">
          {policy.error.message}
        </Alert>
      )}
      {policy.data &&
        (canSet ? (
          <MfaPolicyForm current={policy.data.policy} />
        ) : (
          <DescriptionList aria-label="Multi-factor authentication policy">
            <DescriptionListGroup>
              <DescriptionListTerm>Policy</DescriptionListTerm>
              <DescriptionListDescription data-testid="mfa-policy">
                <Label color={policy.data.policy === 'off' ? 'grey' : 'blue'}>{MFA_POLICY_TEXT[policy.data.policy].label}</Label>{' '}
                {MFA_POLICY_TEXT[policy.data.policy].description}
              </DescriptionListDescription>
            </DescriptionListGroup>
          </DescriptionList>
        ))}
    </>
  );
}

function MfaPolicyForm({ current }: { current: MfaPolicy }) {
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: { policy: current } });

  // A change made elsewhere shows at once, unless the admin has chosen another value: that stays.
  useEffect(() => {
    if (!form.formState.isDirty) form.reset({ policy: current });
  }, [current, form]);

  const submit = form.handleSubmit(async (values) => {
    setNotice(null);
    try {
      const saved = unwrap(await idp.PUT('/v1/mfa-policy', { body: values }));
      queryClient.setQueryData(mfaPolicyQuery.queryKey, saved);
      form.reset(saved);
      setNotice({ ok: true, text: `The MFA policy is ${MFA_POLICY_TEXT[saved.policy].label.toLowerCase()} now` });
    } catch (error) {
      setNotice({ ok: false, text: applyApiErrors(error, form.setError, ['policy']) });
    }
  });

  return (
    <Form onSubmit={(event) => void submit(event)} noValidate aria-label="Multi-factor authentication policy">
      {notice && (
        <Alert
          component="h2"
          isInline
          variant={notice.ok ? 'success' : 'danger'}
          title={notice.ok ? notice.text : 'The MFA policy was not saved'}
          aria-live="polite"
        >
          {notice.ok ? undefined : notice.text}
        </Alert>
      )}
      <Controller
        control={form.control}
        name="policy"
        render={({ field, fieldState }) => (
          <FormGroup role="radiogroup" fieldId="mfa-policy-off" label="Policy" isStack isRequired>
            {MFA_POLICIES.map((value) => (
              <Radio
                key={value}
                id={`mfa-policy-${value}`}
                name={field.name}
                label={MFA_POLICY_TEXT[value].label}
                description={MFA_POLICY_TEXT[value].description}
                isChecked={field.value === value}
                onChange={() => field.onChange(value)}
                onBlur={field.onBlur}
                aria-describedby={fieldState.error ? 'mfa-policy-error' : undefined}
              />
            ))}
            {fieldState.error && (
              <FormHelperText>
                <HelperText id="mfa-policy-error">
                  <HelperTextItem variant="error">{fieldState.error.message}</HelperTextItem>
                </HelperText>
              </FormHelperText>
            )}
          </FormGroup>
        )}
      />
      <ActionGroup>
        <Button type="submit" isLoading={form.formState.isSubmitting} isDisabled={form.formState.isSubmitting || !form.formState.isDirty}>
          Save policy
        </Button>
        <Button variant="link" isDisabled={!form.formState.isDirty} onClick={() => form.reset({ policy: current })}>
          Discard changes
        </Button>
      </ActionGroup>
    </Form>
  );
}
