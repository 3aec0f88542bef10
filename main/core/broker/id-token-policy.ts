/**
 * Pure rules for handing out the ID token as a credential (Kubernetes OIDC, cloud federation,
 * Vault's JWT auth): its own expiry from `exp`, whether a refreshed one may replace the old one,
 * and the errors that say why there is none. No I/O, no clock, no jose: the ID-token hand-out is
 * a hot path like the access token's, so the payload is decoded by hand and the expiry memoized
 * per token set (token sets are replaced, never mutated).
 *
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html#IDToken OpenID Connect Core §2} (ID token claims), {@link https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse §12.2} (refresh: a new ID token is optional)
 */
import { GRANT_TRAITS, type Grant } from '../../shared/grants.js';
import { BrokerError } from '../errors.js';
import type { TokenSet } from '../oauth/types.js';
import type { Lifetime } from './token-policy.js';

/**
 * The claims of a JWS compact JWT's payload, decoded WITHOUT verification (the consumer of an
 * ID token verifies it; the broker only needs `exp` to decide when to renew). Undefined for
 * anything that is not three dot-separated parts with a JSON object payload.
 * @see {@link https://www.rfc-editor.org/rfc/rfc7519.html#section-7.2 RFC 7519 §7.2}
 */
export function decodeJwtPayload(jwt: string): Record<string, unknown> | undefined {
  const first = jwt.indexOf('.');
  const second = first === -1 ? -1 : jwt.indexOf('.', first + 1);
  if (first <= 0 || second === -1 || jwt.indexOf('.', second + 1) !== -1) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(jwt.slice(first + 1, second), 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const lifetimes = new WeakMap<TokenSet, Lifetime | null>();

/**
 * The lifetime of the token set's ID token: `iat` (else when the set was obtained) to `exp`, in
 * epoch ms; undefined when the set has no ID token or the token carries no usable `exp` (then it
 * cannot be handed out: a consumer would refuse it, and the broker could not tell when to renew it).
 * Memoized per token set, so a cached hand-out decodes nothing.
 */
export function idTokenLifetime(tokens: TokenSet): Lifetime | undefined {
  let cached = lifetimes.get(tokens);
  if (cached === undefined) {
    const claims = tokens.idToken === undefined ? undefined : decodeJwtPayload(tokens.idToken);
    const exp = claims?.['exp'];
    const iat = claims?.['iat'];
    cached =
      typeof exp === 'number' && Number.isFinite(exp) && exp > 0
        ? {
            expiresAt: exp * 1000,
            obtainedAt: typeof iat === 'number' && Number.isFinite(iat) && iat <= exp ? iat * 1000 : tokens.obtainedAt,
          }
        : null;
    lifetimes.set(tokens, cached);
  }
  return cached ?? undefined;
}

/** Whether the account asks for OpenID Connect (`openid` among its scopes), without which no ID token is issued. */
export function requestsOpenId(scopes: readonly string[]): boolean {
  return scopes.includes('openid');
}

/**
 * OpenID Connect Core §12.2: an ID token from a refresh must name the same issuer and subject as
 * the one it replaces, and its audience must still contain the client. Returns what is wrong,
 * or undefined. (The token came straight from the token endpoint over TLS, so like the sign-in
 * path without `jwks_uri`, the signature is left to the consumer, §3.1.3.7.)
 */
export function refreshedIdTokenProblem(previous: string | undefined, next: string, clientId: string): string | undefined {
  const claims = decodeJwtPayload(next);
  if (claims === undefined) return 'it is not a JWT';
  const aud = claims['aud'];
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.includes(clientId)) return 'its audience does not include this client';
  if (typeof claims['exp'] !== 'number') return 'it has no expiry (exp)';
  if (previous === undefined) return undefined;
  const before = decodeJwtPayload(previous);
  if (before === undefined) return undefined;
  if (before['iss'] !== claims['iss']) return 'it names another issuer than the one from the sign-in';
  if (before['sub'] !== claims['sub']) return 'it names another user (sub) than the one who signed in';
  return undefined;
}

/** An ID token hand-out (the wire turns it into `{"id_token","expires_at","expires_in"}`). */
export interface IdTokenHandout {
  idToken: string;
  /** Epoch ms (from `exp`). */
  expiresAt: number;
  /** Whole seconds left, never negative. */
  expiresIn: number;
}

export function toIdTokenHandout(idToken: string, expiresAt: number, now: number): IdTokenHandout {
  return { idToken, expiresAt, expiresIn: Math.max(0, Math.floor((expiresAt - now) / 1000)) };
}

/** `openid` is not among the account's scopes (or its grant has no user): no ID token will ever come. */
export function noOpenIdError(account: string, grant: Grant): BrokerError {
  if (!GRANT_TRAITS[grant].yields.includes('id_token')) {
    return new BrokerError(
      'CONFIG_INVALID',
      `Account '${account}' uses the ${grant} grant, which yields no ID token; hand out its access token instead.`,
      { account },
    );
  }
  return new BrokerError(
    'CONFIG_INVALID',
    `Account '${account}' does not request the openid scope, so its provider issues no ID token: add openid to its scopes and sign in again (token-broker login ${account}).`,
    { account },
  );
}

/** The account requests `openid` but holds no ID token (signed in before openid was added, or the provider sent none). */
export function noIdTokenError(account: string): BrokerError {
  return new BrokerError(
    'NEEDS_LOGIN',
    `Account '${account}' has no ID token: sign in again (token-broker login ${account}). If it still has none, the provider did not return one at sign-in and does not speak OpenID Connect for this client.`,
    { account },
  );
}

/**
 * The ID token is expired (or too close to expiry for the caller) and the refresh brought no new
 * one: the provider issues ID tokens only at sign-in, so only a sign-in renews it.
 */
export function idTokenNotRenewedError(account: string, expired: boolean): BrokerError {
  const state = expired ? 'has expired' : 'expires sooner than the caller needs';
  return new BrokerError(
    'NEEDS_LOGIN',
    `The ID token of '${account}' ${state}, and its provider returned no new ID token on refresh (it issues ID tokens only at sign-in): sign in again with token-broker login ${account}.`,
    { account },
  );
}
