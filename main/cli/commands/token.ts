/**
 * `token-broker token NAME [--id-token] [--min-ttl S] [--scope "a b"] [--audience A] [--resource R]
 *   [--format raw|json|header|env] [--method M --url U]`
 */
import { parse, parseSeconds } from '../args.js';
import { postJson, seg } from '../client.js';
import { CliError, usageError } from '../exit.js';
import { authScheme, formatIdToken, formatToken, TOKEN_FORMATS, type TokenBody, type TokenFormat } from '../format.js';
import { writeOut } from '../output.js';
import { fetchIdToken, fetchToken, type TokenQuery } from '../token-fetch.js';

export async function run(args: string[]): Promise<number> {
  const cmd = 'token';
  const { values, positionals } = parse(
    cmd,
    args,
    {
      'min-ttl': { type: 'string' },
      scope: { type: 'string' },
      audience: { type: 'string' },
      resource: { type: 'string' },
      format: { type: 'string', default: 'raw' },
      method: { type: 'string' },
      url: { type: 'string' },
      'id-token': { type: 'boolean', default: false },
    },
    { min: 1, max: 1, names: 'the account NAME' },
  );
  const format = values.format as TokenFormat;
  if (!TOKEN_FORMATS.includes(format)) throw usageError(`--format must be one of ${TOKEN_FORMATS.join(', ')}.`, cmd);
  if ((values.method === undefined) !== (values.url === undefined)) throw usageError('--method and --url go together.', cmd);
  if (values.method !== undefined && format !== 'header') throw usageError('--method and --url are for --format header.', cmd);
  const minTtl = parseSeconds(cmd, '--min-ttl', values['min-ttl']);
  const name = positionals[0] as string;
  if (values['id-token']) {
    if (values.scope !== undefined) throw usageError('--scope does not apply to --id-token (the ID token is not scoped).', cmd);
    if (values.audience !== undefined || values.resource !== undefined)
      throw usageError('--audience and --resource do not apply to --id-token.', cmd);
    writeOut(formatIdToken(await fetchIdToken(name, minTtl, 'token-broker token'), format));
    return 0;
  }
  const query: TokenQuery = {
    ...(minTtl === undefined ? {} : { minTtl }),
    ...(values.scope === undefined ? {} : { scope: values.scope }),
    ...(values.audience === undefined ? {} : { audience: values.audience }),
    ...(values.resource === undefined ? {} : { resource: values.resource }),
  };
  const body = await fetchToken(name, query, 'token-broker token');
  const dpop = body.token_type.toLowerCase() === 'dpop';
  if (format === 'header' && dpop) {
    if (values.method === undefined || values.url === undefined) {
      throw usageError(`The tokens of ${name} are DPoP-bound: add --method and --url for the DPoP proof header.`, cmd);
    }
    writeOut(await dpopHeaders(name, query, body, values.method.toUpperCase(), values.url));
    return 0;
  }
  writeOut(formatToken(body, format));
  return 0;
}

/**
 * `Authorization: DPoP …` and `DPoP: <proof>` for one request. The proof must be bound to the
 * printed token (its `ath`): if the token was refreshed between the two calls, both are fetched
 * once more.
 */
async function dpopHeaders(name: string, query: TokenQuery, first: TokenBody, method: string, url: string): Promise<string> {
  // Loaded only here: the plain token path does without node:crypto.
  const { createHash } = await import('node:crypto');
  const target: Record<string, string> = { htm: method, htu: url };
  if (query.scope !== undefined) target.scope = query.scope;
  if (query.audience !== undefined) target.audience = query.audience;
  if (query.resource !== undefined) target.resource = query.resource;
  let body = first;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const { proof } = await postJson<{ proof: string }>(`/v1/accounts/${seg(name)}/dpop-proof`, target, {
      client: 'token-broker token',
      account: name,
    });
    if (proofAth(proof) === createHash('sha256').update(body.access_token).digest('base64url')) {
      return `Authorization: ${authScheme(body.token_type)} ${body.access_token}\nDPoP: ${proof}\n`;
    }
    body = await fetchToken(name, query, 'token-broker token');
  }
  throw new CliError(`the token of ${name} kept changing while its DPoP proof was made; try again`);
}

/** The `ath` claim of a proof (read, not verified: the broker made it). */
function proofAth(proof: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(proof.split('.')[1] ?? '', 'base64url').toString('utf8')) as { ath?: unknown };
    return typeof payload.ath === 'string' ? payload.ath : undefined;
  } catch {
    return undefined;
  }
}
