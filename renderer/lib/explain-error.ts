import type { IpcError } from '../../main/ipc/contract.js';
import type { ErrorCode } from '../../main/shared/errors.js';

// OAuth 2.0 error codes (RFC 6749 §5.2, §4.1.2.1; RFC 8628 §3.5; OIDC Core §3.1.2.6) in words a
// developer can act on.
const OAUTH_ERRORS: Record<string, string> = {
  access_denied: 'The sign-in was declined at the provider, so no token was issued.',
  invalid_client:
    'The provider did not accept the client credentials. Check the client ID and secret (or key) against the app registration.',
  invalid_grant: 'The provider rejected the grant: the code, refresh token or password is invalid, expired or was revoked. Sign in again.',
  invalid_scope: 'The provider does not allow one of the requested scopes for this client. Remove it or enable it in the app registration.',
  unauthorized_client: 'This client is not allowed to use this grant type. Enable the grant in the provider’s app registration.',
  unsupported_grant_type: 'The provider does not support this grant type.',
  unsupported_response_type: 'The provider does not support this sign-in flow for this client.',
  invalid_request: 'The provider rejected the request as malformed. Check the redirect URI and the endpoints.',
  server_error: 'The provider had an internal error. Try again in a moment.',
  temporarily_unavailable: 'The provider is temporarily unavailable. Try again in a moment.',
  expired_token: 'The device code expired before it was approved. Start the sign-in again.',
  authorization_pending: 'The device code has not been approved yet.',
  slow_down: 'The provider asked to poll more slowly.',
  login_required: 'The provider needs you to sign in interactively.',
  consent_required: 'The provider needs you to grant consent to this app.',
  interaction_required: 'The provider needs you to complete a step in the browser.',
};

const BROKER_ERRORS: Partial<Record<ErrorCode, string>> = {
  TIMEOUT: 'The sign-in or request took too long and was stopped. Try again.',
  CANCELLED: 'The sign-in was cancelled.',
  PROVIDER_UNREACHABLE: 'The provider could not be reached. Check your network, proxy settings and the issuer URL.',
  PROVIDER_ERROR: 'The provider answered with an error page instead of a token. Try again later.',
  INVALID_RESPONSE: 'The provider sent a response the broker could not understand.',
  DISCOVERY_FAILED: 'The issuer’s discovery document could not be loaded. Check the issuer URL.',
  NEEDS_LOGIN: 'This account needs you to sign in again.',
  DENIED: 'The request was denied.',
  IDENTITY_CHANGED: 'That sign-in was as someone else than the account belongs to; nothing was changed.',
  ACCOUNT_NOT_FOUND: 'That account no longer exists.',
  ACCOUNT_EXISTS: 'An account with this name already exists. Choose another name.',
  LEGACY_GRANT_REFUSED: 'This legacy grant is turned off for the account. Opt in explicitly to use it.',
  UNSUPPORTED_GRANT: 'The provider does not support this grant.',
  STATE_MISMATCH: 'The browser came back with an unexpected state, so the sign-in was stopped to protect you. Try again.',
  ISSUER_MISMATCH: 'The response came from a different issuer than expected, so it was rejected.',
  NONCE_MISMATCH: 'The ID token did not match this sign-in, so it was rejected.',
  CALLBACK_INVALID: 'The browser came back with an invalid response.',
  DEVICE_CODE_EXPIRED: 'The device code expired before it was approved. Start the sign-in again.',
  KEYCHAIN_UNAVAILABLE: 'The OS keychain is not reachable, so secrets cannot be stored safely.',
  VAULT_LOCKED: 'The vault is locked.',
};

/**
 * One sentence (or two) explaining an error to the person at the keyboard: the provider's OAuth
 * error when there is one, else the broker's code, else the broker's own message.
 */
export function explainError(error: IpcError): string {
  const oauth = error.oauthError === undefined ? undefined : OAUTH_ERRORS[error.oauthError];
  if (oauth !== undefined) return oauth;
  if (error.oauthError !== undefined) return `The provider answered “${error.oauthError}”.`;
  return BROKER_ERRORS[error.code] ?? error.message;
}
