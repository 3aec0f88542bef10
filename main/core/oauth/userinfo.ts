/**
 * The UserInfo endpoint: who the access token belongs to, for providers that issue no ID token
 * (or accounts that did not ask for `openid`). Build the request and process the response
 * separately, so the parser is tested without a network.
 *
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html OpenID Connect Core §5.3}
 */
import { sendWithDpop, type DpopBinding } from './dpop.js';
import type { HttpClient, HttpRequest, HttpResponse } from './http.js';
import { processJsonResponse } from './token-response.js';
import type { JsonObject } from './assert.js';

/**
 * A GET with the access token in the Authorization header (RFC 6750 §2.1), or as `DPoP` for a
 * DPoP-bound token (RFC 9449 §7.1; the proof is added when it is sent).
 */
export function userInfoRequest(endpoint: string, accessToken: string, tokenType: string, signal?: AbortSignal): HttpRequest {
  const scheme = tokenType.toLowerCase() === 'dpop' ? 'DPoP' : tokenType.toLowerCase() === 'bearer' ? 'Bearer' : tokenType;
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

/**
 * Fetches the UserInfo claims for an access token; a DPoP-bound one with a proof of `dpop`'s key
 * (and its `ath`). Throws BrokerError.
 */
export async function fetchUserInfo(p: {
  http: HttpClient;
  endpoint: string;
  accessToken: string;
  tokenType: string;
  signal?: AbortSignal;
  dpop?: DpopBinding;
}): Promise<JsonObject> {
  const request = userInfoRequest(p.endpoint, p.accessToken, p.tokenType, p.signal);
  const bound = p.dpop !== undefined && p.tokenType.toLowerCase() === 'dpop';
  const response =
    bound && p.dpop !== undefined ? await sendWithDpop(p.http, p.dpop, async () => request, p.accessToken) : await p.http.request(request);
  return processUserInfoResponse(response, { url: p.endpoint, redact: [p.accessToken] });
}
