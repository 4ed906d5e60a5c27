import { useEffect, useId, useState } from 'react';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { Alert, Button, Form, Modal, ModalBody, ModalFooter, ModalHeader } from '@patternfly/react-core';
import { applyApiErrors } from '../../forms';
import { TextField } from '../common/TextField';

const schema = z.object({ name: z.string().trim().min(1, 'Enter a name').max(200, 'At most 200 characters') });
type Values = z.infer<typeof schema>;

/** Names a new group or renames one; a refused name (taken, too long) shows beside the field. */
export function GroupNameModal({
  title,
  submitLabel,
  initialName = '',
  isOpen,
  onClose,
  onSave,
}: {
  title: string;
  submitLabel: string;
  initialName?: string;
  isOpen: boolean;
  onClose: () => void;
  onSave: (name: string) => Promise<void>;
}) {
  const titleId = useId();
  const formId = useId();
  const [failure, setFailure] = useState<string | null>(null);
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: { name: initialName } });
  useEffect(() => {
    if (isOpen) {
      form.reset({ name: initialName });
      setFailure(null);
    }
  }, [isOpen, initialName, form]);
  const submit = form.handleSubmit(async (values) => {
    setFailure(null);
    try {
      await onSave(values.name);
      onClose();
    } catch (error) {
      setFailure(applyApiErrors(error, form.setError, ['name']));
    }
  });
  return (
    <Modal variant="small" isOpen={isOpen} onClose={onClose} aria-labelledby={titleId}>
      <ModalHeader title={title} labelId={titleId} />
      <ModalBody>
        {failure && <Alert isInline variant="danger" title={failure} className="pf-v6-u-mb-md" />}
        <Form id={formId} onSubmit={(event) => void submit(event)} noValidate>
          <TextField control={form.control} name="name" label="Group name" isRequired autoComplete="off" />
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form={formId} isLoading={form.formState.isSubmitting} isDisabled={form.formState.isSubmitting}>
          {submitLabel}
        </Button>
        <Button variant="link" onClick={onClose}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
