import type { Clock } from '../../ports.js';
import type { DpopBinding } from '../dpop.js';
import type { HttpClient } from '../http.js';
import { requestToken } from '../token-request.js';
import type { ClientAuth, ProviderMetadata, TokenSet } from '../types.js';

export interface ClientCredentialsParams {
  http: HttpClient;
  metadata: ProviderMetadata;
  client: ClientAuth;
  scope?: string;
  /** Provider-specific parameters such as Auth0's `audience`; grant parameters win on a clash. */
  extraParams?: Readonly<Record<string, string>>;
  clock?: Clock;
  signal?: AbortSignal;
  /** The account's DPoP key: the token request carries a proof (RFC 9449 §5). */
  dpop?: DpopBinding;
}

/** The grant's token request parameters. @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.4.2 RFC 6749 §4.4.2} */
export function clientCredentialsParams(scope?: string, extraParams?: Readonly<Record<string, string>>): Record<string, string> {
  return { ...extraParams, grant_type: 'client_credentials', ...(scope === undefined || scope === '' ? {} : { scope }) };
}

/**
 * Client credentials grant: the client authenticates (basic, post or private_key_jwt) and
 * receives a token for itself. Never retried once sent.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.4 RFC 6749 §4.4}
 */
export function clientCredentialsGrant(p: ClientCredentialsParams): Promise<TokenSet> {
  return requestToken(p, clientCredentialsParams(p.scope, p.extraParams));
}
