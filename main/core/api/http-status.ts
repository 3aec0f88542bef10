/**
 * The one place where a broker error code becomes an HTTP status on the local token API.
 *
 * README.md's API table lists them; the main ones: 404 unknown account, 409 needs login, 403 denied, 502 the
 * provider failed, 400 a bad request. Transport-level rejections (401, 405, 413) and anything
 * local that went wrong (keychain, vault: 500) complete the set.
 */
import type { ErrorCode } from '../errors.js';

/** @see {@link https://www.rfc-editor.org/rfc/rfc9110.html#section-15 RFC 9110 §15} for the status semantics. */
export function httpStatusForError(code: ErrorCode): number {
  switch (code) {
    case 'ACCOUNT_NOT_FOUND':
    case 'NOT_FOUND':
      return 404;
    case 'NEEDS_LOGIN':
    case 'ACCOUNT_EXISTS':
    case 'CANCELLED':
    case 'IDENTITY_CHANGED':
      return 409;
    case 'DENIED':
    case 'LEGACY_GRANT_REFUSED':
    case 'FORBIDDEN':
      return 403;
    case 'UNAUTHORIZED':
      return 401;
    case 'METHOD_NOT_ALLOWED':
      return 405;
    case 'PAYLOAD_TOO_LARGE':
      return 413;
    case 'INVALID_REQUEST':
    case 'CONFIG_INVALID':
    case 'UNSUPPORTED_GRANT':
    case 'STATE_MISMATCH':
    case 'CALLBACK_INVALID':
    case 'DEVICE_CODE_EXPIRED':
      return 400;
    case 'OAUTH_ERROR':
    case 'PROVIDER_ERROR':
    case 'PROVIDER_UNREACHABLE':
    case 'INVALID_RESPONSE':
    case 'DISCOVERY_FAILED':
    case 'ISSUER_MISMATCH':
    case 'NONCE_MISMATCH':
      return 502;
    case 'TIMEOUT':
      return 504;
    case 'KEYCHAIN_UNAVAILABLE':
    case 'VAULT_CORRUPT':
    case 'VAULT_KEY_MISMATCH':
    case 'VAULT_LOCKED':
    case 'PASSPHRASE_INVALID':
    case 'BROKER_NOT_RUNNING':
    case 'BROKER_ALREADY_RUNNING':
    case 'SOCKET_INSECURE':
    case 'INTERNAL':
      return 500;
  }
}
