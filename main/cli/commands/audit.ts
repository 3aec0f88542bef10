/**
 * `token-broker audit [NAME] [--since 1h|2d|ISO] [--limit N] [--json]`: who got tokens, when,
 * from the broker's audit log (`GET /v1/audit`). Times on the wire are epoch seconds.
 */
import { parse } from '../args.js';
import { callApi } from '../client-http.js';
import { EXIT, usageError } from '../exit.js';
import { formatAudit, type AuditView } from '../report.js';
import { parseSince, SINCE_FORMS } from '../since.js';

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    'audit',
    args,
    { since: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean', default: false } },
    { min: 0, max: 1, names: 'NAME' },
  );
  const params = new URLSearchParams();
  if (positionals[0] !== undefined) params.set('account', positionals[0]);
  if (values.since !== undefined) {
    const at = parseSince(values.since, Date.now());
    if (at === undefined) throw usageError(`--since takes ${SINCE_FORMS}; not '${values.since.slice(0, 40)}'.`, 'audit');
    params.set('since', String(at / 1000));
  }
  if (values.limit !== undefined) {
    if (!/^[1-9]\d{0,5}$/.test(values.limit)) throw usageError('--limit must be a whole number from 1 to 999999.', 'audit');
    params.set('limit', values.limit);
  }
  const qs = params.toString();
  const entries = await callApi<AuditView[]>('GET', `/v1/audit${qs === '' ? '' : `?${qs}`}`, { client: 'token-broker audit' });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    return EXIT.ok;
  }
  if (entries.length === 0) {
    process.stderr.write('No token requests recorded in that range.\n');
    return EXIT.ok;
  }
  process.stdout.write(formatAudit(entries));
  return EXIT.ok;
}
