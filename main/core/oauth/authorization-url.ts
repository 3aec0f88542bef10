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
  /** RFC 9449 §10: the thumbprint of the account's DPoP key, binding the code to it. */
  dpopJkt?: string;
  /**
   * Provider-specific parameters (Google `access_type`, Auth0 `audience`). Protocol parameters
   * set here always win over an extra parameter of the same name.
   */
  extraParams?: Readonly<Record<string, string>>;
}

/**
 * The authorization request's parameters: extra parameters first, then the protocol parameters,
 * which replace an extra one of the same name. A `code` request without a PKCE challenge is
 * refused. Sent in the URL ({@link buildAuthorizationUrl}) or pushed (RFC 9126, par.ts).
 * @throws BrokerError `INTERNAL` for a code request without a challenge (fail closed).
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.1 RFC 6749 §4.1.1}, {@link https://www.rfc-editor.org/rfc/rfc7636.html#section-4.3 RFC 7636 §4.3}, {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-10 RFC 9449 §10}
 */
export function authorizationRequestParams(input: AuthorizationUrlInput): Record<string, string> {
  if (input.responseType === 'code' && (input.codeChallenge === undefined || input.codeChallenge === '')) {
    throw new BrokerError('INTERNAL', 'Refusing to build an authorization request without PKCE.');
  }
  // Extras first, so a protocol parameter of the same name can never be overridden by config.
  const params: Record<string, string> = { ...input.extraParams };
  params['response_type'] = input.responseType;
  params['client_id'] = input.clientId;
  params['redirect_uri'] = input.redirectUri;
  params['state'] = input.state;
  if (input.scope !== undefined && input.scope !== '') params['scope'] = input.scope;
  if (input.codeChallenge !== undefined) {
    params['code_challenge'] = input.codeChallenge;
    params['code_challenge_method'] = 'S256';
  }
  if (input.nonce !== undefined) params['nonce'] = input.nonce;
  if (input.dpopJkt !== undefined) params['dpop_jkt'] = input.dpopJkt;
  return params;
}

/**
 * The authorization URL. Parameters already in the endpoint's query are kept (RFC 6749 §3.1);
 * extra parameters replace those, and the protocol parameters replace both.
 * @throws BrokerError `CONFIG_INVALID` without an authorization endpoint; `INTERNAL` for a
 *   code request without a challenge (fail closed).
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.1 RFC 6749 §4.1.1}, {@link https://www.rfc-editor.org/rfc/rfc7636.html#section-4.3 RFC 7636 §4.3}
 */
export function buildAuthorizationUrl(metadata: ProviderMetadata, input: AuthorizationUrlInput): string {
  if (metadata.authorizationEndpoint === undefined) {
    throw new BrokerError('CONFIG_INVALID', 'The provider has no authorization endpoint; this grant needs one.');
  }
  const params = authorizationRequestParams(input);
  const url = new URL(metadata.authorizationEndpoint);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.href;
}
