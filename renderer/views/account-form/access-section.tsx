import type { PresetView } from '../../../main/ipc/contract.js';
import { DEFAULT_REGISTRY_USERNAME } from '../../../main/shared/consumers.js';
import { Field } from '../../components/field.js';
import type { AccountFormValues } from '../../lib/account-form.js';
import type { FormFields } from './form-fields.js';
import { TextField } from './text-field.js';

/**
 * Who may get the account's tokens and how: the approval policy, sender-constrained tokens (DPoP),
 * the audiences token exchange may ask for, the git hosts git-credential answers for, the container
 * registries of docker-credential-token-broker, and which token kubectl gets.
 */
export function AccessSection({ fields, preset }: { fields: FormFields; preset: PresetView }) {
  const { values, set } = fields;
  const registryDefault = preset.registryUsername ?? DEFAULT_REGISTRY_USERNAME;
  const kubernetesDefault = preset.kubernetesTokenType === 'access_token' ? 'access token' : 'ID token';
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
      <fieldset className="radio-group">
        <legend className="field__label">Sender-constrained tokens (DPoP)</legend>
        <label className="radio">
          <input type="radio" name="dpop" value="auto" checked={values.dpop === 'auto'} onChange={() => set('dpop', 'auto')} />
          <span>
            <strong>When the provider supports it</strong> — tokens are bound to a key that never leaves the broker.
          </span>
        </label>
        <label className="radio">
          <input type="radio" name="dpop" value="on" checked={values.dpop === 'on'} onChange={() => set('dpop', 'on')} />
          <span>
            <strong>Always</strong> — refuse plain Bearer tokens.
          </span>
        </label>
        <label className="radio">
          <input type="radio" name="dpop" value="off" checked={values.dpop === 'off'} onChange={() => set('dpop', 'off')} />
          <span>
            <strong>Off</strong> — Bearer tokens, for APIs that do not accept DPoP.
          </span>
        </label>
      </fieldset>
      <TextField
        fields={fields}
        name="exchangeAudiences"
        label="Token exchange audiences"
        hint="Scripts may exchange this account’s token for one of these audiences or resources (RFC 8693), separated by spaces."
        optional
        spellCheck={false}
      />
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
      <TextField
        fields={fields}
        name="registryHosts"
        label="Container registries"
        hint="docker-credential-token-broker answers for these registries with this account’s access token as the password, e.g. ghcr.io."
        optional
        spellCheck={false}
      />
      {values.registryHosts.trim() === '' ? null : (
        <TextField
          fields={fields}
          name="registryUsername"
          label="Registry username"
          hint={`Defaults to ${registryDefault}.`}
          optional
          spellCheck={false}
        />
      )}
      <Field label="Kubernetes credential" hint="What token-broker kubectl-credential hands to kubectl." optional>
        {(p) => (
          <select
            {...p}
            className="input"
            value={values.kubernetesTokenType}
            onChange={(e) => set('kubernetesTokenType', e.target.value as AccountFormValues['kubernetesTokenType'])}
          >
            <option value="">Default ({kubernetesDefault})</option>
            <option value="id_token">ID token (OpenID Connect clusters)</option>
            <option value="access_token">Access token</option>
          </select>
        )}
      </Field>
    </div>
  );
}
