/**
 * Fetching tokens from the running broker, shared by `token`, `exec` and `kubectl-credential`:
 * a module of its own, so `exec` does not load the `token` command (its DPoP header lines and
 * flags) on its start path.
 */
import { getJson, seg } from './client.js';
import type { IdTokenBody, TokenBody } from './format.js';

export interface TokenQuery {
  minTtl?: number;
  scope?: string;
  /** Token exchange (RFC 8693): a token for this audience / resource. */
  audience?: string;
  resource?: string;
}

/** Fetches a token from the running broker. Shared by token, exec and kubectl-credential. */
export function fetchToken(name: string, query: TokenQuery, client: string): Promise<TokenBody> {
  const params = new URLSearchParams();
  if (query.minTtl !== undefined) params.set('min_ttl', String(query.minTtl));
  if (query.scope !== undefined) params.set('scope', query.scope);
  if (query.audience !== undefined) params.set('audience', query.audience);
  if (query.resource !== undefined) params.set('resource', query.resource);
  const qs = params.toString();
  return getJson<TokenBody>(`/v1/accounts/${seg(name)}/token${qs === '' ? '' : `?${qs}`}`, { client, account: name });
}

/** Fetches the account's ID token (`type=id_token`; `minTtl` against its own expiry). Shared by token and exec. */
export function fetchIdToken(name: string, minTtl: number | undefined, client: string): Promise<IdTokenBody> {
  return getJson<IdTokenBody>(`/v1/accounts/${seg(name)}/token?type=id_token${minTtl === undefined ? '' : `&min_ttl=${minTtl}`}`, {
    client,
  });
}
