import { Field } from '../../components/field.js';
import type { FormFields } from './form-fields.js';

/** The account's name, the handle scripts use; fixed once the account exists. */
export function AccountSection({ fields, mode }: { fields: FormFields; mode: 'add' | 'edit' }) {
  const { values, errors, set } = fields;
  return (
    <div className="form__section">
      <h2 className="section-title">Account</h2>
      <Field label="Account name" hint="Scripts use this name, e.g. token-broker token github-work." error={errors.name}>
        {(p) => (
          <input
            {...p}
            className="input"
            value={values.name}
            readOnly={mode === 'edit'}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => set('name', e.target.value)}
          />
        )}
      </Field>
    </div>
  );
}
