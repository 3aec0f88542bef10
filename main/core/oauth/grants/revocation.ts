import type { Clock } from '../../ports.js';
import { systemClock } from '../../ports.js';
import type { HttpClient, HttpResponse } from '../http.js';
import { buildEndpointRequest, sentCredentials } from '../token-request.js';
import { processJsonResponse } from '../token-response.js';
import type { ClientAuth, ProviderMetadata } from '../types.js';

export interface RevokeParams {
  http: HttpClient;
  metadata: ProviderMetadata;
  client: ClientAuth;
  token: string;
  tokenTypeHint?: 'refresh_token' | 'access_token';
  clock?: Clock;
  signal?: AbortSignal;
}

/**
 * Processes a revocation response: 200 is success (also for tokens the server did not know,
 * RFC 7009 §2.2); an OAuth error body becomes `OAUTH_ERROR`; other statuses `PROVIDER_ERROR`.
 * @see {@link https://www.rfc-editor.org/rfc/rfc7009.html#section-2.2 RFC 7009 §2.2}, {@link https://www.rfc-editor.org/rfc/rfc7009.html#section-2.2.1 §2.2.1}
 */
export function processRevocationResponse(
  response: HttpResponse,
  context: { url: string; redact?: ReadonlyArray<string | undefined> },
): void {
  if (response.status === 200) return;
  processJsonResponse(response, {
    purpose: 'revocation endpoint',
    url: context.url,
    ...(context.redact === undefined ? {} : { redact: context.redact }),
  });
}

/**
 * Revokes a refresh or access token. A no-op when the provider has no revocation endpoint.
 * @see {@link https://www.rfc-editor.org/rfc/rfc7009.html#section-2.1 RFC 7009 §2.1}
 */
export async function revokeToken(p: RevokeParams): Promise<void> {
  const endpoint = p.metadata.revocationEndpoint;
  if (endpoint === undefined) return;
  const request = await buildEndpointRequest({
    endpoint,
    audience: p.metadata.tokenEndpoint,
    client: p.client,
    params: { token: p.token, ...(p.tokenTypeHint === undefined ? {} : { token_type_hint: p.tokenTypeHint }) },
    now: (p.clock ?? systemClock).now(),
    purpose: 'revocation endpoint',
    ...(p.signal === undefined ? {} : { signal: p.signal }),
  });
  const response = await p.http.request(request);
  processRevocationResponse(response, { url: endpoint, redact: [p.token, ...sentCredentials(request, p.client)] });
}
