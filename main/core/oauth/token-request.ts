/**
 * Building token endpoint requests (RFC 6749 §4.1.3, §4.4.2, §6, RFC 8628 §3.4) and sending
 * them. Building is separate from sending so the request shape is testable without a network.
 */
import type { Clock } from '../ports.js';
import { systemClock } from '../ports.js';
import { applyClientAuth, clientSecretBasicHeader } from './client-auth.js';
import { sendWithDpop, type DpopBinding } from './dpop.js';
import type { HttpClient, HttpRequest, HttpResponse } from './http.js';
import { processTokenResponse } from './token-response.js';
import type { ClientAuth, ProviderMetadata, TokenSet } from './types.js';

/** Anything that POSTs a form to an OAuth endpoint with client authentication. */
export interface EndpointRequestInput {
  endpoint: string;
  /** The client assertion audience; the token endpoint. */
  audience: string;
  client: ClientAuth;
  params: Record<string, string>;
  now: number;
  purpose: string;
  signal?: AbortSignal;
}

/**
 * Builds a form POST with the client's authentication applied. The body and the
 * Authorization header are secrets: they are never put in an error or a log.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-2.3 RFC 6749 §2.3}, {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-3.2 §3.2}
 */
export async function buildEndpointRequest(input: EndpointRequestInput): Promise<HttpRequest> {
  const auth = await applyClientAuth(input.client, input.audience, input.now);
  return {
    method: 'POST',
    url: input.endpoint,
    headers: { accept: 'application/json', ...auth.headers },
    form: { ...input.params, ...auth.params },
    purpose: input.purpose,
    ...(input.signal === undefined ? {} : { signal: input.signal }),
  };
}

/**
 * Builds a token endpoint request for the given grant parameters.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-3.2 RFC 6749 §3.2}
 */
export function buildTokenRequest(
  metadata: ProviderMetadata,
  client: ClientAuth,
  params: Record<string, string>,
  options: { now: number; signal?: AbortSignal },
): Promise<HttpRequest> {
  return buildEndpointRequest({
    endpoint: metadata.tokenEndpoint,
    audience: metadata.tokenEndpoint,
    client,
    params,
    now: options.now,
    purpose: 'token endpoint',
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}

/** Common inputs of every grant that talks to the token endpoint. */
export interface TokenGrantContext {
  http: HttpClient;
  metadata: ProviderMetadata;
  client: ClientAuth;
  clock?: Clock;
  signal?: AbortSignal;
  /** The account's DPoP key: every token request then carries a proof (RFC 9449 §5). */
  dpop?: DpopBinding;
}

/**
 * Sends a token request and processes the response into a {@link TokenSet}.
 * `redact` lists values that must not appear in an error even if the provider echoes them.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-5.1 RFC 6749 §5.1}, {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-5.2 §5.2}
 */
export async function requestToken(
  context: TokenGrantContext,
  params: Record<string, string>,
  redact: ReadonlyArray<string | undefined> = [],
): Promise<TokenSet> {
  const clock = context.clock ?? systemClock;
  const response = await sendTokenRequest(context, params);
  return processTokenResponse(response.response, {
    purpose: 'token endpoint',
    url: context.metadata.tokenEndpoint,
    now: clock.now(),
    redact: [...redact, ...sentCredentials(response.request, context.client)],
  });
}

/**
 * Sends one token request, with a DPoP proof when the context has a key (answering one
 * `use_dpop_nonce` challenge with a rebuilt request). Returns the last request sent (for
 * redaction) and its response.
 * @see {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-5 RFC 9449 §5}, {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-8 §8}
 */
export async function sendTokenRequest(
  context: TokenGrantContext,
  params: Record<string, string>,
): Promise<{ request: HttpRequest; response: HttpResponse }> {
  const clock = context.clock ?? systemClock;
  let request: HttpRequest | undefined;
  const build = async (): Promise<HttpRequest> => {
    request = await buildTokenRequest(context.metadata, context.client, params, {
      now: clock.now(),
      ...(context.signal === undefined ? {} : { signal: context.signal }),
    });
    return request;
  };
  const response =
    context.dpop === undefined
      ? await context.http.request(await build())
      : await sendWithDpop(context.http, { clock, ...context.dpop }, build);
  return { request: request as HttpRequest, response };
}

/**
 * Every client credential a request carries, as a provider may echo it back: the client's
 * secrets plus the one-time `client_assertion` of private_key_jwt (valid for its short lifetime).
 */
export function sentCredentials(request: HttpRequest, client: ClientAuth): string[] {
  const assertion = request.form?.client_assertion;
  return assertion === undefined ? clientSecrets(client) : [...clientSecrets(client), assertion];
}

/** The client's secrets as they may be echoed back: the secret and the Basic credentials. */
export function clientSecrets(client: ClientAuth): string[] {
  if (client.method === 'client_secret_basic') {
    return [client.clientSecret, clientSecretBasicHeader(client.clientId, client.clientSecret).slice('Basic '.length)];
  }
  return client.method === 'client_secret_post' ? [client.clientSecret] : [];
}
