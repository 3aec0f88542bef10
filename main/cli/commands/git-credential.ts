/**
 * `token-broker git-credential get|store|erase`: git's credential helper protocol.
 * @see https://git-scm.com/docs/gitcredentials#_custom_helpers
 */
import { parse } from '../args.js';
import { getJson, queryString } from '../client.js';
import { CliError, usageError } from '../exit.js';
import { writeOut } from '../output.js';
import { gitCredentialAnswer, parseGitCredentialInput, type TokenBody } from '../format.js';
import { readStdinAtOnce } from '../stdin.js';

export async function run(args: string[]): Promise<number> {
  const { positionals } = parse('git-credential', args, {}, { min: 1, max: 1, names: 'the operation (get, store or erase)' });
  const operation = positionals[0];
  if (operation !== 'get' && operation !== 'store' && operation !== 'erase') {
    throw usageError(`Unknown operation '${operation ?? ''}'; git calls get, store or erase.`, 'git-credential');
  }
  const input = parseGitCredentialInput(await readStdinAtOnce());
  // Tokens are the broker's to manage: nothing to store, and erasing would not help git.
  if (operation !== 'get') return 0;
  const host = input.host;
  if (host === undefined || host === '') return 0;
  // A bearer token must never travel in cleartext: for http:// (or any other protocol) stay
  // silent, so git asks its other helpers or the user.
  if (input.protocol !== undefined && input.protocol !== 'https') return 0;

  const params = queryString({ host, path: input.path === '' ? undefined : input.path });
  let answer: TokenBody & { username: string };
  try {
    answer = await getJson<TokenBody & { username: string }>(`/v1/git/credential${params}`, { client: 'git' });
  } catch (error) {
    // No account for this host: stay silent so git asks its other helpers.
    if (error instanceof CliError && error.code === 'ACCOUNT_NOT_FOUND') return 0;
    throw error;
  }
  writeOut(gitCredentialAnswer(answer.username, answer));
  return 0;
}
