/**
 * Time formatting for countdowns and timestamps. Pure: every function takes `now` (epoch ms)
 * instead of reading the clock, so a countdown renders the same in a test as on screen.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A short human duration: "45 s", "12 min", "2 h 5 min", "3 d". Negative durations use their size. */
export function formatDuration(ms: number): string {
  const size = Math.abs(ms);
  if (size < MINUTE) return `${Math.max(0, Math.ceil(size / SECOND))} s`;
  if (size < HOUR) return `${Math.floor(size / MINUTE)} min`;
  if (size < DAY) {
    const hours = Math.floor(size / HOUR);
    const minutes = Math.floor((size % HOUR) / MINUTE);
    return minutes === 0 ? `${hours} h` : `${hours} h ${minutes} min`;
  }
  return `${Math.floor(size / DAY)} d`;
}

/** "expires in 12 min", "expired 3 min ago", or "no expiry" when the provider gave none. */
export function formatExpiry(expiresAt: number | undefined, now: number): string {
  if (expiresAt === undefined) return 'no expiry';
  const left = expiresAt - now;
  if (left <= 0) return `expired ${formatDuration(left)} ago`;
  return `expires in ${formatDuration(left)}`;
}

/** "just now", "5 min ago", "in 3 min". */
export function formatRelative(at: number, now: number): string {
  const delta = at - now;
  if (Math.abs(delta) < 5 * SECOND) return 'just now';
  return delta < 0 ? `${formatDuration(delta)} ago` : `in ${formatDuration(delta)}`;
}

/** A locale timestamp for tables and metadata. */
export function formatTimestamp(at: number): string {
  return new Date(at).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}
