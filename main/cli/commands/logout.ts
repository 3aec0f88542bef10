/** `token-broker logout NAME`: revoke at the provider and forget the tokens; the account stays. */
import { parse } from '../args.js';
import { callApi } from '../client-http.js';
import { seg } from '../client.js';

export async function run(args: string[]): Promise<number> {
  const { positionals } = parse('logout', args, {}, { min: 1, max: 1, names: 'the account NAME' });
  const name = positionals[0] as string;
  await callApi('POST', `/v1/accounts/${seg(name)}/logout`);
  process.stderr.write(`Signed out of ${name}; run 'token-broker login ${name}' to sign in again.\n`);
  return 0;
}
