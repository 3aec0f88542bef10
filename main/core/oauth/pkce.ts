/**
 * PKCE (S256 only), `state` and OIDC `nonce` values.
 * @see {@link https://www.rfc-editor.org/rfc/rfc7636.html#section-4.1 RFC 7636 §4.1}–4.2, {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-10.12 RFC 6749 §10.12}, {@link https://openid.net/specs/openid-connect-core-1_0.html OpenID Connect Core §3.1.2.1}
 */
import { createHash, randomBytes } from 'node:crypto';
import { BrokerError } from '../errors.js';

const VERIFIER_PATTERN = /^[A-Za-z0-9\-._~]{43,128}$/;

/** A code verifier: 32 random bytes, base64url (43 characters, 256 bits). @see {@link https://www.rfc-editor.org/rfc/rfc7636.html#section-4.1 RFC 7636 §4.1} */
export function generateCodeVerifier(): string {
  return randomValue();
}

/**
 * The S256 code challenge of a verifier. Fails closed: if the challenge cannot be computed the
 * flow stops, it never falls back to `plain` or to no PKCE.
 * @throws BrokerError `INTERNAL`
 * @see {@link https://www.rfc-editor.org/rfc/rfc7636.html#section-4.2 RFC 7636 §4.2}
 */
export function computeCodeChallenge(verifier: string): string {
  if (!VERIFIER_PATTERN.test(verifier)) {
    throw new BrokerError('INTERNAL', 'The PKCE code verifier is malformed; refusing to continue without PKCE.');
  }
  try {
    const challenge = createHash('sha256').update(verifier, 'ascii').digest('base64url');
    if (challenge.length !== 43) throw new Error('unexpected challenge length');
    return challenge;
  } catch (error) {
    throw new BrokerError('INTERNAL', 'Could not compute the PKCE code challenge; refusing to continue without PKCE.', { cause: error });
  }
}

/** A `state` value: 256 random bits, base64url. @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-10.12 RFC 6749 §10.12} */
export function generateState(): string {
  return randomValue();
}

/** A `nonce` value: 256 random bits, base64url. @see {@link https://openid.net/specs/openid-connect-core-1_0.html OpenID Connect Core §3.1.2.1} */
export function generateNonce(): string {
  return randomValue();
}

function randomValue(): string {
  try {
    return randomBytes(32).toString('base64url');
  } catch (error) {
    throw new BrokerError('INTERNAL', 'No secure random source available.', { cause: error });
  }
}

/** Whether a space-separated scope string includes `openid`. */
export function includesOpenId(scope: string | undefined): boolean {
  return scope !== undefined && scope.split(/\s+/).includes('openid');
}
