/**
 * The grammar of every value a provider hands the broker in a token response, and the limits the
 * broker can store. A value outside them is refused as `INVALID_RESPONSE` by the response
 * processor (token-response.ts) before anything is stored or printed, so no provider can smuggle
 * a line break into `Authorization: …`, an `env` line, git's credential protocol or kubectl's
 * ExecCredential.
 *
 * Decisions:
 * - Access tokens: RFC 6749 A.12 allows any VSCHAR (%x20-7E), including a space. A space or a
 *   control character cannot travel in one header field or one shell word, so the broker accepts
 *   %x21-7E. RFC 6750 §2.1's stricter `b64token` is NOT required: real providers issue bearer
 *   tokens outside it (Salesforce tokens carry `!`), and what protects every output is the absence
 *   of spaces and control characters, which both grammars share.
 * - Lifetimes: `expires_in` beyond one year is clamped to one year rather than refused — a
 *   provider saying "forever" is not an attack on the user, and refusing it would lose the
 *   rotated refresh token that came in the same response.
 * - Lengths equal the vault's (vault/payload.ts checks the same numbers), so a response the parser
 *   accepts can always be stored.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#appendix-A RFC 6749 Appendix A} (augmented BNF of the protocol values)
 * @see {@link https://www.rfc-editor.org/rfc/rfc6750.html#section-2.1 RFC 6750 §2.1} (b64token), {@link https://www.rfc-editor.org/rfc/rfc7519.html#section-7.2 RFC 7519 §7.2} / {@link https://www.rfc-editor.org/rfc/rfc7516.html#section-9 RFC 7516 §9} (compact serializations)
 */

/** Longest access, refresh or ID token the vault stores (characters). */
export const MAX_TOKEN_LENGTH = 64 * 1024;
/** Longest `token_type` the vault stores. */
export const MAX_TOKEN_TYPE_LENGTH = 64;
/** Longest `scope` the vault stores. */
export const MAX_SCOPE_LENGTH = 8 * 1024;
/** `expires_in` above this (one year, in seconds) is clamped to it. */
export const MAX_LIFETIME_SECONDS = 365 * 24 * 3600;

/** RFC 6749 A.12 VSCHAR minus SP: printable ASCII without a space. */
const ACCESS_TOKEN = /^[\x21-\x7e]+$/;
/** RFC 6749 A.17: refresh-token = 1*VSCHAR. */
const REFRESH_TOKEN = /^[\x20-\x7e]+$/;
/** RFC 6749 A.13: type-name = 1*name-char; name-char = "-" / "." / "_" / DIGIT / ALPHA. */
const TYPE_NAME = /^[-._A-Za-z0-9]+$/;
/** RFC 6749 A.13's other branch, an absolute URI (RFC 3986 §4.3), checked for its printable shape. */
const TYPE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]+$/;
/** RFC 6749 A.4: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** A compact JWS (3 parts) or JWE (5 parts): base64url segments separated by dots. */
const COMPACT_JWT = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*){2}(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?$/;
/** RFC 6749 A.14: expires-in = 1*DIGIT (tolerated as a JSON number or a digit string). */
const DIGITS = /^\d{1,32}$/;

/** An access token every output format can carry unchanged. @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#appendix-A.12 RFC 6749 A.12} */
export function isAccessToken(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TOKEN_LENGTH && ACCESS_TOKEN.test(value);
}

/** @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#appendix-A.17 RFC 6749 A.17} */
export function isRefreshToken(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TOKEN_LENGTH && REFRESH_TOKEN.test(value);
}

/** A compact-serialized JWT (signed or encrypted). @see {@link https://www.rfc-editor.org/rfc/rfc7519.html#section-7.2 RFC 7519 §7.2}, {@link https://www.rfc-editor.org/rfc/rfc7516.html#section-7.1 RFC 7516 §7.1} */
export function isIdToken(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TOKEN_LENGTH && COMPACT_JWT.test(value);
}

/** `Bearer`, `DPoP`, `N_A`, or an absolute URI. @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#appendix-A.13 RFC 6749 A.13}, {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-7.1 §7.1} */
export function isTokenType(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TOKEN_TYPE_LENGTH && (TYPE_NAME.test(value) || TYPE_URI.test(value));
}

/** One scope name. @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#appendix-A.4 RFC 6749 A.4} */
export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value);
}

/**
 * A scope list: scope tokens separated by spaces. Runs of spaces and spaces at either end are
 * tolerated (some providers pad); tabs, line breaks and every other separator are not.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#appendix-A.4 RFC 6749 A.4}, {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-3.3 §3.3}
 */
export function isScope(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > MAX_SCOPE_LENGTH) return false;
  const tokens = value.split(' ').filter((token) => token !== '');
  return tokens.length > 0 && tokens.every((token) => SCOPE_TOKEN.test(token));
}

/** The canonical form of a valid scope list: single spaces, no padding. */
export function canonicalScope(value: string): string {
  return value
    .split(' ')
    .filter((token) => token !== '')
    .join(' ');
}

/**
 * `expires_in` as whole seconds in [0, {@link MAX_LIFETIME_SECONDS}]; undefined when the value is
 * not a non-negative number (or digit string) at all. Larger values are clamped, fractions dropped.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#appendix-A.14 RFC 6749 A.14}, {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-5.1 §5.1}
 */
export function lifetimeSeconds(value: unknown): number | undefined {
  let seconds: number;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string' && DIGITS.test(value)) seconds = Number(value);
  else return undefined;
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return Math.min(Math.floor(seconds), MAX_LIFETIME_SECONDS);
}
