/**
 * The OAuth 2.0 / OpenID Connect engine: discovery, every grant, revocation, and the one HTTP
 * client they share. Electron-free; every I/O port is a parameter.
 */
export type { ClientAuth, DeviceCodeInfo, ProviderMetadata, TokenSet } from './types.js';
export { createHttpClient, translateHttpError, DEFAULT_MAX_RESPONSE_BYTES } from './http.js';
export type { HttpClient, HttpClientOptions, HttpRequest, HttpResponse } from './http.js';
export { discoverProvider, discoveryUrls, processDiscoveryResponse, resolveProviderMetadata, ProviderMetadataCache } from './discovery.js';
export { toClientAuth, applyClientAuth, clientSecretBasicHeader, createClientAssertion } from './client-auth.js';
export { buildTokenRequest, requestToken, sendTokenRequest } from './token-request.js';
export { processTokenResponse, oauthErrorFromBody } from './token-response.js';
export { authorizationRequestParams, buildAuthorizationUrl } from './authorization-url.js';
export { validateAuthorizationResponse, validateImplicitResponse } from './callback.js';
export { computeCodeChallenge, generateCodeVerifier, generateNonce, generateState } from './pkce.js';
export { decodeJwtClaims, validateIdToken } from './id-token.js';
export { fetchUserInfo, processUserInfoResponse, userInfoRequest } from './userinfo.js';
export { proxyForUrl } from './proxy-agent.js';
export { safeUrl, sanitizeDescription } from './sanitize.js';
export { clientCredentialsGrant } from './grants/client-credentials.js';
export type { ClientCredentialsParams } from './grants/client-credentials.js';
export { refreshTokenGrant } from './grants/refresh-token.js';
export type { RefreshTokenParams } from './grants/refresh-token.js';
export { authorizationCodeGrant } from './grants/authorization-code.js';
export type { AuthorizationCodeParams } from './grants/authorization-code.js';
export { deviceAuthorizationGrant, processDeviceAuthorizationResponse } from './grants/device-code.js';
export type { DeviceAuthorizationParams, Sleep } from './grants/device-code.js';
export { implicitGrant } from './grants/implicit.js';
export type { ImplicitParams } from './grants/implicit.js';
export { passwordGrant } from './grants/password.js';
export type { PasswordParams } from './grants/password.js';
export { revokeToken } from './grants/revocation.js';
export type { RevokeParams } from './grants/revocation.js';
export {
  accessTokenHash,
  createDpopProof,
  DPOP_ALG,
  DPOP_PROOF_LIFETIME_SECONDS,
  DpopKey,
  DpopNonceStore,
  dpopNonceFromHeaders,
  exportDpopPrivateKey,
  generateDpopKey,
  importDpopPrivateKey,
  isDpopNonceChallenge,
  jwkThumbprint,
  normalizeHtu,
  sendWithDpop,
} from './dpop.js';
export type { DpopBinding, DpopProofInput, DpopPublicJwk } from './dpop.js';
export {
  buildPushedAuthorizationRequest,
  buildPushedAuthorizationUrl,
  processPushedAuthorizationResponse,
  pushAuthorizationRequest,
} from './par.js';
export type { PushedAuthorization, PushAuthorizationParams } from './par.js';
export {
  processTokenExchangeResponse,
  tokenExchangeGrant,
  tokenExchangeParams,
  TOKEN_EXCHANGE_GRANT_TYPE,
} from './grants/token-exchange.js';
export type { ExchangedTokenSet, TokenExchangeParams, TokenExchangeTarget } from './grants/token-exchange.js';
export { challengeError, parseWwwAuthenticate } from './www-authenticate.js';
export type { AuthChallenge } from './www-authenticate.js';
