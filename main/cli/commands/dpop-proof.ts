/**
 * `token-broker dpop-proof NAME --method M --url U [--nonce N]`
 *
 * Prints a DPoP proof (RFC 9449) for one request with the account's current access token; the
 * broker signs it with the account's key, which never leaves the broker.
 */
import { parse } from '../args.js';
import { seg } from '../client.js';
import { callApi } from '../client-http.js';
import { EXIT, usageError } from '../exit.js';

/** `POST /v1/accounts/{name}/dpop-proof` answer. */
export interface DpopProofBody {
  proof: string;
  /** Epoch seconds. */
  expires_at: number;
}

/** Which token the proof is for: the main one, or a scoped or exchanged one (as `token` asks for it). */
export interface ProofTarget {
  nonce?: string | undefined;
  scope?: string | undefined;
  audience?: string | undefined;
  resource?: string | undefined;
}

/** Asks the broker for a proof. Shared with `token --method --url`. */
export function fetchDpopProof(name: string, htm: string, htu: string, target: ProofTarget, client: string): Promise<DpopProofBody> {
  const body: Record<string, string> = { htm, htu };
  for (const key of ['nonce', 'scope', 'audience', 'resource'] as const) {
    const value = target[key];
    if (value !== undefined) body[key] = value;
  }
  return callApi<DpopProofBody>('POST', `/v1/accounts/${seg(name)}/dpop-proof`, { body, client });
}

export async function run(args: string[]): Promise<number> {
  const cmd = 'dpop-proof';
  const { values, positionals } = parse(
    cmd,
    args,
    {
      method: { type: 'string' },
      url: { type: 'string' },
      nonce: { type: 'string' },
      scope: { type: 'string' },
      audience: { type: 'string' },
      resource: { type: 'string' },
    },
    { min: 1, max: 1, names: 'the account NAME' },
  );
  if (values.method === undefined || values.url === undefined) throw usageError('--method and --url are required.', cmd);
  const target = { nonce: values.nonce, scope: values.scope, audience: values.audience, resource: values.resource };
  const body = await fetchDpopProof(positionals[0] as string, values.method.toUpperCase(), values.url, target, 'token-broker dpop-proof');
  process.stdout.write(`${body.proof}\n`);
  return EXIT.ok;
}
