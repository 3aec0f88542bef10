/**
 * Building token endpoint requests (RFC 6749 §4.1.3, §4.4.2, §6, RFC 8628 §3.4) and sending
 * them. Building is separate from sending so the request shape is testable without a network.
 */
import type { Clock } from '../ports.js';
import { systemClock } from '../ports.js';
import { applyClientAuth, clientSecretBasicHeader } from './client-auth.js';
import type { HttpClient, HttpRequest } from './http.js';
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
  const request = await buildTokenRequest(context.metadata, context.client, params, {
    now: clock.now(),
    ...(context.signal === undefined ? {} : { signal: context.signal }),
  });
  const response = await context.http.request(request);
  return processTokenResponse(response, {
    purpose: 'token endpoint',
    url: context.metadata.tokenEndpoint,
    now: clock.now(),
    redact: [...redact, ...sentCredentials(request, context.client)],
  });
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
