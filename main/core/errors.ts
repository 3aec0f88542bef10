/**
 * The broker's one error type and its closed set of codes.
 *
 * Foreign errors (got's, keytar's, node's) are translated into a {@link BrokerError} at the edge
 * where they occur, with the original kept as `cause`. Messages are written for the person at
 * the keyboard: what went wrong and what to do. They never contain a secret; build them only
 * from values that are safe to show (account names, URLs without query strings, error codes).
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

export interface BrokerErrorDetails {
  /** OAuth `error` value from a provider response (RFC 6749 §5.2), when there was one. */
  oauthError?: string;
  /** OAuth `error_description`, already checked to be free of secrets by the caller. */
  oauthErrorDescription?: string;
  /** HTTP status of the provider response that caused this error. */
  status?: number;
  /** Account the error concerns, when there is one. */
  account?: string;
  cause?: unknown;
}

/** An error whose `code` is one of {@link ERROR_CODES}; the only error type the core throws. */
export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  readonly code: ErrorCode;
  readonly oauthError: string | undefined;
  readonly oauthErrorDescription: string | undefined;
  readonly status: number | undefined;
  readonly account: string | undefined;

  constructor(code: ErrorCode, message: string, details: BrokerErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.oauthError = details.oauthError;
    this.oauthErrorDescription = details.oauthErrorDescription;
    this.status = details.status;
    this.account = details.account;
  }

  /** A plain, secret-free object for the wire (socket API, IPC). */
  toJSON(): { code: ErrorCode; message: string; oauthError?: string; oauthErrorDescription?: string } {
    return {
      code: this.code,
      message: this.message,
      ...(this.oauthError === undefined ? {} : { oauthError: this.oauthError }),
      ...(this.oauthErrorDescription === undefined ? {} : { oauthErrorDescription: this.oauthErrorDescription }),
    };
  }
}

export function isBrokerError(value: unknown, code?: ErrorCode): value is BrokerError {
  return value instanceof BrokerError && (code === undefined || value.code === code);
}

/** Wraps anything thrown into a BrokerError, keeping BrokerErrors as they are. */
export function toBrokerError(value: unknown, fallbackMessage = 'Unexpected internal error'): BrokerError {
  if (value instanceof BrokerError) return value;
  return new BrokerError('INTERNAL', fallbackMessage, { cause: value });
}
