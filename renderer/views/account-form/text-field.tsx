import type { ReactNode } from 'react';
import { Field } from '../../components/field.js';
import type { AccountFormValues } from '../../lib/account-form.js';
import type { FormFields } from './form-fields.js';

/** The form values edited as one line of text. */
export type TextValue = { [K in keyof AccountFormValues]: AccountFormValues[K] extends string ? K : never }[keyof AccountFormValues];

/** A one-line text input bound to one of the form's values, with its label, hint and inline error. */
export function TextField({
  fields,
  name,
  label,
  hint,
  optional = false,
  mono = true,
  placeholder,
  autoComplete,
  spellCheck,
  readOnly,
}: {
  fields: FormFields;
  name: TextValue;
  label: ReactNode;
  hint?: ReactNode;
  optional?: boolean;
  /** Monospace, for identifiers and URLs (the default); off for names people read. */
  mono?: boolean;
  placeholder?: string;
  autoComplete?: string;
  spellCheck?: boolean;
  readOnly?: boolean;
}) {
  return (
    <Field label={label} hint={hint} error={fields.errors[name]} optional={optional}>
      {(p) => (
        <input
          {...p}
          className={mono ? 'input mono' : 'input'}
          placeholder={placeholder}
          value={fields.values[name]}
          readOnly={readOnly}
          autoComplete={autoComplete}
          spellCheck={spellCheck}
          onChange={(e) => fields.set(name, e.target.value)}
        />
      )}
    </Field>
  );
}
