import { type ReactNode } from 'react';
import { Alert, Button, Modal, ModalBody, ModalFooter, ModalHeader } from '@patternfly/react-core';

/**
 * Asks before a change that cannot be undone from the screen (delete, unbind). Titled for screen
 * readers; Escape and Cancel close it; the confirm button shows progress and the failure stays
 * inside the dialog so the person can retry or cancel.
 */
export function ConfirmDialog({
  isOpen,
  title,
  children,
  confirmLabel,
  danger = true,
  isBusy = false,
  error,
  onConfirm,
  onClose,
}: {
  isOpen: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  isBusy?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Modal variant="small" isOpen={isOpen} onClose={onClose} aria-labelledby="confirm-dialog-title" aria-describedby="confirm-dialog-body">
      <ModalHeader title={title} labelId="confirm-dialog-title" titleIconVariant={danger ? 'warning' : undefined} />
      <ModalBody id="confirm-dialog-body">
        {children}
        {error && <Alert isInline variant="danger" title={error} className="pf-v6-u-mt-md" />}
      </ModalBody>
      <ModalFooter>
        <Button variant={danger ? 'danger' : 'primary'} onClick={onConfirm} isLoading={isBusy} isDisabled={isBusy}>
          {confirmLabel}
        </Button>
        <Button variant="link" onClick={onClose}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
