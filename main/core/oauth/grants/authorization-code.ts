import { BrokerError } from '../../errors.js';
import { systemClock, type BrowserOpener, type Clock } from '../../ports.js';
import { startLoopbackListener } from '../../loopback/listener.js';
import { authorizationRequestParams, buildAuthorizationUrl, type AuthorizationUrlInput } from '../authorization-url.js';
import { callbackExpectations, validateAuthorizationResponse } from '../callback.js';
import type { DpopBinding } from '../dpop.js';
import type { HttpClient } from '../http.js';
import { buildPushedAuthorizationUrl, pushAuthorizationRequest } from '../par.js';
import { validateIdToken } from '../id-token.js';
import { computeCodeChallenge, generateCodeVerifier, generateNonce, generateState, includesOpenId } from '../pkce.js';
import { requestToken } from '../token-request.js';
import type { ClientAuth, ProviderMetadata, TokenSet } from '../types.js';

export interface AuthorizationCodeParams {
  http: HttpClient;
  metadata: ProviderMetadata;
  client: ClientAuth;
  scope?: string;
  /** Provider-specific authorization request parameters (Google `access_type`, Auth0 `audience`). */
  extraParams?: Readonly<Record<string, string>>;
  /** Loopback redirect URI; default `http://127.0.0.1/callback` on a free port. */
  redirectUri?: string;
  openBrowser: BrowserOpener;
  /** Receives the URL the browser is sent to (the one-shot start URL) before it is opened, for "open it yourself". */
  onAuthorizationUrl?: (url: string) => void;
  signal?: AbortSignal;
  /** How long to wait for the callback; default 5 minutes. */
  timeoutMs?: number;
  clock?: Clock;
  /** The account's DPoP key: the code is bound to it (RFC 9449 §10) and the exchange carries a proof. */
  dpop?: DpopBinding;
}

/** The token request parameters of the code exchange. @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.3 RFC 6749 §4.1.3}, {@link https://www.rfc-editor.org/rfc/rfc7636.html#section-4.5 RFC 7636 §4.5} */
export function authorizationCodeParams(code: string, redirectUri: string, codeVerifier: string): Record<string, string> {
  return { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: codeVerifier };
}

/**
 * Authorization code grant with PKCE (S256) through the system browser and an RFC 8252
 * loopback redirect: starts the one-shot listener on 127.0.0.1, opens the authorization URL,
 * validates the single callback (RFC 9207 `iss`, `state`, errors, code), exchanges the code,
 * and — when `openid` was requested — validates the ID token and its `nonce`.
 * @throws BrokerError `STATE_MISMATCH`, `ISSUER_MISMATCH`, `OAUTH_ERROR` (e.g. access_denied),
 *   `CALLBACK_INVALID`, `NONCE_MISMATCH`, `TIMEOUT`, `CANCELLED`, and the token endpoint's errors.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1 RFC 6749 §4.1}, {@link https://www.rfc-editor.org/rfc/rfc7636.html RFC 7636}, {@link https://www.rfc-editor.org/rfc/rfc8252.html#section-7.3 RFC 8252 §7.3}, {@link https://www.rfc-editor.org/rfc/rfc9207.html RFC 9207}, {@link https://openid.net/specs/openid-connect-core-1_0.html OpenID Connect Core §3.1}
 */
export async function authorizationCodeGrant(p: AuthorizationCodeParams): Promise<TokenSet> {
  const clock = p.clock ?? systemClock;
  if (p.metadata.authorizationEndpoint === undefined) {
    throw new BrokerError('CONFIG_INVALID', 'The provider has no authorization endpoint; the authorization code grant needs one.');
  }
  const codeVerifier = generateCodeVerifier();
  const codeChallenge = computeCodeChallenge(codeVerifier);
  const state = generateState();
  const nonce = includesOpenId(p.scope) ? generateNonce() : undefined;
  const expected = callbackExpectations(p.metadata, state);

  const listener = await startLoopbackListener({
    ...(p.redirectUri === undefined ? {} : { redirectUri: p.redirectUri }),
    mode: 'query',
    handle: (params) => validateAuthorizationResponse(params, expected),
    ...(p.timeoutMs === undefined ? {} : { timeoutMs: p.timeoutMs }),
    ...(p.signal === undefined ? {} : { signal: p.signal }),
  });
  let code: string;
  try {
    const url = await authorizationUrlFor(p, clock, {
      responseType: 'code',
      clientId: p.client.clientId,
      redirectUri: listener.redirectUri,
      state,
      codeChallenge,
      ...(p.scope === undefined ? {} : { scope: p.scope }),
      ...(nonce === undefined ? {} : { nonce }),
      ...(p.extraParams === undefined ? {} : { extraParams: p.extraParams }),
      ...(p.dpop === undefined ? {} : { dpopJkt: p.dpop.key.thumbprint }),
    });
    // The browser (and whoever reads its command line) gets only the one-shot start URL.
    await openAuthorizationUrl(listener.startUrl(url), p.openBrowser, p.onAuthorizationUrl);
    ({ code } = await listener.result);
  } finally {
    await listener.close();
  }

  const tokens = await requestToken(
    {
      http: p.http,
      metadata: p.metadata,
      client: p.client,
      clock,
      ...(p.signal === undefined ? {} : { signal: p.signal }),
      ...(p.dpop === undefined ? {} : { dpop: p.dpop }),
    },
    authorizationCodeParams(code, listener.redirectUri, codeVerifier),
    [code, codeVerifier],
  );
  if (nonce !== undefined) {
    if (tokens.idToken === undefined)
      throw new BrokerError('INVALID_RESPONSE', 'The provider returned no ID token although openid was requested.');
    await validateIdToken(tokens.idToken, p.metadata, p.http, { clientId: p.client.clientId, nonce, now: clock.now() });
  }
  return tokens;
}

/**
 * The URL the browser opens. When the provider has a PAR endpoint the parameters are pushed
 * there first (with the client's authentication, and a DPoP proof when the account has a key),
 * and the URL carries only `client_id` and `request_uri`; otherwise they go in the URL.
 * @throws BrokerError `CONFIG_INVALID` when the provider requires PAR but names no endpoint.
 * @see {@link https://www.rfc-editor.org/rfc/rfc9126.html#section-4 RFC 9126 §4}, {@link https://www.rfc-editor.org/rfc/rfc9126.html#section-5 §5}
 */
async function authorizationUrlFor(p: AuthorizationCodeParams, clock: Clock, input: AuthorizationUrlInput): Promise<string> {
  const endpoint = p.metadata.pushedAuthorizationRequestEndpoint;
  const authorizationEndpoint = p.metadata.authorizationEndpoint;
  if (endpoint === undefined || authorizationEndpoint === undefined) {
    if (p.metadata.requirePushedAuthorizationRequests === true) {
      throw new BrokerError(
        'CONFIG_INVALID',
        'The provider requires pushed authorization requests but its metadata names no pushed_authorization_request_endpoint.',
      );
    }
    return buildAuthorizationUrl(p.metadata, input);
  }
  const { client_id: _clientId, dpop_jkt: _jkt, ...params } = authorizationRequestParams(input);
  const pushed = await pushAuthorizationRequest({
    http: p.http,
    endpoint,
    audience: p.metadata.issuer ?? p.metadata.tokenEndpoint,
    client: p.client,
    params,
    clock,
    ...(p.dpop === undefined ? {} : { dpop: p.dpop }),
    ...(p.signal === undefined ? {} : { signal: p.signal }),
  });
  return buildPushedAuthorizationUrl(authorizationEndpoint, p.client.clientId, pushed.requestUri);
}

/**
 * Hands the URL to the caller and to the browser opener. When a caller shows the URL itself,
 * a failing opener is not fatal: the person can still open the URL by hand.
 */
export async function openAuthorizationUrl(
  url: string,
  openBrowser: BrowserOpener,
  onAuthorizationUrl?: (url: string) => void,
): Promise<void> {
  onAuthorizationUrl?.(url);
  try {
    await openBrowser(url);
  } catch (error) {
    if (onAuthorizationUrl === undefined) {
      throw new BrokerError('INTERNAL', 'Could not open the browser for sign-in.', { cause: error });
    }
  }
}
