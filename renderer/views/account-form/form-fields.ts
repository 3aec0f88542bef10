import { useState } from 'react';
import type { AccountFormErrors, AccountFormField, AccountFormValues } from '../../lib/account-form.js';

/**
 * The account form's values and inline errors, as every section sees them: the form owns the
 * state, the sections read it and change it only through these setters.
 */
export interface FormFields {
  values: AccountFormValues;
  errors: AccountFormErrors;
  /** Sets one value and clears that field's error. */
  set<K extends keyof AccountFormValues>(key: K, value: AccountFormValues[K]): void;
  /** Sets a preset field (Okta domain, Entra tenant, …) and clears its error. */
  setPresetField(key: string, value: string): void;
  /** Changes several values at once and clears the errors of the fields in `clear`. */
  update(change: (values: AccountFormValues) => AccountFormValues, clear: readonly AccountFormField[]): void;
  /** Shows (or, with undefined, clears) one field's error, e.g. while the user types. */
  setError(field: AccountFormField, error: string | undefined): void;
}

/** {@link FormFields} plus what only the form itself does: show the errors of a submit. */
export interface FormState extends FormFields {
  showErrors(errors: AccountFormErrors): void;
}

function withError(errors: AccountFormErrors, field: AccountFormField, error: string | undefined): AccountFormErrors {
  const next = { ...errors };
  if (error === undefined) delete next[field];
  else next[field] = error;
  return next;
}

export function useFormFields(initial: AccountFormValues): FormState {
  const [values, setValues] = useState<AccountFormValues>(initial);
  const [errors, setErrors] = useState<AccountFormErrors>({});
  const setError = (field: AccountFormField, error: string | undefined) => setErrors((current) => withError(current, field, error));
  return {
    values,
    errors,
    set(key, value) {
      setValues((v) => ({ ...v, [key]: value }));
      if (errors[key] !== undefined) setError(key, undefined);
    },
    setPresetField(key, value) {
      setValues((v) => ({ ...v, presetFields: { ...v.presetFields, [key]: value } }));
      setError(`preset.${key}`, undefined);
    },
    update(change, clear) {
      setValues(change);
      if (clear.length > 0) setErrors((current) => clear.reduce((next, field) => withError(next, field, undefined), current));
    },
    setError,
    showErrors: setErrors,
  };
}
