/**
 * JWT claims decoded WITHOUT verification, for display and for naming the signed-in user. Kept
 * free of jose so the broker can read claims without loading the OAuth engine (issue 15: jose
 * and got load only when a provider is asked).
 * @see {@link https://www.rfc-editor.org/rfc/rfc7519.html#section-7.2 RFC 7519 §7.2}
 */

/**
 * The claims of a JWT, decoded WITHOUT verification — for display only (expiry, subject).
 * Returns undefined for anything that is not a JWS compact JWT with a JSON object payload
 * (as jose's `decodeJwt` decides: three dot-separated parts, a base64url payload, an object).
 */
export function decodeJwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  const payload = parts[1];
  if (parts.length !== 3 || payload === undefined || payload === '') return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? { ...(claims as Record<string, unknown>) } : undefined;
}
