/** `token-broker token NAME [--id-token] [--min-ttl S] [--scope "a b"] [--format raw|json|header|env]` */
import { parse, parseSeconds } from '../args.js';
import { getJson, seg } from '../client.js';
import { usageError } from '../exit.js';
import { formatIdToken, formatToken, TOKEN_FORMATS, type IdTokenBody, type TokenBody, type TokenFormat } from '../format.js';

export interface TokenQuery {
  minTtl?: number;
  scope?: string;
}

/** Fetches a token from the running broker. Shared by token, exec and kubectl-credential. */
export function fetchToken(name: string, query: TokenQuery, client: string): Promise<TokenBody> {
  const params = new URLSearchParams();
  if (query.minTtl !== undefined) params.set('min_ttl', String(query.minTtl));
  if (query.scope !== undefined) params.set('scope', query.scope);
  const qs = params.toString();
  return getJson<TokenBody>(`/v1/accounts/${seg(name)}/token${qs === '' ? '' : `?${qs}`}`, { client, account: name });
}

/** Fetches the account's ID token (`type=id_token`; `minTtl` against its own expiry). Shared by token and exec. */
export function fetchIdToken(name: string, minTtl: number | undefined, client: string): Promise<IdTokenBody> {
  return getJson<IdTokenBody>(`/v1/accounts/${seg(name)}/token?type=id_token${minTtl === undefined ? '' : `&min_ttl=${minTtl}`}`, {
    client,
  });
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    'token',
    args,
    {
      'min-ttl': { type: 'string' },
      scope: { type: 'string' },
      format: { type: 'string', default: 'raw' },
      'id-token': { type: 'boolean', default: false },
    },
    { min: 1, max: 1, names: 'the account NAME' },
  );
  const format = values.format as TokenFormat;
  if (!TOKEN_FORMATS.includes(format)) throw usageError(`--format must be one of ${TOKEN_FORMATS.join(', ')}.`, 'token');
  const minTtl = parseSeconds('token', '--min-ttl', values['min-ttl']);
  if (values['id-token']) {
    if (values.scope !== undefined) throw usageError('--scope does not apply to --id-token (the ID token is not scoped).', 'token');
    process.stdout.write(formatIdToken(await fetchIdToken(positionals[0] as string, minTtl, 'token-broker token'), format));
    return 0;
  }
  const body = await fetchToken(
    positionals[0] as string,
    { ...(minTtl === undefined ? {} : { minTtl }), ...(values.scope === undefined ? {} : { scope: values.scope }) },
    'token-broker token',
  );
  process.stdout.write(formatToken(body, format));
  return 0;
}
