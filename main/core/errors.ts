/**
 * The broker's one error type and its closed set of codes.
 *
 * Foreign errors (got's, keytar's, node's) are translated into a {@link BrokerError} at the edge
 * where they occur, with the original kept as `cause`. Messages are written for the person at
 * the keyboard: what went wrong and what to do. They never contain a secret; build them only
 * from values that are safe to show (account names, URLs without query strings, error codes).
 * The codes themselves are in main/shared/errors.ts, where every layer reads them.
 */
import type { ErrorCode, ErrorInfo } from '../shared/errors.js';

export { ERROR_CODES, type ErrorCode, type ErrorInfo } from '../shared/errors.js';

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

  /**
   * The plain, secret-free form every boundary starts from: the socket API's error body
   * (main/core/api/wire.ts), IPC results (main/ipc/handlers.ts), events and `lastError`.
   */
  toJSON(): ErrorInfo {
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
