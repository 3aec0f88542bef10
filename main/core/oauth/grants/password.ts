import { BrokerError } from '../../errors.js';
import type { Clock } from '../../ports.js';
import type { DpopBinding } from '../dpop.js';
import type { HttpClient } from '../http.js';
import { requestToken } from '../token-request.js';
import type { ClientAuth, ProviderMetadata, TokenSet } from '../types.js';

export interface PasswordParams {
  http: HttpClient;
  metadata: ProviderMetadata;
  client: ClientAuth;
  username: string;
  password: string;
  scope?: string;
  allowLegacy: boolean;
  clock?: Clock;
  signal?: AbortSignal;
  /** The account's DPoP key: the token request carries a proof (RFC 9449 §5). */
  dpop?: DpopBinding;
}

/**
 * Resource owner password credentials grant (legacy; OAuth 2.0 Security BCP says MUST NOT).
 * Refused with `LEGACY_GRANT_REFUSED` unless the account opted in, before anything is sent.
 * The password is used for this one request only: not stored, not logged, and removed from
 * any provider error text that might echo it.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.3 RFC 6749 §4.3}, {@link https://www.rfc-editor.org/rfc/rfc9700.html#section-2.4 RFC 9700 §2.4}
 */
export function passwordGrant(p: PasswordParams): Promise<TokenSet> {
  if (!p.allowLegacy) {
    return Promise.reject(
      new BrokerError(
        'LEGACY_GRANT_REFUSED',
        'The password grant is a legacy grant and is off for this account; enable "allow legacy" to use it.',
      ),
    );
  }
  const params = {
    grant_type: 'password',
    username: p.username,
    password: p.password,
    ...(p.scope === undefined || p.scope === '' ? {} : { scope: p.scope }),
  };
  return requestToken(p, params, [p.password]);
}
