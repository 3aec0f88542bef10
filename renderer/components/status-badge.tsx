import type { DisplayStatus } from '../lib/status.js';
import { STATUS_LABELS } from '../lib/status.js';

/** The colored status pill. The word carries the meaning; the color only repeats it. */
export function StatusBadge({ status }: { status: DisplayStatus }) {
  return (
    <span className={`badge badge--${status}`} data-status={status}>
      <span className="badge__dot" aria-hidden="true" />
      {STATUS_LABELS[status]}
    </span>
  );
}
