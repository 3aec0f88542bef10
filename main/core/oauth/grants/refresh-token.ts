import type { Clock } from '../../ports.js';
import type { DpopBinding } from '../dpop.js';
import type { HttpClient } from '../http.js';
import { requestToken } from '../token-request.js';
import type { ClientAuth, ProviderMetadata, TokenSet } from '../types.js';

export interface RefreshTokenParams {
  http: HttpClient;
  metadata: ProviderMetadata;
  client: ClientAuth;
  refreshToken: string;
  /** A narrower scope (RFC 6749 §6: must not exceed the original grant). */
  scope?: string;
  clock?: Clock;
  signal?: AbortSignal;
  /** The account's DPoP key: the token request carries a proof (RFC 9449 §5). */
  dpop?: DpopBinding;
}

/** The grant's token request parameters. @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-6 RFC 6749 §6} */
export function refreshTokenParams(refreshToken: string, scope?: string): Record<string, string> {
  return { grant_type: 'refresh_token', refresh_token: refreshToken, ...(scope === undefined || scope === '' ? {} : { scope }) };
}

/**
 * Refresh token grant. A rotated refresh token in the response is returned for the caller to
 * persist before handing out the access token; when none is returned the old one is kept in
 * the result. The request is never retried once sent: a retry could replay a token the
 * provider already rotated, which many providers treat as theft and revoke the family.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-6 RFC 6749 §6}, {@link https://www.rfc-editor.org/rfc/rfc9700.html#section-4.14.2 RFC 9700 §4.14.2}
 */
export async function refreshTokenGrant(p: RefreshTokenParams): Promise<TokenSet> {
  const tokens = await requestToken(p, refreshTokenParams(p.refreshToken, p.scope), [p.refreshToken]);
  return tokens.refreshToken === undefined ? { ...tokens, refreshToken: p.refreshToken } : tokens;
}
