import type { ClientAuthName } from '../../../main/ipc/contract.js';
import { Field } from '../../components/field.js';
import { needsSecret } from '../../lib/account-form.js';
import { CLIENT_AUTH_LABELS } from '../../lib/status.js';
import type { FormFields } from './form-fields.js';
import { TextField } from './text-field.js';

/**
 * The OAuth client: its ID, how it authenticates, and the secret or private key, which goes to
 * main once (into the vault) and is never shown again.
 */
export function ClientSection({ fields, mode }: { fields: FormFields; mode: 'add' | 'edit' }) {
  const { values, errors, set } = fields;
  return (
    <div className="form__section">
      <h2 className="section-title">Client</h2>
      <TextField fields={fields} name="clientId" label="Client ID" autoComplete="off" spellCheck={false} />
      <Field label="Client authentication">
        {(p) => (
          <select {...p} className="input" value={values.clientAuth} onChange={(e) => set('clientAuth', e.target.value as ClientAuthName)}>
            {(Object.keys(CLIENT_AUTH_LABELS) as ClientAuthName[]).map((auth) => (
              <option key={auth} value={auth}>
                {CLIENT_AUTH_LABELS[auth]}
              </option>
            ))}
          </select>
        )}
      </Field>
      {needsSecret(values.clientAuth) ? (
        <Field
          label={values.clientAuth === 'private_key_jwt' ? 'Private key (PEM)' : 'Client secret'}
          hint={
            mode === 'edit'
              ? 'Leave empty to keep the stored one. Stored only in the encrypted vault.'
              : 'Stored only in the encrypted vault; never shown again.'
          }
          error={errors.clientSecret}
          optional={mode === 'edit'}
        >
          {(p) =>
            values.clientAuth === 'private_key_jwt' ? (
              <textarea
                {...p}
                className="input mono"
                rows={4}
                value={values.clientSecret}
                spellCheck={false}
                autoComplete="off"
                onChange={(e) => set('clientSecret', e.target.value)}
              />
            ) : (
              <input
                {...p}
                type="password"
                className="input"
                value={values.clientSecret}
                autoComplete="new-password"
                onChange={(e) => set('clientSecret', e.target.value)}
              />
            )
          }
        </Field>
      ) : null}
      {values.clientAuth === 'private_key_jwt' ? <TextField fields={fields} name="keyId" label="Key ID (kid)" optional /> : null}
    </div>
  );
}
