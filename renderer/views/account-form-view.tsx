import { useState } from 'react';
import type { FormEvent } from 'react';
import { flushSync } from 'react-dom';
import { useShallow } from 'zustand/react/shallow';
import type { ClientAuthName, DiscoveryCheck, GrantName, PresetView } from '../../main/ipc/contract.js';
import { Field } from '../components/field.js';
import { AlertIcon, BackIcon, CheckIcon } from '../components/icons.js';
import { ProviderIcon } from '../components/provider-icon.js';
import { Switch } from '../components/switch.js';
import type { AccountFormErrors, AccountFormValues } from '../lib/account-form.js';
import {
  emptyFormValues,
  formValuesFromAccount,
  LEGACY_GRANTS,
  needsSecret,
  parseExtraParams,
  usesRedirect,
  validateAccountForm,
} from '../lib/account-form.js';
import { explainError } from '../lib/explain-error.js';
import { fieldPlaceholder, isOptionalField, presetKind } from '../lib/presets.js';
import { CLIENT_AUTH_LABELS, GRANT_LABELS } from '../lib/status.js';
import { useBroker } from '../store/hooks.js';
import { selectAccount, selectAccountNames } from '../store/selectors.js';

/** Add a new account, or edit one (`editing` = its name). */
export function AccountFormView({ editing }: { editing?: string }) {
  const presets = useBroker((state) => state.presets);
  const account = useBroker(selectAccount(editing ?? ''));
  const navigate = useBroker((state) => state.navigate);

  const initialPreset =
    editing === undefined
      ? undefined
      : (presets.find((p) => p.id === account?.preset) ??
        presets.find((p) => presetKind(p) === (account?.issuer === undefined ? 'endpoints' : 'issuer')));
  const [presetId, setPresetId] = useState<string | undefined>(initialPreset?.id);
  const preset = presets.find((p) => p.id === presetId);
  const back = () => navigate(editing === undefined ? { name: 'accounts' } : { name: 'account', account: editing });

  return (
    <section className="page page--narrow" aria-labelledby="form-title">
      <header className="page__header">
        <div>
          <button type="button" className="link-button back" onClick={back}>
            <BackIcon />
            {editing === undefined ? 'Accounts' : editing}
          </button>
          <h1 id="form-title">{editing === undefined ? 'Add account' : `Edit ${editing}`}</h1>
        </div>
      </header>
      {editing !== undefined && account === undefined ? (
        <p className="muted">This account no longer exists.</p>
      ) : (
        <>
          {editing === undefined ? <PresetPicker presets={presets} value={presetId} onChange={setPresetId} /> : null}
          {preset === undefined ? null : (
            <AccountForm
              key={preset.id}
              preset={preset}
              editing={editing}
              initial={account === undefined ? emptyFormValues(preset) : formValuesFromAccount(account, preset)}
              onCancel={back}
            />
          )}
        </>
      )}
    </section>
  );
}

function PresetPicker({ presets, value, onChange }: { presets: PresetView[]; value: string | undefined; onChange: (id: string) => void }) {
  return (
    <fieldset className="preset-picker">
      <legend className="section-title">Provider</legend>
      <div className="preset-grid">
        {presets.map((preset) => (
          <label key={preset.id} className={`preset-card ${value === preset.id ? 'preset-card--selected' : ''}`}>
            <input
              type="radio"
              name="preset"
              value={preset.id}
              checked={value === preset.id}
              onChange={() => onChange(preset.id)}
              className="visually-hidden-input"
            />
            <ProviderIcon preset={preset.id} size={28} />
            <PresetLabel label={preset.label} />
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** "OpenID Connect (discovery)" → the name, with the qualifier as a caption under it. */
function PresetLabel({ label }: { label: string }) {
  const match = /^(.*?)\s*\((.+)\)$/.exec(label);
  if (match === null) return <span className="preset-card__label">{label}</span>;
  return (
    <span className="preset-card__label">
      {match[1]} <span className="preset-card__caption">{match[2]}</span>
    </span>
  );
}

function AccountForm({
  preset,
  editing,
  initial,
  onCancel,
}: {
  preset: PresetView;
  editing: string | undefined;
  initial: AccountFormValues;
  onCancel: () => void;
}) {
  const [values, setValues] = useState<AccountFormValues>(initial);
  const [errors, setErrors] = useState<AccountFormErrors>({});
  const [submitError, setSubmitError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [advancedOpen, setAdvancedOpen] = useState(initial.extraParams.trim() !== '');
  const existingNames = useBroker(useShallow(selectAccountNames));
  const addAccount = useBroker((state) => state.addAccount);
  const updateAccount = useBroker((state) => state.updateAccount);
  const navigate = useBroker((state) => state.navigate);
  const kind = presetKind(preset);
  const mode = editing === undefined ? 'add' : 'edit';

  const set = <K extends keyof AccountFormValues>(key: K, value: AccountFormValues[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    if (errors[key] !== undefined) setErrors((e) => ({ ...e, [key]: undefined }));
  };
  const setPresetField = (key: string, value: string) => {
    setValues((v) => ({ ...v, presetFields: { ...v.presetFields, [key]: value } }));
    setErrors((e) => ({ ...e, [`preset.${key}`]: undefined }));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = validateAccountForm(values, preset, { mode, existingNames });
    // Rendered synchronously so focus can move to the first field that needs attention.
    flushSync(() => {
      setErrors(result.errors);
      setSubmitError(null);
      if (result.errors.extraParams !== undefined) setAdvancedOpen(true);
    });
    if (result.draft === undefined) {
      document.querySelector<HTMLElement>('form [aria-invalid="true"]')?.focus();
      return;
    }
    setSubmitting(true);
    const response = editing === undefined ? await addAccount(result.draft) : await updateAccount(editing, result.draft);
    setSubmitting(false);
    // The secret leaves the form as soon as it has been sent, whatever the outcome.
    setValues((v) => ({ ...v, clientSecret: '' }));
    if (response.ok) navigate({ name: 'account', account: response.value.name });
    else
      setSubmitError(
        explainError(response.error) + (response.error.message === explainError(response.error) ? '' : ` (${response.error.message})`),
      );
  };

  const legacy = LEGACY_GRANTS.includes(values.grant);
  const grants = preset.grants;

  return (
    <form className="form" onSubmit={(e) => void submit(e)} noValidate aria-label={`${preset.label} account`}>
      {preset.hints.length > 0 ? (
        <aside className="hints" aria-label={`${preset.label} hints`}>
          <ul>
            {preset.hints.map((hint) => (
              <li key={hint}>{hint}</li>
            ))}
          </ul>
        </aside>
      ) : null}

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

      <div className="form__section">
        <h2 className="section-title">Provider</h2>
        {kind === 'issuer' ? <IssuerFields values={values} errors={errors} onChange={setPresetField} /> : null}
        {kind === 'endpoints' ? <EndpointFields values={values} errors={errors} set={set} /> : null}
        {kind === 'preset'
          ? preset.fields.map((field) => (
              <Field
                key={field.key}
                label={field.label}
                hint={field.help}
                error={errors[`preset.${field.key}`]}
                optional={isOptionalField(field)}
              >
                {(p) => (
                  <input
                    {...p}
                    className="input"
                    placeholder={fieldPlaceholder(field)}
                    value={values.presetFields[field.key] ?? ''}
                    spellCheck={false}
                    onChange={(e) => setPresetField(field.key, e.target.value)}
                  />
                )}
              </Field>
            ))
          : null}
        {kind === 'preset' && preset.fields.length === 0 ? <p className="muted small">{preset.label} endpoints are built in.</p> : null}
      </div>

      <div className="form__section">
        <h2 className="section-title">Client</h2>
        <Field label="Client ID" error={errors.clientId}>
          {(p) => (
            <input
              {...p}
              className="input mono"
              value={values.clientId}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => set('clientId', e.target.value)}
            />
          )}
        </Field>
        <Field label="Client authentication">
          {(p) => (
            <select
              {...p}
              className="input"
              value={values.clientAuth}
              onChange={(e) => set('clientAuth', e.target.value as ClientAuthName)}
            >
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
        {values.clientAuth === 'private_key_jwt' ? (
          <Field label="Key ID (kid)" optional>
            {(p) => <input {...p} className="input mono" value={values.keyId} onChange={(e) => set('keyId', e.target.value)} />}
          </Field>
        ) : null}
      </div>

      <div className="form__section">
        <h2 className="section-title">Sign-in</h2>
        <Field label="Grant" error={errors.grant} hint={grantHint(values.grant)}>
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
              onChange={(on) => {
                setValues((v) => ({
                  ...v,
                  allowLegacy: on,
                  grant: !on && LEGACY_GRANTS.includes(v.grant) ? preset.defaultGrant : v.grant,
                }));
                setErrors((e) => ({ ...e, grant: undefined }));
              }}
              label="I understand this is insecure"
              description="Enables the legacy implicit and password grants. Implicit puts the token in a browser URL; password hands your credentials to this app. The OAuth 2.0 Security BCP forbids both — use them only for providers that offer nothing else."
            />
          </div>
        ) : null}
        {legacy ? (
          <p className="warning" role="note">
            <AlertIcon />{' '}
            {values.grant === 'password'
              ? 'Your password is sent once per sign-in and never stored.'
              : 'The token passes through the browser’s address bar.'}
          </p>
        ) : null}
        <Field label="Scopes" hint="Separated by spaces." optional>
          {(p) => (
            <input {...p} className="input mono" value={values.scopes} spellCheck={false} onChange={(e) => set('scopes', e.target.value)} />
          )}
        </Field>
        {usesRedirect(values.grant) ? (
          <Field
            label="Redirect URI"
            hint="Leave empty for http://127.0.0.1:<any free port>/callback. Register it at the provider; without a port any port works (RFC 8252)."
            error={errors.redirectUri}
            optional
          >
            {(p) => (
              <input
                {...p}
                className="input mono"
                placeholder="http://127.0.0.1/callback"
                value={values.redirectUri}
                spellCheck={false}
                onChange={(e) => set('redirectUri', e.target.value)}
              />
            )}
          </Field>
        ) : null}
      </div>

      <div className="form__section">
        <h2 className="section-title">Access</h2>
        <fieldset className="radio-group">
          <legend className="field__label">Approval policy</legend>
          <label className="radio">
            <input
              type="radio"
              name="approval"
              value="auto"
              checked={values.approval === 'auto'}
              onChange={() => set('approval', 'auto')}
            />
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

      <details className="form__section form__advanced" open={advancedOpen} onToggle={(e) => setAdvancedOpen(e.currentTarget.open)}>
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
                setErrors((current) => ({ ...current, extraParams: 'error' in parsed ? parsed.error : undefined }));
              }}
            />
          )}
        </Field>
      </details>

      {submitError === null ? null : (
        <p className="banner banner--error" role="alert">
          <AlertIcon /> {submitError}
        </p>
      )}
      <div className="form__actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button button--primary" disabled={submitting}>
          {submitting ? 'Saving…' : mode === 'add' ? 'Add account' : 'Save changes'}
        </button>
      </div>
    </form>
  );
}

function grantHint(grant: GrantName): string {
  switch (grant) {
    case 'authorization_code':
      return 'Signs in through your system browser with PKCE. Best for user accounts.';
    case 'device_code':
      return 'Shows a code to enter on another device or browser. Good for CLIs and headless setups.';
    case 'client_credentials':
      return 'The app authenticates as itself; no sign-in needed.';
    case 'password':
      return 'Legacy: sends your username and password to the provider.';
    case 'implicit':
      return 'Legacy: the token comes back in the browser URL; no refresh token.';
  }
}

function IssuerFields({
  values,
  errors,
  onChange,
}: {
  values: AccountFormValues;
  errors: AccountFormErrors;
  onChange: (key: string, value: string) => void;
}) {
  const checkDiscovery = useBroker((state) => state.checkDiscovery);
  const [check, setCheck] = useState<
    { state: 'idle' | 'checking' } | { state: 'ok'; value: DiscoveryCheck } | { state: 'error'; message: string }
  >({ state: 'idle' });
  const issuer = values.presetFields.issuer ?? '';
  const run = async () => {
    setCheck({ state: 'checking' });
    const result = await checkDiscovery(issuer.trim());
    setCheck(result.ok ? { state: 'ok', value: result.value } : { state: 'error', message: explainError(result.error) });
  };
  return (
    <>
      <Field label="Issuer URL" hint="Endpoints are found through the issuer’s discovery document." error={errors['preset.issuer']}>
        {(p) => (
          <div className="input-row">
            <input
              {...p}
              className="input mono"
              placeholder="https://id.example.com"
              value={issuer}
              spellCheck={false}
              onChange={(e) => onChange('issuer', e.target.value)}
            />
            <button
              type="button"
              className="button"
              disabled={issuer.trim() === '' || check.state === 'checking'}
              onClick={() => void run()}
            >
              {check.state === 'checking' ? 'Checking…' : 'Check discovery'}
            </button>
          </div>
        )}
      </Field>
      <div aria-live="polite">
        {check.state === 'ok' ? (
          <div className="discovery discovery--ok">
            <p className="discovery__title">
              <CheckIcon /> Discovery found
            </p>
            <dl className="kv kv--compact">
              <dt>Issuer</dt>
              <dd>{check.value.issuer}</dd>
              <dt>Authorization</dt>
              <dd>{check.value.authorizationEndpoint ?? '—'}</dd>
              <dt>Token</dt>
              <dd>{check.value.tokenEndpoint}</dd>
              <dt>Device</dt>
              <dd>{check.value.deviceAuthorizationEndpoint ?? '—'}</dd>
              <dt>Revocation</dt>
              <dd>{check.value.revocationEndpoint ?? '—'}</dd>
            </dl>
          </div>
        ) : null}
        {check.state === 'error' ? (
          <p className="banner banner--error" role="alert">
            <AlertIcon /> {check.message}
          </p>
        ) : null}
      </div>
    </>
  );
}

function EndpointFields({
  values,
  errors,
  set,
}: {
  values: AccountFormValues;
  errors: AccountFormErrors;
  set: <K extends keyof AccountFormValues>(key: K, value: AccountFormValues[K]) => void;
}) {
  const endpoint = (
    key: 'authorizationEndpoint' | 'tokenEndpoint' | 'deviceAuthorizationEndpoint' | 'revocationEndpoint',
    label: string,
    optional: boolean,
  ) => (
    <Field key={key} label={label} error={errors[key]} optional={optional}>
      {(p) => (
        <input
          {...p}
          className="input mono"
          placeholder="https://"
          value={values[key]}
          spellCheck={false}
          onChange={(e) => set(key, e.target.value)}
        />
      )}
    </Field>
  );
  return (
    <>
      {endpoint('authorizationEndpoint', 'Authorization endpoint', !usesRedirect(values.grant))}
      {endpoint('tokenEndpoint', 'Token endpoint', false)}
      {endpoint('deviceAuthorizationEndpoint', 'Device authorization endpoint', values.grant !== 'device_code')}
      {endpoint('revocationEndpoint', 'Revocation endpoint', true)}
    </>
  );
}
