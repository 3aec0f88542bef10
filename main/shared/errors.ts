/**
 * The closed list of error codes and the secret-free shape an error crosses every boundary in
 * (socket API, IPC, events). The core's `BrokerError` (main/core/errors.ts) carries these codes;
 * its `toJSON()` is an {@link ErrorInfo}.
 */

export const ERROR_CODES = [
  // Accounts and requests
  'ACCOUNT_NOT_FOUND',
  'ACCOUNT_EXISTS',
  'INVALID_REQUEST',
  'CONFIG_INVALID',
  // Sign-in state
  'NEEDS_LOGIN',
  'DENIED',
  'LEGACY_GRANT_REFUSED',
  'UNSUPPORTED_GRANT',
  /** A sign-in as another user (subject) than the account's, not allowed: the old tokens are kept. */
  'IDENTITY_CHANGED',
  // Interactive flows
  'CANCELLED',
  'TIMEOUT',
  'STATE_MISMATCH',
  'ISSUER_MISMATCH',
  'NONCE_MISMATCH',
  'CALLBACK_INVALID',
  'DEVICE_CODE_EXPIRED',
  // Provider
  'OAUTH_ERROR',
  'PROVIDER_ERROR',
  'PROVIDER_UNREACHABLE',
  'INVALID_RESPONSE',
  'DISCOVERY_FAILED',
  // Secrets
  'KEYCHAIN_UNAVAILABLE',
  'VAULT_CORRUPT',
  'VAULT_KEY_MISMATCH',
  'VAULT_LOCKED',
  'PASSPHRASE_INVALID',
  // Local API / process
  'BROKER_NOT_RUNNING',
  'SOCKET_INSECURE',
  'INTERNAL',
  // Local API transport (HTTP-level rejections)
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'BROKER_ALREADY_RUNNING',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** An error as it is shown and kept: code, message, and the provider's OAuth error if any. Never a secret. */
export interface ErrorInfo {
  code: ErrorCode;
  /** Written for the person at the keyboard: what went wrong and what to do. */
  message: string;
  /** OAuth `error` of a provider response (RFC 6749 §5.2). */
  oauthError?: string;
  /** OAuth `error_description`, checked to be free of secrets. */
  oauthErrorDescription?: string;
}
