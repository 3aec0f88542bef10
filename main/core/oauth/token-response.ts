/**
 * Processing token endpoint responses (RFC 6749 §5.1 success, §5.2 error) into a
 * {@link TokenSet} or a typed {@link BrokerError}. Pure: no I/O, time passed in.
 */
import { BrokerError } from '../errors.js';
import { describe, describeBody, invalidResponse, isJsonObject, parseJsonObject, type JsonObject, type ResponseContext } from './assert.js';
import type { HttpResponse } from './http.js';
import { canonicalScope, isAccessToken, isIdToken, isRefreshToken, isScope, isTokenType, lifetimeSeconds } from './provider-values.js';
import { capitalize, redactSecrets, sanitizeDescription, sanitizeErrorCode } from './sanitize.js';
import type { TokenSet } from './types.js';

export interface ProcessOptions extends ResponseContext {
  /** Epoch ms of receipt; turns `expires_in` into `expiresAt`. */
  now: number;
  /** Values that must never appear in an error message, even if the provider echoes them. */
  redact?: ReadonlyArray<string | undefined>;
}

/**
 * Reads an OAuth error body (RFC 6749 §5.2) into an `OAUTH_ERROR` BrokerError carrying
 * `error`, a sanitized `error_description` and the HTTP status; undefined when the body is
 * not an OAuth error.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-5.2 RFC 6749 §5.2}
 */
export function oauthErrorFromBody(
  body: JsonObject | undefined,
  status: number,
  context: ResponseContext & { redact?: ReadonlyArray<string | undefined> },
): BrokerError | undefined {
  if (body === undefined || !('error' in body)) return undefined;
  const code = sanitizeErrorCode(body['error']);
  if (code === undefined) return undefined;
  // Redact before truncating, so a secret cut at the length limit cannot leave its prefix behind.
  const rawDescription = body['error_description'];
  const description = sanitizeDescription(
    typeof rawDescription === 'string' ? redactSecrets(rawDescription, context.redact ?? []) : undefined,
  );
  const message = `${capitalize(describe(context))} refused the request: ${code}${description === undefined ? '' : ` (${description})`}.`;
  return new BrokerError('OAUTH_ERROR', message, {
    oauthError: code,
    ...(description === undefined ? {} : { oauthErrorDescription: description }),
    status,
  });
}

/**
 * The shared first step of every OAuth JSON endpoint: an OAuth error body becomes
 * `OAUTH_ERROR`; a non-2xx without one becomes `PROVIDER_ERROR`; a 2xx that is not a JSON
 * object becomes `INVALID_RESPONSE`. Returns the JSON object of a successful response.
 */
export function processJsonResponse(
  response: HttpResponse,
  options: ResponseContext & { redact?: ReadonlyArray<string | undefined> },
): JsonObject {
  const body = parseJsonObject(response, options);
  // Some providers (GitHub) answer errors with 200; an `error` member always wins.
  const oauthError = oauthErrorFromBody(body, response.status, options);
  if (oauthError !== undefined) throw oauthError;
  if (response.status < 200 || response.status > 299) {
    throw new BrokerError(
      'PROVIDER_ERROR',
      `${capitalize(describe(options))} failed with HTTP ${response.status} and ${describeBody(response)}.`,
      {
        status: response.status,
      },
    );
  }
  if (body === undefined) throw invalidResponse(options, `expected a JSON object but got ${describeBody(response)}`, response.status);
  return body;
}

/**
 * Validates a token response and returns the token set. Every member is held to its grammar and
 * to what the vault stores (provider-values.ts): `access_token` and `token_type` are required;
 * `expires_in` is clamped to one year; `scope`, `refresh_token` and `id_token` are optional.
 * Anything else is `INVALID_RESPONSE` — and when the response also carried a valid rotated
 * refresh token, that token is kept for the caller ({@link rotatedRefreshTokenOf}): the provider
 * has already retired the old one, so throwing it away would cost the account its sign-in.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-5.1 RFC 6749 §5.1}, {@link https://www.rfc-editor.org/rfc/rfc6749.html#appendix-A RFC 6749 Appendix A}, {@link https://openid.net/specs/openid-connect-core-1_0.html OpenID Connect Core §3.1.3.3}
 */
export function processTokenResponse(response: HttpResponse, options: ProcessOptions): TokenSet {
  const body = processJsonResponse(response, options);
  return tokenSetFromParameters(body, options);
}

/**
 * Rotated refresh tokens of refused responses, by the error that refused them. A WeakMap and not a
 * field: the error travels through logs, events and the wire, a refresh token must not.
 */
const salvaged = new WeakMap<BrokerError, string>();

/**
 * The valid refresh token that came in the response `error` refused, if any: the caller stores it
 * (the old one is gone at a rotating provider) and still fails the request.
 */
export function rotatedRefreshTokenOf(error: unknown): string | undefined {
  return error instanceof BrokerError ? salvaged.get(error) : undefined;
}

/** An optional member: absent, `null` or `''` is undefined; otherwise it must pass `valid`. */
function member(
  body: JsonObject,
  key: string,
  valid: (value: unknown) => value is string,
  expected: string,
  options: ProcessOptions,
): string | undefined {
  const value = body[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (!valid(value)) throw invalidResponse(options, `"${key}" is not ${expected}`);
  return value;
}

function required(
  body: JsonObject,
  key: string,
  valid: (value: unknown) => value is string,
  expected: string,
  options: ProcessOptions,
): string {
  const value = member(body, key, valid, expected, options);
  if (value === undefined) throw invalidResponse(options, `"${key}" is missing`);
  return value;
}

/** Builds a TokenSet from validated response members (shared with the implicit grant's fragment). */
export function tokenSetFromParameters(body: JsonObject, options: ProcessOptions): TokenSet {
  if (!isJsonObject(body)) throw invalidResponse(options, 'not a JSON object');
  // The refresh token first: a valid rotated one outlives a refusal of the rest of the response.
  const refreshToken = member(body, 'refresh_token', isRefreshToken, 'printable ASCII of at most 64 KiB (RFC 6749 A.17)', options);
  try {
    const accessToken = required(
      body,
      'access_token',
      isAccessToken,
      'printable ASCII without spaces of at most 64 KiB (RFC 6749 A.12)',
      options,
    );
    const tokenType = required(
      body,
      'token_type',
      isTokenType,
      'a token type name or URI of at most 64 characters (RFC 6749 A.13)',
      options,
    );
    const rawLifetime = body['expires_in'];
    const expiresIn = rawLifetime === undefined || rawLifetime === null ? undefined : lifetimeSeconds(rawLifetime);
    if (rawLifetime !== undefined && rawLifetime !== null && expiresIn === undefined) {
      throw invalidResponse(options, '"expires_in" is not a non-negative number of seconds (RFC 6749 A.14)');
    }
    const scope = member(body, 'scope', isScope, 'a space-separated list of scope tokens of at most 8 KiB (RFC 6749 A.4)', options);
    const idToken = member(body, 'id_token', isIdToken, 'a compact JWT of at most 64 KiB', options);
    return {
      accessToken,
      tokenType,
      ...(expiresIn === undefined ? {} : { expiresAt: options.now + expiresIn * 1000 }),
      ...(scope === undefined ? {} : { scope: canonicalScope(scope) }),
      ...(refreshToken === undefined ? {} : { refreshToken }),
      ...(idToken === undefined ? {} : { idToken }),
      obtainedAt: options.now,
    };
  } catch (error) {
    if (refreshToken !== undefined && error instanceof BrokerError) salvaged.set(error, refreshToken);
    throw error;
  }
}
