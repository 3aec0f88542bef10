import type { PresetView } from '../../../main/ipc/contract.js';
import { ProviderIcon } from '../../components/provider-icon.js';

/** The provider cards a new account starts from (GitHub, Entra ID, …, generic OIDC / OAuth 2.0). */
export function PresetPicker({
  presets,
  value,
  onChange,
}: {
  presets: PresetView[];
  value: string | undefined;
  onChange: (id: string) => void;
}) {
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
