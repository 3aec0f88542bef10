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
  registryHost: 260,
  registryHosts: 50,
  registryUsername: 256,
  presetId: 64,
  /** One token exchange audience or resource (RFC 8693 §2.1). */
  exchangeAudience: 512,
  exchangeAudiences: 32,
} as const;

/**
 * How an account uses DPoP (RFC 9449): `auto` when the provider advertises it
 * (`dpop_signing_alg_values_supported` with ES256), `on` always (a Bearer token is then
 * refused), `off` never.
 */
export const DPOP_MODES = ['auto', 'on', 'off'] as const;
export type DpopMode = (typeof DPOP_MODES)[number];

export function isDpopMode(value: unknown): value is DpopMode {
  return typeof value === 'string' && (DPOP_MODES as readonly string[]).includes(value);
}

/**
 * An account's status as the broker reports it (the UI derives "expiring" from the expiry).
 * `needs_secret`: its client authentication needs a client secret or private key the vault no
 * longer holds (a config.json edited by hand, a vault restored without it); nothing works until
 * it is stored again (`token-broker account edit NAME --client-secret-stdin`).
 */
export type AccountStatus = 'ok' | 'expired' | 'needs_login' | 'needs_secret' | 'error';

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

/**
 * When the broker refreshes an account's token before it expires (issue 15):
 * - `auto` (default): while the account is used — a hand-out within the last `idleAfterHours`
 *   (default {@link DEFAULT_IDLE_AFTER_HOURS}) — and only for tokens living a minute or more;
 *   an idle account keeps its refresh token untouched and refreshes on its next use;
 * - `always`: before every expiry, used or not (the behaviour before issue 15);
 * - `never`: on demand only, when a request finds the token about to expire.
 */
export const PROACTIVE_REFRESH_MODES = ['auto', 'always', 'never'] as const;
export type ProactiveRefresh = (typeof PROACTIVE_REFRESH_MODES)[number];
export const DEFAULT_IDLE_AFTER_HOURS = 12;
/** Bounds of `refresh.idleAfterHours`: a minute to a year. */
export const IDLE_AFTER_HOURS_LIMITS = { min: 1 / 60, max: 24 * 366 } as const;

/**
 * How an account's token is being renewed right now:
 * - `proactive`: before it expires;
 * - `on_demand`: by the next request that needs a fresher token (`never`, or tokens living under
 *   a minute under `auto`);
 * - `idle`: not used for `idleAfterHours`, so left alone: the next use refreshes it;
 * - `none`: nothing to renew (no token yet, no refresh token, signed out).
 */
export type RefreshMode = 'proactive' | 'on_demand' | 'idle' | 'none';
/** The label with the email beside it when both are known and differ: `alice (alice@example.com)`. */
export function identityDescription(identity: AccountIdentity): string {
  const label = identityLabel(identity);
  return identity.email !== undefined && identity.email !== label ? `${label} (${identity.email})` : label;
}
