import { Field } from '../../components/field.js';
import { parseExtraParams } from '../../lib/account-form.js';
import type { FormFields } from './form-fields.js';

/** Extra authorization parameters, folded away unless there are some (or they need fixing). */
export function AdvancedSection({ fields, open, onToggle }: { fields: FormFields; open: boolean; onToggle: (open: boolean) => void }) {
  const { values, errors, set, setError } = fields;
  return (
    <details className="form__section form__advanced" open={open} onToggle={(e) => onToggle(e.currentTarget.open)}>
      <summary className="section-title">Advanced</summary>
      <Field
        label="Extra authorization parameters"
        hint="One name=value per line, sent with the authorization, device and client-credentials requests (e.g. access_type=offline for Google, audience=… for Auth0)."
        error={errors.extraParams}
        optional
      >
        {(p) => (
          <textarea
            {...p}
            className="input mono"
            rows={3}
            placeholder="access_type=offline"
            value={values.extraParams}
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => {
              const text = e.target.value;
              set('extraParams', text);
              // Checked as typed: a protocol parameter or a malformed line shows at once.
              const parsed = parseExtraParams(text);
              setError('extraParams', 'error' in parsed ? parsed.error : undefined);
            }}
          />
        )}
      </Field>
    </details>
  );
}
