/**
 * Protocol-level types shared by the grant modules, the vault and the broker.
 */

/** Endpoints and capabilities of an authorization server (RFC 8414 §2, OpenID Discovery §3). */
export interface ProviderMetadata {
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint: string;
  deviceAuthorizationEndpoint?: string;
  revocationEndpoint?: string;
  introspectionEndpoint?: string;
  /** RFC 9207: the provider sends `iss` in authorization responses, so it must be checked. */
  authorizationResponseIssParameterSupported?: boolean;
  scopesSupported?: string[];
  /** Who an access token belongs to (OpenID Connect Core §5.3); used to name the signed-in user. */
  userinfoEndpoint?: string;
  /** JWK Set of the provider's signing keys, used to verify ID tokens (OpenID Discovery §3). */
  jwksUri?: string;
  /** RFC 9126 §5: where authorization requests are pushed. */
  pushedAuthorizationRequestEndpoint?: string;
  /** RFC 9126 §5: the provider accepts authorization requests only through PAR. */
  requirePushedAuthorizationRequests?: boolean;
  /** RFC 9449 §5.1: the provider issues DPoP-bound tokens for proofs signed with these algorithms. */
  dpopSigningAlgValuesSupported?: string[];
}

/** Token endpoint client authentication (RFC 6749 §2.3, RFC 7523 §2.2). */
export type ClientAuth =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; clientSecret: string }
  | { method: 'private_key_jwt'; clientId: string; privateKeyPem: string; keyId?: string }
  | { method: 'none'; clientId: string };

/**
 * A validated token response, with relative lifetimes turned into absolute times.
 * Every field except the metadata is a secret.
 */
export interface TokenSet {
  accessToken: string;
  tokenType: string;
  /** Epoch ms; undefined when the provider did not say (e.g. GitHub's non-expiring tokens). */
  expiresAt?: number;
  /** Granted scope, space separated, when the provider said. */
  scope?: string;
  refreshToken?: string;
  idToken?: string;
  /** Epoch ms when the response was received. */
  obtainedAt: number;
}

/** What the user needs to complete a device authorization (RFC 8628 §3.2, §3.3). */
export interface DeviceCodeInfo {
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  /** Epoch ms after which the device code is no longer valid. */
  expiresAt: number;
  /** Seconds between polls, as the provider asked (RFC 8628 §3.5). */
  interval: number;
}
