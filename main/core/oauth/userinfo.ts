/**
 * The UserInfo endpoint: who the access token belongs to, for providers that issue no ID token
 * (or accounts that did not ask for `openid`). Build the request and process the response
 * separately, so the parser is tested without a network.
 *
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html OpenID Connect Core §5.3}
 */
import type { HttpClient, HttpRequest, HttpResponse } from './http.js';
import { processJsonResponse } from './token-response.js';
import type { JsonObject } from './assert.js';

/** A GET with the access token in the Authorization header (RFC 6750 §2.1). */
export function userInfoRequest(endpoint: string, accessToken: string, tokenType: string, signal?: AbortSignal): HttpRequest {
  // A DPoP-bound token would need a proof; identity lookup is best effort, so those send Bearer
  // only when the token is a bearer token.
  const scheme = tokenType.toLowerCase() === 'bearer' ? 'Bearer' : tokenType;
  return {
    method: 'GET',
    url: endpoint,
    headers: { accept: 'application/json', authorization: `${scheme} ${accessToken}` },
    purpose: 'userinfo endpoint',
    ...(signal === undefined ? {} : { signal }),
  };
}

/**
 * The claims of a UserInfo response (a JSON object). Signed or encrypted (JWT) responses are
 * not supported and become `INVALID_RESPONSE`.
 */
export function processUserInfoResponse(response: HttpResponse, context: { url: string; redact: ReadonlyArray<string> }): JsonObject {
  return processJsonResponse(response, { purpose: 'userinfo endpoint', url: context.url, redact: context.redact });
}

/** Fetches the UserInfo claims for an access token. Throws BrokerError. */
export async function fetchUserInfo(p: {
  http: HttpClient;
  endpoint: string;
  accessToken: string;
  tokenType: string;
  signal?: AbortSignal;
}): Promise<JsonObject> {
  const response = await p.http.request(userInfoRequest(p.endpoint, p.accessToken, p.tokenType, p.signal));
  return processUserInfoResponse(response, { url: p.endpoint, redact: [p.accessToken] });
}
