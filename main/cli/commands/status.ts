/**
 * `token-broker status [NAME] [--json]`, like `gh auth status`: per account who is signed in,
 * the grant, scopes held vs configured, token expiries, whether a refresh token is held, the
 * last refresh, the approval policy and the git hosts / registries it serves. Exits 3 when an
 * account shown needs a person (a sign-in, or a client secret to be stored again).
 */
import type { AccountBody } from '../../core/api/wire.js';
import { parse } from '../args.js';
import { callApi } from '../client-http.js';
import { seg } from '../client.js';
import { EXIT } from '../exit.js';
import { formatStatus, NEEDS_ATTENTION, type StatusView } from '../report.js';

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parse('status', args, { json: { type: 'boolean', default: false } }, { min: 0, max: 1, names: 'NAME' });
  const client = 'token-broker status';
  const names =
    positionals[0] === undefined ? (await callApi<AccountBody[]>('GET', '/v1/accounts', { client })).map((a) => a.name) : [positionals[0]];
  const accounts = await Promise.all(
    names.map((name) => callApi<StatusView>('GET', `/v1/accounts/${seg(name)}`, { client, account: name })),
  );
  if (values.json) process.stdout.write(`${JSON.stringify(accounts, null, 2)}\n`);
  else process.stdout.write(formatStatus(accounts, Math.floor(Date.now() / 1000)));
  return accounts.some((a) => NEEDS_ATTENTION.has(a.status)) ? EXIT.needsLogin : EXIT.ok;
}
