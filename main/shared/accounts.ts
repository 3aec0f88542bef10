/**
 * Rules for account names and the bounds of account fields, shared by config validation, the
 * vault, the IPC input schemas, the CLI and the form (which checks them before anything is sent).
 */

/** Account names: safe in a URL path segment, a file name and a shell word without quoting. */
export const ACCOUNT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const ACCOUNT_NAME_MAX_LENGTH = 64;
/** {@link ACCOUNT_NAME_PATTERN} in words, for messages. */
export const ACCOUNT_NAME_RULE = 'letters, digits, ".", "_" or "-", at most 64, starting with a letter or digit';

export function isAccountName(value: unknown): value is string {
  return typeof value === 'string' && ACCOUNT_NAME_PATTERN.test(value);
}

/** Upper bounds of account fields (characters, or entries for lists). */
export const ACCOUNT_LIMITS = {
  clientId: 512,
  keyId: 256,
  scope: 256,
  gitHost: 253,
  gitUsername: 256,
  presetId: 64,
} as const;

/** An account's status as the broker reports it (the UI derives "expiring" from the expiry). */
export type AccountStatus = 'ok' | 'expired' | 'needs_login' | 'error';

/**
 * Who an account is signed in as: the subject and the friendliest names the provider gave
 * (OpenID Connect Core §5.1 standard claims). Not a secret; shown by the CLI and the window.
 */
export interface AccountIdentity {
  /** `sub` (or the provider's stable user id): what "the same user" means. */
  subject: string;
  /** `preferred_username` (or the provider's login name). */
  username?: string;
  email?: string;
}

/** The label a person recognises: username, else email, else the subject. */
export function identityLabel(identity: AccountIdentity): string {
  return identity.username ?? identity.email ?? identity.subject;
}
