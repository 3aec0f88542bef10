/**
 * Validating authorization responses arriving at the redirect URI: RFC 9207 `iss`, `state`,
 * provider errors, then the code (or, for the implicit grant, the token). Pure functions.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.2 RFC 6749 §4.1.2}, {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.2.1 §4.1.2.1}, {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.2.2 §4.2.2}, {@link https://www.rfc-editor.org/rfc/rfc9207.html#section-2.4 RFC 9207 §2.4}
 */
import { BrokerError } from '../errors.js';
import { systemClock, type Clock } from '../ports.js';
import { quoteIssuer, sanitizeDescription, sanitizeErrorCode } from './sanitize.js';
import { tokenSetFromParameters } from './token-response.js';
import type { ProviderMetadata, TokenSet } from './types.js';

export interface CallbackExpectations {
  state: string;
  /** The issuer to compare `iss` against (RFC 9207). */
  issuer?: string;
  /** The provider advertises `authorization_response_iss_parameter_supported`: `iss` is required. */
  issRequired?: boolean;
}

/** Expectations derived from provider metadata. */
export function callbackExpectations(metadata: ProviderMetadata, state: string): CallbackExpectations {
  return {
    state,
    ...(metadata.issuer === undefined ? {} : { issuer: metadata.issuer }),
    issRequired: metadata.authorizationResponseIssParameterSupported === true,
  };
}

/**
 * Checks the common part of an authorization response: no parameter twice, `iss` (RFC 9207:
 * required when the provider advertises it, compared whenever present), `state` (exact),
 * then an `error` becomes `OAUTH_ERROR` (e.g. `access_denied`).
 * @see {@link https://www.rfc-editor.org/rfc/rfc9207.html#section-2.4 RFC 9207 §2.4}, {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.2.1 RFC 6749 §4.1.2.1}, {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-10.12 §10.12}
 */
export function checkAuthorizationResponse(params: URLSearchParams, expected: CallbackExpectations): void {
  // The state first: without this sign-in's state the response is not this sign-in's, whatever
  // else it says (the loopback listener ignores it rather than failing the sign-in).
  const states = params.getAll('state');
  if (states.length !== 1 || states[0] !== expected.state) {
    throw new BrokerError(
      'STATE_MISMATCH',
      'The authorization response does not carry the state this sign-in sent; it was rejected (possible CSRF).',
    );
  }
  for (const name of new Set(params.keys())) {
    if (params.getAll(name).length > 1)
      throw new BrokerError('CALLBACK_INVALID', `The authorization response repeats the "${name}" parameter.`);
  }
  const iss = params.get('iss');
  if (iss === null && expected.issRequired === true) {
    throw new BrokerError('ISSUER_MISMATCH', 'The authorization response lacks the "iss" parameter the provider promised (RFC 9207).');
  }
  // With explicit endpoints there is no issuer to compare with (RFC 9207 §2.4 compares against
  // the issuer the client expects). Refusing would lock out every provider that sends `iss`
  // unasked, so an account without an issuer accepts it; configure the issuer to get the check.
  if (iss !== null && expected.issuer !== undefined) {
    if (iss !== expected.issuer) {
      throw new BrokerError(
        'ISSUER_MISMATCH',
        `The authorization response came from issuer ${quoteIssuer(iss)}, not ${quoteIssuer(expected.issuer)} (compared exactly; possible mix-up attack).`,
      );
    }
  }
  const error = params.get('error');
  if (error !== null) {
    const code = sanitizeErrorCode(error) ?? 'invalid_error_code';
    const description = sanitizeDescription(params.get('error_description'));
    throw new BrokerError(
      'OAUTH_ERROR',
      code === 'access_denied'
        ? `Sign-in was denied at the provider${description === undefined ? '' : ` (${description})`}.`
        : `The provider returned an error: ${code}${description === undefined ? '' : ` (${description})`}.`,
      { oauthError: code, ...(description === undefined ? {} : { oauthErrorDescription: description }) },
    );
  }
}

/**
 * Validates an authorization code response and returns the code.
 * @throws BrokerError `ISSUER_MISMATCH`, `STATE_MISMATCH`, `OAUTH_ERROR`, `CALLBACK_INVALID`
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.1.2 RFC 6749 §4.1.2}, {@link https://www.rfc-editor.org/rfc/rfc9207.html#section-2.4 RFC 9207 §2.4}
 */
export function validateAuthorizationResponse(params: URLSearchParams, expected: CallbackExpectations): { code: string } {
  checkAuthorizationResponse(params, expected);
  const code = params.get('code');
  if (code === null || code === '') throw new BrokerError('CALLBACK_INVALID', 'The authorization response carries no code.');
  return { code };
}

/**
 * Validates an implicit grant response (the URL fragment, posted back by the loopback page).
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-4.2.2 RFC 6749 §4.2.2}
 */
export function validateImplicitResponse(params: URLSearchParams, expected: CallbackExpectations, clock: Clock = systemClock): TokenSet {
  checkAuthorizationResponse(params, expected);
  const body: Record<string, string> = {};
  for (const [key, value] of params) body[key] = value;
  try {
    return tokenSetFromParameters(body, { purpose: 'authorization endpoint', url: 'http://127.0.0.1/', now: clock.now() });
  } catch (error) {
    if (error instanceof BrokerError)
      throw new BrokerError('CALLBACK_INVALID', `The implicit response is invalid: ${error.message.replace(/^.*?: /, '')}`);
    throw error;
  }
}
