import { useEffect, useId, useState } from 'react';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { Alert, Button, Form, Modal, ModalBody, ModalFooter, ModalHeader } from '@patternfly/react-core';
import { directory, unwrap } from '../../api/clients';
import { applyUserApiErrors, toCreateBody, toFormValues, userFormSchema, UserFormFields, type UserFormValues } from './user-form';

/** GET /v1/user-attributes: the standard names and the organisation's custom ones. */
export function useUserAttributes(enabled = true) {
  return useQuery({
    queryKey: ['users', 'attributes'],
    queryFn: async () => unwrap(await directory.GET('/v1/user-attributes')),
    staleTime: 60_000,
    enabled,
  });
}

/** Creates a user with every standard attribute, the organisation's custom ones offered empty. */
export function CreateUserModal({ isOpen, onClose }: { isOpen: boolean; onClose: () => void }) {
  const titleId = useId();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const attributes = useUserAttributes(isOpen);
  const [failure, setFailure] = useState<string | null>(null);
  const form = useForm<UserFormValues>({ resolver: zodResolver(userFormSchema), defaultValues: toFormValues() });

  // The custom attribute names arrive after the dialog opens: offer them while nothing is typed.
  const customNames = attributes.data?.custom;
  useEffect(() => {
    if (customNames && !form.formState.isDirty) form.reset(toFormValues(undefined, customNames));
  }, [customNames, form]);

  const submit = form.handleSubmit(async (values) => {
    setFailure(null);
    try {
      const created = unwrap(await directory.POST('/v1/users', { body: toCreateBody(values) }));
      await queryClient.invalidateQueries({ queryKey: ['users'] });
      onClose();
      form.reset(toFormValues(undefined, customNames));
      void navigate(`/users/${created.id}`);
    } catch (error) {
      setFailure(applyUserApiErrors(error, form.setError, values));
    }
  });

  return (
    <Modal variant="large" isOpen={isOpen} onClose={onClose} aria-labelledby={titleId}>
      <ModalHeader title="Create user" labelId={titleId} description="Username and email are required; the rest can be filled in later." />
      <ModalBody>
        {failure && (
          <Alert isInline variant="danger" title="The user was not created" className="pf-v6-u-mb-md">
            {failure}
          </Alert>
        )}
        <Form id="create-user-form" onSubmit={(event) => void submit(event)} noValidate>
          <UserFormFields control={form.control} withPassword withState />
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="create-user-form" isLoading={form.formState.isSubmitting} isDisabled={form.formState.isSubmitting}>
          Create user
        </Button>
        <Button variant="link" onClick={onClose}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
