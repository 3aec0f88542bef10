import type { PresetView } from '../../../main/ipc/contract.js';
import { Field } from '../../components/field.js';
import { usesRedirect } from '../../lib/account-form.js';
import { fieldPlaceholder, isOptionalField, presetKind } from '../../lib/presets.js';
import type { FormFields } from './form-fields.js';
import { IssuerFields } from './issuer-fields.js';
import { TextField, type TextValue } from './text-field.js';
import { GRANT_TRAITS } from '../../../main/shared/grants.js';

/**
 * Where the provider is: an issuer found through discovery, explicit endpoints, or the few
 * fields a preset needs (Okta domain, Entra tenant, …) from which main builds the endpoints.
 */
export function ProviderSection({ fields, preset }: { fields: FormFields; preset: PresetView }) {
  const kind = presetKind(preset);
  return (
    <div className="form__section">
      <h2 className="section-title">Provider</h2>
      {kind === 'issuer' ? <IssuerFields fields={fields} /> : null}
      {kind === 'endpoints' ? <EndpointFields fields={fields} /> : null}
      {kind === 'preset' ? <PresetFields fields={fields} preset={preset} /> : null}
      {kind === 'preset' && preset.fields.length === 0 ? <p className="muted small">{preset.label} endpoints are built in.</p> : null}
    </div>
  );
}

function PresetFields({ fields, preset }: { fields: FormFields; preset: PresetView }) {
  const { values, errors, setPresetField } = fields;
  return preset.fields.map((field) => (
    <Field key={field.key} label={field.label} hint={field.help} error={errors[`preset.${field.key}`]} optional={isOptionalField(field)}>
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
  ));
}

/** Generic OAuth 2.0: the endpoints by hand; which are required follows the grant. */
function EndpointFields({ fields }: { fields: FormFields }) {
  const { grant } = fields.values;
  const endpoint = (name: TextValue, label: string, optional: boolean) => (
    <TextField fields={fields} name={name} label={label} optional={optional} placeholder="https://" spellCheck={false} />
  );
  return (
    <>
      {endpoint('authorizationEndpoint', 'Authorization endpoint', !usesRedirect(grant))}
      {endpoint('tokenEndpoint', 'Token endpoint', false)}
      {endpoint(
        'deviceAuthorizationEndpoint',
        'Device authorization endpoint',
        !GRANT_TRAITS[grant].endpoints.includes('device_authorization'),
      )}
      {endpoint('revocationEndpoint', 'Revocation endpoint', true)}
    </>
  );
}
