/**
 * Fetching tokens from the running broker, shared by `token`, `exec` and `kubectl-credential`
 * (one raw-socket GET each, ./client.ts).
 */
import { getJson, queryString, seg } from './client.js';
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
  const qs = queryString({
    min_ttl: query.minTtl === undefined ? undefined : String(query.minTtl),
    scope: query.scope,
    audience: query.audience,
    resource: query.resource,
  });
  return getJson<TokenBody>(`/v1/accounts/${seg(name)}/token${qs}`, { client, account: name });
}

/** Fetches the account's ID token (`type=id_token`; `minTtl` against its own expiry). Shared by token and exec. */
export function fetchIdToken(name: string, minTtl: number | undefined, client: string): Promise<IdTokenBody> {
  const qs = queryString({ type: 'id_token', min_ttl: minTtl === undefined ? undefined : String(minTtl) });
  return getJson<IdTokenBody>(`/v1/accounts/${seg(name)}/token${qs}`, { client });
}
