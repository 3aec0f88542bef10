import type { FormFields } from './form-fields.js';
import { TextField } from './text-field.js';

/** Who may get the account's tokens: the approval policy, and the git hosts git-credential answers for. */
export function AccessSection({ fields }: { fields: FormFields }) {
  const { values, set } = fields;
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
      <TextField
        fields={fields}
        name="gitHosts"
        label="Git hosts"
        hint="git-credential answers for these hosts with this account’s token, e.g. github.com."
        optional
        spellCheck={false}
      />
      {values.gitHosts.trim() === '' ? null : (
        <TextField fields={fields} name="gitUsername" label="Git username" hint="Defaults to oauth2." optional spellCheck={false} />
      )}
    </div>
  );
}
