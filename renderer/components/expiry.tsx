import { useBroker } from '../store/hooks.js';
import { formatExpiry } from '../lib/time.js';

/**
 * "expires in 12 min", kept current by the store's clock. It subscribes to the text, not to the
 * clock: the one-second tick re-renders it only when the text changes (issue 15: with hundreds
 * of accounts, a tick no longer re-renders every row).
 */
export function Expiry({ expiresAt }: { expiresAt: number | undefined }) {
  const text = useBroker((state) => formatExpiry(expiresAt, state.now));
  return (
    <span className="expiry" data-testid="expiry">
      {text}
    </span>
  );
}
