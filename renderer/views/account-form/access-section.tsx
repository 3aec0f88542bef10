import { Field } from '../../components/field.js';
import type { FormFields } from './form-fields.js';

/** Who may get the account's tokens: the approval policy, and the git hosts git-credential answers for. */
export function AccessSection({ fields }: { fields: FormFields }) {
  const { values, errors, set } = fields;
  return (
    <div className="form__section">
      <h2 className="section-title">Access</h2>
      <fieldset className="radio-group">
        <legend className="field__label">Approval policy</legend>
        <label className="radio">
          <input type="radio" name="approval" value="auto" checked={values.approval === 'auto'} onChange={() => set('approval', 'auto')} />
          <span>
            <strong>Automatic</strong> — any local script of yours may get a token.
          </span>
        </label>
        <label className="radio">
          <input type="radio" name="approval" value="ask" checked={values.approval === 'ask'} onChange={() => set('approval', 'ask')} />
          <span>
            <strong>Ask me</strong> — every request waits for your approval here.
          </span>
        </label>
      </fieldset>
      <Field
        label="Git hosts"
        hint="git-credential answers for these hosts with this account’s token, e.g. github.com."
        error={errors.gitHosts}
        optional
      >
        {(p) => (
          <input
            {...p}
            className="input mono"
            value={values.gitHosts}
            spellCheck={false}
            onChange={(e) => set('gitHosts', e.target.value)}
          />
        )}
      </Field>
      {values.gitHosts.trim() === '' ? null : (
        <Field label="Git username" hint="Defaults to oauth2." optional>
          {(p) => (
            <input
              {...p}
              className="input mono"
              value={values.gitUsername}
              spellCheck={false}
              onChange={(e) => set('gitUsername', e.target.value)}
            />
          )}
        </Field>
      )}
    </div>
  );
}
