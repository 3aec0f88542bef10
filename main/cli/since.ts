/**
 * `audit --since`: a relative age (`90s`, `30m`, `1h`, `2d`, `1w`, or combined like `1h30m`) or
 * an ISO 8601 date / date-time. Pure: the caller passes the current time.
 */

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const RELATIVE = /^(?:\d{1,6}[smhdw])+$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
// Date and time (minutes at least), optional seconds and fraction, optional Z or ±hh:mm.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;

/** What `--since` accepts, for the usage error. */
export const SINCE_FORMS = '30m, 1h, 2d, 1w, 1h30m, or an ISO date/time such as 2025-06-01 or 2025-06-01T09:00:00Z';

/**
 * Epoch ms of the moment `value` names, or undefined when it is not one of {@link SINCE_FORMS}
 * or lies in the future. A date without a time means local midnight; a date-time without an
 * offset means local time (as `date` and `git log --since` read them).
 */
export function parseSince(value: string, nowMs: number): number | undefined {
  const text = value.trim();
  let at: number | undefined;
  if (RELATIVE.test(text)) {
    let ms = 0;
    for (const [, amount, unit] of text.matchAll(/(\d+)([smhdw])/g)) ms += Number(amount) * (UNIT_MS[unit as string] as number);
    at = nowMs - ms;
  } else if (DATE_ONLY.test(text)) {
    const [, y, m, d] = DATE_ONLY.exec(text) as RegExpExecArray;
    const date = new Date(Number(y), Number(m) - 1, Number(d));
    // Reject 2025-02-30 and the like instead of rolling over into March.
    if (date.getFullYear() !== Number(y) || date.getMonth() !== Number(m) - 1 || date.getDate() !== Number(d)) return undefined;
    at = date.getTime();
  } else if (DATE_TIME.test(text)) {
    const parsed = Date.parse(text.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (Number.isNaN(parsed)) return undefined;
    at = parsed;
  }
  if (at === undefined || at > nowMs) return undefined;
  return at;
}
