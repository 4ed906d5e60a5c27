import { useId, useState, type ReactNode } from 'react';
import { Alert, Button, Modal, ModalBody, ModalFooter, ModalHeader } from '@patternfly/react-core';

/**
 * Asks before an action that cannot be undone (delete, revoke, remove). The dialog stays open and
 * says why when the action fails, so the person can retry or cancel.
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  isOpen,
  onClose,
  onConfirm,
  variant = 'danger',
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  isOpen: boolean;
  onClose: () => void;
  onConfirm: () => Promise<unknown>;
  variant?: 'danger' | 'primary';
}) {
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const close = () => {
    setFailure(null);
    onClose();
  };
  return (
    <Modal variant="small" isOpen={isOpen} onClose={close} aria-labelledby={titleId}>
      <ModalHeader title={title} labelId={titleId} titleIconVariant={variant === 'danger' ? 'warning' : undefined} />
      <ModalBody>
        {failure && <Alert isInline variant="danger" title={failure} className="pf-v6-u-mb-md" />}
        {children}
      </ModalBody>
      <ModalFooter>
        <Button
          variant={variant}
          isLoading={busy}
          isDisabled={busy}
          onClick={() => {
            setBusy(true);
            setFailure(null);
            onConfirm()
              .then(() => close())
              .catch((error: unknown) => setFailure(error instanceof Error ? error.message : String(error)))
              .finally(() => setBusy(false));
          }}
        >
          {confirmLabel}
        </Button>
        <Button variant="link" onClick={close}>
          Cancel
        </Button>
      </ModalFooter>
    </Modal>
  );
}
