import { useState } from 'react';
import { BackIcon } from '../components/icons.js';
import { emptyFormValues, formValuesFromAccount } from '../lib/account-form.js';
import { presetKind } from '../lib/presets.js';
import { useBroker } from '../store/hooks.js';
import { selectAccount } from '../store/selectors.js';
import { AccountForm } from './account-form/account-form.js';
import { PresetPicker } from './account-form/preset-picker.js';

/**
 * Add a new account, or edit one (`editing` = its name): the provider cards, then the form for
 * the chosen preset. The form's sections live in ./account-form/, one file each.
 */
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
