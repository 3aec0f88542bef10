/**
 * `token-broker __complete-accounts` (hidden): the account names, one per line, for the shell
 * completion scripts. Silent and successful whatever happens (no broker, a slow one): a TAB
 * press must never print an error or hang.
 */
import { getJson } from '../client.js';

/** A TAB press waits at most this long for the broker. */
const COMPLETION_TIMEOUT_MS = 2000;

export async function run(): Promise<number> {
  try {
    const accounts = await getJson<{ name: string }[]>('/v1/accounts', {
      client: 'token-broker completion',
      timeoutMs: COMPLETION_TIMEOUT_MS,
    });
    if (Array.isArray(accounts)) process.stdout.write(accounts.map((a) => `${a.name}\n`).join(''));
  } catch {
    // Nothing to offer.
  }
  return 0;
}
