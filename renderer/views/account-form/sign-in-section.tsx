import type { GrantName, PresetView } from '../../../main/ipc/contract.js';
import { Field } from '../../components/field.js';
import { AlertIcon } from '../../components/icons.js';
import { Switch } from '../../components/switch.js';
import { LEGACY_GRANTS, usesRedirect } from '../../lib/account-form.js';
import { GRANT_LABELS } from '../../lib/status.js';
import type { FormFields } from './form-fields.js';
import { TextField } from './text-field.js';
import { GRANT_TRAITS } from '../../../main/shared/grants.js';

/**
 * How the account signs in: the grant (legacy ones only after "I understand this is insecure"),
 * the scopes, and the loopback redirect URI for grants that use the browser.
 */
export function SignInSection({ fields, preset }: { fields: FormFields; preset: PresetView }) {
  const { values, errors, set, update } = fields;
  const grants = preset.grants;
  const legacy = LEGACY_GRANTS.includes(values.grant);
  return (
    <div className="form__section">
      <h2 className="section-title">Sign-in</h2>
      <Field label="Grant" error={errors.grant} hint={GRANT_TRAITS[values.grant].description}>
        {(p) => (
          <select {...p} className="input" value={values.grant} onChange={(e) => set('grant', e.target.value as GrantName)}>
            {grants.map((grant) => (
              <option key={grant} value={grant} disabled={LEGACY_GRANTS.includes(grant) && !values.allowLegacy}>
                {GRANT_LABELS[grant]}
              </option>
            ))}
          </select>
        )}
      </Field>
      {grants.some((g) => LEGACY_GRANTS.includes(g)) ? (
        <div className={`legacy ${values.allowLegacy ? 'legacy--on' : ''}`}>
          <Switch
            checked={values.allowLegacy}
            onChange={(on) =>
              // Switching the opt-in off moves a legacy grant back to the preset's default.
              update(
                (v) => ({ ...v, allowLegacy: on, grant: !on && LEGACY_GRANTS.includes(v.grant) ? preset.defaultGrant : v.grant }),
                ['grant'],
              )
            }
            label="I understand this is insecure"
            description="Enables the legacy implicit and password grants. Implicit puts the token in a browser URL; password hands your credentials to this app. The OAuth 2.0 Security BCP forbids both — use them only for providers that offer nothing else."
          />
        </div>
      ) : null}
      {legacy ? (
        <p className="warning" role="note">
          <AlertIcon />{' '}
          {GRANT_TRAITS[values.grant].needsPassword
            ? 'Your password is sent once per sign-in and never stored.'
            : 'The token passes through the browser’s address bar.'}
        </p>
      ) : null}
      <TextField fields={fields} name="scopes" label="Scopes" hint="Separated by spaces." optional spellCheck={false} />
      {usesRedirect(values.grant) ? (
        <TextField
          fields={fields}
          name="redirectUri"
          label="Redirect URI"
          hint="Leave empty for http://127.0.0.1:<any free port>/callback. Register it at the provider; without a port any port works (RFC 8252)."
          optional
          placeholder="http://127.0.0.1/callback"
          spellCheck={false}
        />
      ) : null}
    </div>
  );
}
