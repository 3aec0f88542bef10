import type { ReactNode } from 'react';
import { Dialog } from './dialog.js';

export interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  danger?: boolean;
}

/** "Are you sure?" for destructive actions; Cancel has the initial focus so Enter is safe. */
export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onCancel, danger = false }: ConfirmDialogProps) {
  return (
    <Dialog title={title} onClose={onCancel} role="alertdialog" initialFocus="[data-cancel]">
      <div className="dialog__body">{children}</div>
      <div className="dialog__actions">
        <button type="button" className="button" data-cancel onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className={`button ${danger ? 'button--danger' : 'button--primary'}`} onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
