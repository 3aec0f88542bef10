/**
 * ID token checks after a code exchange: signature against the provider's JWKS (fetched
 * through the broker's HTTP client, not fetch), issuer, audience, expiry and nonce.
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html OpenID Connect Core §3.1.3.7}
 */
import type { JSONWebKeySet } from 'jose';
import { BrokerError } from '../errors.js';
import { requireJsonObject } from './assert.js';
import type { HttpClient } from './http.js';
import { decodeJwtClaims } from './jwt-claims.js';
import type { ProviderMetadata } from './types.js';

export { decodeJwtClaims } from './jwt-claims.js';

export interface IdTokenExpectations {
  clientId: string;
  nonce?: string;
  now: number;
}

/**
 * Validates an ID token from a token response. The signature is verified with the provider's
 * JWKS when the metadata has a `jwks_uri` (fetched through `http`); claims `iss` (when the
 * issuer is known), `aud`, `exp` and `nonce` (when one was sent) are always checked.
 * @throws BrokerError `NONCE_MISMATCH` for a wrong or missing nonce; `INVALID_RESPONSE`
 *   for a bad signature or claims.
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html OpenID Connect Core §3.1.3.7}, {@link https://openid.net/specs/openid-connect-core-1_0.html §15.5.2}
 */
export async function validateIdToken(
  idToken: string,
  metadata: ProviderMetadata,
  http: HttpClient,
  expected: IdTokenExpectations,
): Promise<Record<string, unknown>> {
  let claims: Record<string, unknown>;
  if (metadata.jwksUri !== undefined) {
    const jwksUri = metadata.jwksUri;
    const response = await http.request({ method: 'GET', url: jwksUri, headers: { accept: 'application/json' }, purpose: 'JWKS endpoint' });
    if (response.status !== 200) {
      throw new BrokerError('INVALID_RESPONSE', `Could not load the provider's signing keys (HTTP ${response.status}).`, {
        status: response.status,
      });
    }
    const jwks = requireJsonObject(response, { purpose: 'JWKS endpoint', url: jwksUri }) as unknown as JSONWebKeySet;
    // jose loads with the first sign-in that needs it, not with the daemon (issue 15).
    const { createLocalJWKSet, jwtVerify } = await import('./jose.js');
    try {
      const verified = await jwtVerify(idToken, createLocalJWKSet(jwks), {
        audience: expected.clientId,
        ...(metadata.issuer === undefined ? {} : { issuer: metadata.issuer }),
        currentDate: new Date(expected.now),
        clockTolerance: 60,
      });
      claims = { ...verified.payload };
    } catch (error) {
      throw new BrokerError('INVALID_RESPONSE', `The ID token failed verification (${safeJoseReason(error)}).`, { cause: scrub(error) });
    }
  } else {
    const decoded = decodeJwtClaims(idToken);
    if (decoded === undefined) throw new BrokerError('INVALID_RESPONSE', 'The ID token is not a valid JWT.');
    claims = decoded;
    checkUnverifiedClaims(claims, metadata, expected);
  }
  if (expected.nonce !== undefined && claims['nonce'] !== expected.nonce) {
    throw new BrokerError('NONCE_MISMATCH', 'The ID token does not carry the nonce this sign-in sent; it was rejected (possible replay).');
  }
  return claims;
}

function checkUnverifiedClaims(claims: Record<string, unknown>, metadata: ProviderMetadata, expected: IdTokenExpectations): void {
  if (metadata.issuer !== undefined && claims['iss'] !== metadata.issuer) {
    throw new BrokerError('INVALID_RESPONSE', 'The ID token was issued by a different issuer.');
  }
  const aud = claims['aud'];
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(expected.clientId)) throw new BrokerError('INVALID_RESPONSE', 'The ID token is not meant for this client.');
  const exp = claims['exp'];
  if (typeof exp !== 'number' || exp * 1000 + 60_000 < expected.now) throw new BrokerError('INVALID_RESPONSE', 'The ID token has expired.');
}

function safeJoseReason(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^ERR_[A-Z_]+$/.test(code) ? code : 'invalid';
}

function scrub(error: unknown): Error | undefined {
  return error instanceof Error ? Object.assign(new Error(error.message), { name: error.name }) : undefined;
}
