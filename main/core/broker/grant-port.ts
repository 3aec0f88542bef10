/**
 * The broker's view of the OAuth engine: exactly the functions of main/core/oauth it calls.
 * The default is the real module; tests wrap the real functions to observe or hold calls.
 */
import * as oauth from '../oauth/index.js';

/** The subset of main/core/oauth the broker uses (same names, same signatures). */
export type GrantPort = Pick<
  typeof oauth,
  | 'clientCredentialsGrant'
  | 'refreshTokenGrant'
  | 'authorizationCodeGrant'
  | 'deviceAuthorizationGrant'
  | 'implicitGrant'
  | 'passwordGrant'
  | 'revokeToken'
  | 'resolveProviderMetadata'
  | 'toClientAuth'
  | 'decodeJwtClaims'
  | 'fetchUserInfo'
>;

/** The HTTP client type the grant functions take (from main/core/oauth). */
export type HttpClient = oauth.HttpClient;

/** The real grant functions. */
export const defaultGrantPort: GrantPort = {
  clientCredentialsGrant: oauth.clientCredentialsGrant,
  refreshTokenGrant: oauth.refreshTokenGrant,
  authorizationCodeGrant: oauth.authorizationCodeGrant,
  deviceAuthorizationGrant: oauth.deviceAuthorizationGrant,
  implicitGrant: oauth.implicitGrant,
  passwordGrant: oauth.passwordGrant,
  revokeToken: oauth.revokeToken,
  resolveProviderMetadata: oauth.resolveProviderMetadata,
  toClientAuth: oauth.toClientAuth,
  decodeJwtClaims: oauth.decodeJwtClaims,
  fetchUserInfo: oauth.fetchUserInfo,
};
