/**
 * Pushed authorization requests (RFC 9126): the authorization request's parameters go to the
 * provider in an authenticated back-channel POST, and the browser URL carries only `client_id`
 * and the returned `request_uri`. Nothing about the request (scope, redirect URI, PKCE
 * challenge, state) can then be read or changed in the browser or by an extension.
 *
 * Building the request and processing the response are separate, pure steps
 * ({@link buildPushedAuthorizationRequest}, {@link processPushedAuthorizationResponse});
 * {@link pushAuthorizationRequest} sends it, with a DPoP proof when the account is bound to a key
 * (RFC 9449 §10.1: the provider then binds the authorization code to that key).
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9126.html RFC 9126}, {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-10 RFC 9449 §10}
 */
import { systemClock, type Clock } from '../ports.js';
import { invalidResponse, optionalSeconds, requireString, type ResponseContext } from './assert.js';
import { sendWithDpop, type DpopBinding } from './dpop.js';
import type { HttpClient, HttpRequest, HttpResponse } from './http.js';
import { buildEndpointRequest, sentCredentials } from './token-request.js';
import { processJsonResponse } from './token-response.js';
import type { ClientAuth } from './types.js';

export interface PushedAuthorizationRequestInput {
  /** The provider's `pushed_authorization_request_endpoint`. */
  endpoint: string;
  /**
   * The `aud` of a private_key_jwt client assertion: the issuer, which RFC 9126 §2 says the
   * provider must accept (the token endpoint when no issuer is known).
   */
  audience: string;
  client: ClientAuth;
  /** The authorization request parameters (response_type, redirect_uri, state, scope, PKCE, nonce, dpop_jkt …). */
  params: Record<string, string>;
  now: number;
  signal?: AbortSignal;
}

/** The provider's answer: where the request is stored and until when. */
export interface PushedAuthorization {
  requestUri: string;
  /** Epoch ms after which the `request_uri` is no longer accepted. */
  expiresAt: number;
}

/**
 * The PAR POST: the authorization parameters plus `client_id` as a form, with the client's
 * authentication (every method works: basic, post, private_key_jwt, none).
 * @see {@link https://www.rfc-editor.org/rfc/rfc9126.html#section-2.1 RFC 9126 §2.1}
 */
export function buildPushedAuthorizationRequest(input: PushedAuthorizationRequestInput): Promise<HttpRequest> {
  return buildEndpointRequest({
    endpoint: input.endpoint,
    audience: input.audience,
    client: input.client,
    params: { ...input.params, client_id: input.client.clientId },
    now: input.now,
    purpose: 'pushed authorization request endpoint',
    ...(input.signal === undefined ? {} : { signal: input.signal }),
  });
}

/**
 * Validates the PAR response: an OAuth error → `OAUTH_ERROR`; otherwise `request_uri` (a
 * string) and `expires_in` (positive seconds) are required. RFC 9126 §2.2 says 201; any 2xx is
 * accepted, as some providers answer 200.
 * @see {@link https://www.rfc-editor.org/rfc/rfc9126.html#section-2.2 RFC 9126 §2.2}, {@link https://www.rfc-editor.org/rfc/rfc9126.html#section-2.3 §2.3}
 */
export function processPushedAuthorizationResponse(
  response: HttpResponse,
  context: ResponseContext & { now: number; redact?: ReadonlyArray<string | undefined> },
): PushedAuthorization {
  const body = processJsonResponse(response, context);
  const requestUri = requireString(body, 'request_uri', context);
  const expiresIn = optionalSeconds(body, 'expires_in', context);
  if (expiresIn === undefined || expiresIn <= 0) throw invalidResponse(context, '"expires_in" is missing or not positive');
  return { requestUri, expiresAt: context.now + expiresIn * 1000 };
}

/**
 * The browser URL after a push: the authorization endpoint with `client_id` and `request_uri`
 * and nothing else of ours (query parameters already in the endpoint's URL are kept, as RFC 6749
 * §3.1 requires).
 * @see {@link https://www.rfc-editor.org/rfc/rfc9126.html#section-4 RFC 9126 §4}
 */
export function buildPushedAuthorizationUrl(authorizationEndpoint: string, clientId: string, requestUri: string): string {
  const url = new URL(authorizationEndpoint);
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('request_uri', requestUri);
  return url.href;
}

export interface PushAuthorizationParams {
  http: HttpClient;
  endpoint: string;
  audience: string;
  client: ClientAuth;
  params: Record<string, string>;
  /** Send a DPoP proof (and `dpop_jkt`) so the code is bound to the account's key. */
  dpop?: DpopBinding;
  clock?: Clock;
  signal?: AbortSignal;
}

/**
 * Pushes an authorization request and returns its `request_uri`. With DPoP the proof is sent
 * and `dpop_jkt` added (RFC 9449 §10), and a `use_dpop_nonce` challenge is answered once.
 * @throws BrokerError `OAUTH_ERROR` (the provider refused), `INVALID_RESPONSE`, and the HTTP
 *   client's errors.
 * @see {@link https://www.rfc-editor.org/rfc/rfc9126.html#section-2 RFC 9126 §2}, {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-10.1 RFC 9449 §10.1}
 */
export async function pushAuthorizationRequest(p: PushAuthorizationParams): Promise<PushedAuthorization> {
  const clock = p.clock ?? systemClock;
  const params = p.dpop === undefined ? p.params : { ...p.params, dpop_jkt: p.dpop.key.thumbprint };
  let sent: HttpRequest | undefined;
  const build = async (): Promise<HttpRequest> => {
    sent = await buildPushedAuthorizationRequest({
      endpoint: p.endpoint,
      audience: p.audience,
      client: p.client,
      params,
      now: clock.now(),
      ...(p.signal === undefined ? {} : { signal: p.signal }),
    });
    return sent;
  };
  const response = p.dpop === undefined ? await p.http.request(await build()) : await sendWithDpop(p.http, { clock, ...p.dpop }, build);
  return processPushedAuthorizationResponse(response, {
    purpose: 'pushed authorization request endpoint',
    url: p.endpoint,
    now: clock.now(),
    redact: sent === undefined ? [] : sentCredentials(sent, p.client),
  });
}
