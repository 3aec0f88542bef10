import { useState } from 'react';
import type { FormEvent } from 'react';
import { flushSync } from 'react-dom';
import { useShallow } from 'zustand/react/shallow';
import type { PresetView } from '../../../main/ipc/contract.js';
import { AlertIcon } from '../../components/icons.js';
import type { AccountFormValues } from '../../lib/account-form.js';
import { validateAccountForm } from '../../lib/account-form.js';
import { explainError } from '../../lib/explain-error.js';
import { useBroker } from '../../store/hooks.js';
import { selectAccountNames } from '../../store/selectors.js';
import { AccessSection } from './access-section.js';
import { AccountSection } from './account-section.js';
import { AdvancedSection } from './advanced-section.js';
import { ClientSection } from './client-section.js';
import { useFormFields } from './form-fields.js';
import { ProviderSection } from './provider-section.js';
import { SignInSection } from './sign-in-section.js';

/**
 * The add/edit form for one preset: owns the values and errors ({@link useFormFields}), hands
 * them to the sections, validates on submit and sends the draft to main.
 */
export function AccountForm({
  preset,
  editing,
  initial,
  onCancel,
}: {
  preset: PresetView;
  editing: string | undefined;
  initial: AccountFormValues;
  onCancel: () => void;
}) {
  const fields = useFormFields(initial);
  const [submitError, setSubmitError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [advancedOpen, setAdvancedOpen] = useState(initial.extraParams.trim() !== '');
  const existingNames = useBroker(useShallow(selectAccountNames));
  const addAccount = useBroker((state) => state.addAccount);
  const updateAccount = useBroker((state) => state.updateAccount);
  const navigate = useBroker((state) => state.navigate);
  const mode = editing === undefined ? 'add' : 'edit';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = validateAccountForm(fields.values, preset, { mode, existingNames });
    // Rendered synchronously so focus can move to the first field that needs attention.
    flushSync(() => {
      fields.showErrors(result.errors);
      setSubmitError(null);
      if (result.errors.extraParams !== undefined) setAdvancedOpen(true);
    });
    if (result.draft === undefined) {
      document.querySelector<HTMLElement>('form [aria-invalid="true"]')?.focus();
      return;
    }
    setSubmitting(true);
    const response = editing === undefined ? await addAccount(result.draft) : await updateAccount(editing, result.draft);
    setSubmitting(false);
    // The secret leaves the form as soon as it has been sent, whatever the outcome.
    fields.update((v) => ({ ...v, clientSecret: '' }), []);
    if (response.ok) navigate({ name: 'account', account: response.value.name });
    else
      setSubmitError(
        explainError(response.error) + (response.error.message === explainError(response.error) ? '' : ` (${response.error.message})`),
      );
  };

  return (
    <form className="form" onSubmit={(e) => void submit(e)} noValidate aria-label={`${preset.label} account`}>
      {preset.hints.length > 0 ? (
        <aside className="hints" aria-label={`${preset.label} hints`}>
          <ul>
            {preset.hints.map((hint) => (
              <li key={hint}>{hint}</li>
            ))}
          </ul>
        </aside>
      ) : null}
      <AccountSection fields={fields} mode={mode} />
      <ProviderSection fields={fields} preset={preset} />
      <ClientSection fields={fields} mode={mode} />
      <SignInSection fields={fields} preset={preset} />
      <AccessSection fields={fields} preset={preset} />
      <AdvancedSection fields={fields} open={advancedOpen} onToggle={setAdvancedOpen} />
      {submitError === null ? null : (
        <p className="banner banner--error" role="alert">
          <AlertIcon /> {submitError}
        </p>
      )}
      <div className="form__actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button button--primary" disabled={submitting}>
          {submitting ? 'Saving…' : mode === 'add' ? 'Add account' : 'Save changes'}
        </button>
      </div>
    </form>
  );
}
