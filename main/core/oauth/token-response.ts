/**
 * Processing token endpoint responses (RFC 6749 §5.1 success, §5.2 error) into a
 * {@link TokenSet} or a typed {@link BrokerError}. Pure: no I/O, time passed in.
 */
import { BrokerError } from '../errors.js';
import {
  describe,
  describeBody,
  invalidResponse,
  isJsonObject,
  optionalSeconds,
  optionalString,
  parseJsonObject,
  requireString,
  type JsonObject,
  type ResponseContext,
} from './assert.js';
import type { HttpResponse } from './http.js';
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
 * Validates a token response and returns the token set. `access_token` and `token_type` are
 * required strings; `expires_in` a non-negative number (or digit string) or absent; `scope`,
 * `refresh_token` and `id_token` strings or absent.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-5.1 RFC 6749 §5.1}, {@link https://openid.net/specs/openid-connect-core-1_0.html OpenID Connect Core §3.1.3.3}
 */
export function processTokenResponse(response: HttpResponse, options: ProcessOptions): TokenSet {
  const body = processJsonResponse(response, options);
  return tokenSetFromParameters(body, options);
}

/** Builds a TokenSet from validated response members (shared with the implicit grant's fragment). */
export function tokenSetFromParameters(body: JsonObject, options: ProcessOptions): TokenSet {
  if (!isJsonObject(body)) throw invalidResponse(options, 'not a JSON object');
  const accessToken = requireString(body, 'access_token', options);
  const tokenType = requireString(body, 'token_type', options);
  const expiresIn = optionalSeconds(body, 'expires_in', options);
  const scope = optionalString(body, 'scope', options);
  const refreshToken = optionalString(body, 'refresh_token', options);
  const idToken = optionalString(body, 'id_token', options);
  return {
    accessToken,
    tokenType,
    ...(expiresIn === undefined ? {} : { expiresAt: options.now + expiresIn * 1000 }),
    ...(scope === undefined || scope === '' ? {} : { scope }),
    ...(refreshToken === undefined || refreshToken === '' ? {} : { refreshToken }),
    ...(idToken === undefined || idToken === '' ? {} : { idToken }),
    obtainedAt: options.now,
  };
}
