/**
 * Extra request parameters an account may add (Google `access_type`, Auth0 `audience`, RFC 8707
 * `resource`) and the protocol parameters it may not, because the broker sets them itself: an
 * extra one of the same name would override (or be overridden by) the flow.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-3.1 RFC 6749 §3.1} (unknown parameters), {@link https://www.rfc-editor.org/rfc/rfc8707.html RFC 8707} (resource indicators)
 */

export const RESERVED_REQUEST_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'scope',
  'grant_type',
  'code',
  'code_verifier',
  'refresh_token',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'username',
  'password',
  'device_code',
  // DPoP (RFC 9449 §10), pushed authorization requests (RFC 9126 §4) and token exchange (RFC 8693 §2.1).
  'dpop_jkt',
  'request_uri',
  'request',
  'subject_token',
  'subject_token_type',
  'requested_token_type',
  'actor_token',
  'actor_token_type',
] as const;
export type ReservedRequestParam = (typeof RESERVED_REQUEST_PARAMS)[number];

export const EXTRA_PARAM_NAME = /^[A-Za-z0-9_.~-]{1,64}$/;
/** {@link EXTRA_PARAM_NAME} in words, for messages. */
export const EXTRA_PARAM_NAME_RULE = 'parameter names are 1–64 letters, digits, ".", "_", "~" or "-"';
export const MAX_EXTRA_PARAMS = 20;
export const MAX_EXTRA_PARAM_VALUE_LENGTH = 1024;

/** Whether `name` is one the broker sets itself (compared case-insensitively, as providers do). */
export function isReservedRequestParam(name: string): boolean {
  return (RESERVED_REQUEST_PARAMS as readonly string[]).includes(name.toLowerCase());
}
