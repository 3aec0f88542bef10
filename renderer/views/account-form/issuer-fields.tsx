import { useState } from 'react';
import type { DiscoveryCheck } from '../../../main/ipc/contract.js';
import { Field } from '../../components/field.js';
import { AlertIcon, CheckIcon } from '../../components/icons.js';
import { explainError } from '../../lib/explain-error.js';
import { useBroker } from '../../store/hooks.js';
import type { FormFields } from './form-fields.js';

type DiscoveryState = { state: 'idle' | 'checking' } | { state: 'ok'; value: DiscoveryCheck } | { state: 'error'; message: string };

/** Generic OpenID Connect: the issuer URL, with "Check discovery" showing what main finds there. */
export function IssuerFields({ fields }: { fields: FormFields }) {
  const { values, errors, setPresetField } = fields;
  const checkDiscovery = useBroker((state) => state.checkDiscovery);
  const [check, setCheck] = useState<DiscoveryState>({ state: 'idle' });
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
              onChange={(e) => setPresetField('issuer', e.target.value)}
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
