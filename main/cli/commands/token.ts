/** `token-broker token NAME [--id-token] [--min-ttl S] [--scope "a b"] [--format raw|json|header|env]` */
import { parse, parseSeconds } from '../args.js';
import { getJson, queryString, seg } from '../client.js';
import { usageError } from '../exit.js';
import { formatIdToken, formatToken, TOKEN_FORMATS, type IdTokenBody, type TokenBody, type TokenFormat } from '../format.js';
import { writeOut } from '../output.js';

export interface TokenQuery {
  minTtl?: number;
  scope?: string;
}

/** Fetches a token from the running broker. Shared by token, exec and kubectl-credential. */
export function fetchToken(name: string, query: TokenQuery, client: string): Promise<TokenBody> {
  const qs = queryString({ min_ttl: query.minTtl === undefined ? undefined : String(query.minTtl), scope: query.scope });
  return getJson<TokenBody>(`/v1/accounts/${seg(name)}/token${qs}`, { client, account: name });
}

/** Fetches the account's ID token (`type=id_token`; `minTtl` against its own expiry). Shared by token and exec. */
export function fetchIdToken(name: string, minTtl: number | undefined, client: string): Promise<IdTokenBody> {
  const qs = queryString({ type: 'id_token', min_ttl: minTtl === undefined ? undefined : String(minTtl) });
  return getJson<IdTokenBody>(`/v1/accounts/${seg(name)}/token${qs}`, { client });
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
    writeOut(formatIdToken(await fetchIdToken(positionals[0] as string, minTtl, 'token-broker token'), format));
    return 0;
  }
  const body = await fetchToken(
    positionals[0] as string,
    { ...(minTtl === undefined ? {} : { minTtl }), ...(values.scope === undefined ? {} : { scope: values.scope }) },
    'token-broker token',
  );
  writeOut(formatToken(body, format));
  return 0;
}
