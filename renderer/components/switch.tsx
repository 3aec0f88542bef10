import { useId } from 'react';
import type { ReactNode } from 'react';

/** An on/off switch: a real checkbox with role="switch", so Space toggles it and it is announced. */
export function Switch({
  checked,
  onChange,
  label,
  description,
  disabled = false,
}: {
  checked: boolean;
  onChange: (checked: boolean) => void;
  label: ReactNode;
  description?: ReactNode;
  disabled?: boolean;
}) {
  const id = useId();
  return (
    <div className="switch-row">
      <input
        id={id}
        type="checkbox"
        role="switch"
        className="switch"
        checked={checked}
        disabled={disabled}
        aria-describedby={description === undefined ? undefined : `${id}-desc`}
        onChange={(event) => onChange(event.target.checked)}
      />
      <div>
        <label htmlFor={id} className="switch-row__label">
          {label}
        </label>
        {description === undefined ? null : (
          <p id={`${id}-desc`} className="hint">
            {description}
          </p>
        )}
      </div>
    </div>
  );
}
