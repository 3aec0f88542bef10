/**
 * Building the authorization request URL (code + PKCE, or the legacy implicit `token`).
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.1 RFC 6749 §4.1.1}, {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.2.1 §4.2.1}, {@link https://www.rfc-editor.org/rfc/rfc7636.html#section-4.3 RFC 7636 §4.3}, {@link https://openid.net/specs/openid-connect-core-1_0.html OpenID Connect Core §3.1.2.1}
 */
import { BrokerError } from '../errors.js';
import type { ProviderMetadata } from './types.js';

export interface AuthorizationUrlInput {
  clientId: string;
  redirectUri: string;
  state: string;
  scope?: string;
  responseType: 'code' | 'token';
  /** S256 challenge; required for `code`. */
  codeChallenge?: string;
  nonce?: string;
  /**
   * Provider-specific parameters (Google `access_type`, Auth0 `audience`). Protocol parameters
   * set here always win over an extra parameter of the same name.
   */
  extraParams?: Readonly<Record<string, string>>;
}

/**
 * The authorization URL. Parameters already in the endpoint's query are kept (RFC 6749 §3.1);
 * extra parameters replace those, and the protocol parameters replace both. A `code` request without a PKCE challenge is refused.
 * @throws BrokerError `CONFIG_INVALID` without an authorization endpoint; `INTERNAL` for a
 *   code request without a challenge (fail closed).
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.1 RFC 6749 §4.1.1}, {@link https://www.rfc-editor.org/rfc/rfc7636.html#section-4.3 RFC 7636 §4.3}
 */
export function buildAuthorizationUrl(metadata: ProviderMetadata, input: AuthorizationUrlInput): string {
  if (metadata.authorizationEndpoint === undefined) {
    throw new BrokerError('CONFIG_INVALID', 'The provider has no authorization endpoint; this grant needs one.');
  }
  if (input.responseType === 'code' && (input.codeChallenge === undefined || input.codeChallenge === '')) {
    throw new BrokerError('INTERNAL', 'Refusing to build an authorization request without PKCE.');
  }
  const url = new URL(metadata.authorizationEndpoint);
  const params = url.searchParams;
  // Extras first, so a protocol parameter of the same name can never be overridden by config.
  for (const [key, value] of Object.entries(input.extraParams ?? {})) params.set(key, value);
  params.set('response_type', input.responseType);
  params.set('client_id', input.clientId);
  params.set('redirect_uri', input.redirectUri);
  params.set('state', input.state);
  if (input.scope !== undefined && input.scope !== '') params.set('scope', input.scope);
  if (input.codeChallenge !== undefined) {
    params.set('code_challenge', input.codeChallenge);
    params.set('code_challenge_method', 'S256');
  }
  if (input.nonce !== undefined) params.set('nonce', input.nonce);
  return url.href;
}
