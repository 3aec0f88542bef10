import { useEffect } from 'react';
import { useBroker } from '../store/hooks.js';
import { CloseIcon } from './icons.js';

/** Status messages: one polite live region so screen readers hear what changed. */
export function Toast() {
  const announcement = useBroker((state) => state.announcement);
  const dismiss = useBroker((state) => state.dismissAnnouncement);
  useEffect(() => {
    if (announcement === null) return;
    // Errors stay longer: they usually need reading, and the same text is on the account too.
    const timer = setTimeout(dismiss, announcement.tone === 'error' ? 15_000 : 6000);
    return () => clearTimeout(timer);
  }, [announcement, dismiss]);
  return (
    <div className="toast-region" role="status" aria-live="polite">
      {announcement === null ? null : (
        <div className={`toast toast--${announcement.tone}`} key={announcement.id}>
          <span>{announcement.message}</span>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={dismiss}>
            <CloseIcon />
          </button>
        </div>
      )}
    </div>
  );
}
