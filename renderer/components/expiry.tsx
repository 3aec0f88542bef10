import { useBroker } from '../store/hooks.js';
import { formatExpiry } from '../lib/time.js';

/** "expires in 12 min", re-rendered by the store's clock. */
export function Expiry({ expiresAt }: { expiresAt: number | undefined }) {
  const now = useBroker((state) => state.now);
  return (
    <span className="expiry" data-testid="expiry">
      {formatExpiry(expiresAt, now)}
    </span>
  );
}
