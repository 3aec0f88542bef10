/** `token-broker kubectl-credential NAME`: kubectl's exec credential plugin. */
import { parse } from '../args.js';
import { execCredential } from '../format.js';
import { writeOut } from '../output.js';
import { fetchToken } from './token.js';

/** kubectl caches the credential until expirationTimestamp; hand out one that lasts a little. */
const KUBECTL_MIN_TTL_SECONDS = 30;

export async function run(args: string[]): Promise<number> {
  const { positionals } = parse('kubectl-credential', args, {}, { min: 1, max: 1, names: 'the account NAME' });
  const body = await fetchToken(positionals[0] as string, { minTtl: KUBECTL_MIN_TTL_SECONDS }, 'kubectl');
  writeOut(execCredential(body));
  return 0;
}
