/**
 * OAuth 2.0 Token Exchange (RFC 8693): the account's access token is exchanged for one aimed at
 * another audience or resource, with the same or a narrower scope. The broker only ever asks
 * for access tokens and sends no actor token (impersonation semantics, RFC 8693 §1.1).
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc8693.html#section-2 RFC 8693 §2}
 */
import { systemClock } from '../../ports.js';
import { invalidResponse, requireString, type ResponseContext } from '../assert.js';
import type { HttpResponse } from '../http.js';
import { sendTokenRequest, sentCredentials, type TokenGrantContext } from '../token-request.js';
import { processJsonResponse, tokenSetFromParameters, type ProcessOptions } from '../token-response.js';
import type { TokenSet } from '../types.js';

export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** @see {@link https://www.rfc-editor.org/rfc/rfc8693.html#section-3 RFC 8693 §3} */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
/** A JWT is an access token too when the provider issues JWT access tokens (RFC 8693 §3). */
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

/** Where the exchanged token should be usable. */
export interface TokenExchangeTarget {
  /** Logical name of the target service (RFC 8693 §2.1 `audience`). */
  audience?: string;
  /** Absolute URI of the target resource (RFC 8693 §2.1, RFC 8707 `resource`). */
  resource?: string;
  /** Space-separated scope; default the subject token's. */
  scope?: string;
}

/** An exchanged token: a TokenSet plus the type the provider says it issued. */
export interface ExchangedTokenSet extends TokenSet {
  issuedTokenType: string;
}

/**
 * The grant's token request parameters: the subject token as an access token, the target, and
 * `requested_token_type` access_token.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8693.html#section-2.1 RFC 8693 §2.1}
 */
export function tokenExchangeParams(subjectToken: string, target: TokenExchangeTarget): Record<string, string> {
  return {
    grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
    subject_token: subjectToken,
    subject_token_type: ACCESS_TOKEN_TYPE,
    requested_token_type: ACCESS_TOKEN_TYPE,
    ...(target.audience === undefined || target.audience === '' ? {} : { audience: target.audience }),
    ...(target.resource === undefined || target.resource === '' ? {} : { resource: target.resource }),
    ...(target.scope === undefined || target.scope === '' ? {} : { scope: target.scope }),
  };
}

/**
 * Validates a token exchange response: the usual token response members plus
 * `issued_token_type` (required, RFC 8693 §2.2.1), which must be an access token or a JWT — we
 * asked for an access token and hand out nothing else. A refresh token, if the provider sends
 * one, is dropped: the broker re-exchanges instead (its subject token is what it refreshes).
 * @see {@link https://www.rfc-editor.org/rfc/rfc8693.html#section-2.2.1 RFC 8693 §2.2.1}, {@link https://www.rfc-editor.org/rfc/rfc8693.html#section-2.2.2 §2.2.2}
 */
export function processTokenExchangeResponse(response: HttpResponse, options: ProcessOptions): ExchangedTokenSet {
  const body = processJsonResponse(response, options);
  const context: ResponseContext = options;
  const issuedTokenType = requireString(body, 'issued_token_type', context);
  if (issuedTokenType !== ACCESS_TOKEN_TYPE && issuedTokenType !== JWT_TOKEN_TYPE) {
    throw invalidResponse(context, `"issued_token_type" is ${issuedTokenType}, not an access token`);
  }
  const { refreshToken: _dropped, ...tokens } = tokenSetFromParameters(body, options);
  return { ...tokens, issuedTokenType };
}

export interface TokenExchangeParams extends TokenGrantContext, TokenExchangeTarget {
  /**
   * The account's current access token. With `dpop` (the account's key) a bound subject token is
   * accompanied by a proof of that key, and the new token is bound to it too.
   */
  subjectToken: string;
}

/**
 * Exchanges the subject token at the token endpoint. Never retried once sent (apart from
 * answering one DPoP nonce challenge, which the provider answers before processing the grant).
 * @throws BrokerError `OAUTH_ERROR` (e.g. `invalid_target` for an audience the provider refuses),
 *   `INVALID_RESPONSE`, and the HTTP client's errors.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8693.html#section-2 RFC 8693 §2}
 */
export async function tokenExchangeGrant(p: TokenExchangeParams): Promise<ExchangedTokenSet> {
  const clock = p.clock ?? systemClock;
  const { request, response } = await sendTokenRequest(p, tokenExchangeParams(p.subjectToken, p));
  return processTokenExchangeResponse(response, {
    purpose: 'token endpoint',
    url: p.metadata.tokenEndpoint,
    now: clock.now(),
    redact: [p.subjectToken, ...sentCredentials(request, p.client)],
  });
}
