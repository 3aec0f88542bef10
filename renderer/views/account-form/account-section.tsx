import type { FormFields } from './form-fields.js';
import { TextField } from './text-field.js';

/** The account's name, the handle scripts use; fixed once the account exists. */
export function AccountSection({ fields, mode }: { fields: FormFields; mode: 'add' | 'edit' }) {
  return (
    <div className="form__section">
      <h2 className="section-title">Account</h2>
      <TextField
        fields={fields}
        name="name"
        label="Account name"
        hint="Scripts use this name, e.g. token-broker token github-work."
        mono={false}
        readOnly={mode === 'edit'}
        autoComplete="off"
        spellCheck={false}
      />
    </div>
  );
}
