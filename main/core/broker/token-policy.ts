/**
 * Pure rules about token freshness, refresh timing and account status. No I/O, no clock: every
 * function takes `now` so the rules are tested without waiting.
 */
import { DEFAULT_IDLE_AFTER_HOURS, type ProactiveRefresh, type RefreshMode } from '../../shared/accounts.js';
import type { AccountConfig } from '../accounts/model.js';
import type { TokenSet } from '../oauth/types.js';
import type { AccountStatus, TokenHandout } from './types.js';

/**
 * When a token was obtained and when it expires (epoch ms): all the freshness rules look at. An
 * access token's comes from its token set; an ID token's from its `iat` and `exp`.
 */
export type Lifetime = Pick<TokenSet, 'expiresAt' | 'obtainedAt'>;

/**
 * Default `minTtl` when a caller does not ask for one: 30 s, so a script rarely receives a token
 * that dies during its first request. Capped at a quarter of the token's lifetime (see
 * {@link effectiveMinTtlMs}) so a provider issuing very short-lived tokens is not hit on every
 * call, and so the proactive refresh (never later than 55 % of the lifetime) always comes first.
 */
export const DEFAULT_MIN_TTL_MS = 30_000;
const DEFAULT_MIN_TTL_MAX_FRACTION = 0.25;

/** Proactive refresh happens at 80 % of the lifetime … */
export const REFRESH_AT_FRACTION = 0.8;
/** … or this long before expiry, whichever comes first. */
export const REFRESH_LEAD_MS = 5 * 60_000;
/** The proactive refresh never comes before half the lifetime, so short-lived tokens do not loop. */
export const REFRESH_NOT_BEFORE_FRACTION = 0.5;
/** ± jitter applied to the lead time, so many brokers/accounts do not refresh in lockstep. */
export const REFRESH_JITTER = 0.1;

/** Backoff after a failed background refresh: 10 s, doubling, capped at 10 min. */
export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_CAP_MS = 10 * 60_000;

/** Provider failures after which a still-valid held token (main or exchanged) is handed out instead of failing the caller. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'PROVIDER_ERROR',
  'PROVIDER_UNREACHABLE',
  'TIMEOUT',
  'INVALID_RESPONSE',
  'DISCOVERY_FAILED',
]);

/** True for an error the provider may get over by itself (it says nothing about the grant). */
export function isTransientFailure(code: string): boolean {
  return TRANSIENT_CODES.has(code);
}

/**
 * The minimum remaining validity a hand-out must have. An explicit request is honoured as is;
 * the default is capped at a quarter of the token's lifetime.
 */
export function effectiveMinTtlMs(tokens: Lifetime, minTtlSeconds: number | undefined): number {
  if (minTtlSeconds !== undefined) return minTtlSeconds * 1000;
  if (tokens.expiresAt === undefined) return 0;
  const cap = (tokens.expiresAt - tokens.obtainedAt) * DEFAULT_MIN_TTL_MAX_FRACTION;
  return cap < DEFAULT_MIN_TTL_MS ? Math.max(0, cap) : DEFAULT_MIN_TTL_MS;
}

/** True when `tokens` is still valid for at least `minTtlMs` (tokens without expiry never expire). */
export function isFresh(tokens: Lifetime, now: number, minTtlMs: number): boolean {
  return tokens.expiresAt === undefined || (tokens.expiresAt > now && tokens.expiresAt - now >= minTtlMs);
}

/** True when the access token has not yet expired at `now`. */
export function isUnexpired(tokens: Lifetime, now: number): boolean {
  return tokens.expiresAt === undefined || tokens.expiresAt > now;
}

/**
 * When to refresh proactively: at 80 % of the lifetime or 5 min before expiry, whichever is
 * earlier (but not before half the lifetime), with the lead time (expiry − refresh time) scaled by
 * 1 ± 10 %. `random` is in [0, 1).
 * Undefined when the token never expires.
 */
export function computeRefreshAt(tokens: Lifetime, random: number): number | undefined {
  if (tokens.expiresAt === undefined) return undefined;
  const lifetime = Math.max(0, tokens.expiresAt - tokens.obtainedAt);
  const lead = Math.min(Math.max(lifetime * (1 - REFRESH_AT_FRACTION), REFRESH_LEAD_MS), lifetime * REFRESH_NOT_BEFORE_FRACTION);
  const jittered = lead * (1 + REFRESH_JITTER * (2 * random - 1));
  return Math.max(tokens.obtainedAt, tokens.expiresAt - Math.min(jittered, lifetime));
}

/**
 * Under the `auto` policy, tokens living less than this are renewed on demand only: a proactive
 * refresh would come every few seconds whether anyone asks or not, more often than use ever
 * would (issue 15: 2 refreshes a second for 1-second tokens).
 */
export const PROACTIVE_MIN_LIFETIME_MS = 60_000;

/** The account's proactive refresh policy (CONTRACTS: `refresh.proactive`, default `auto`). */
export function proactivePolicy(account: AccountConfig): ProactiveRefresh {
  return account.refresh?.proactive ?? 'auto';
}

/** How long without a hand-out makes an `auto` account idle. */
export function idleAfterMs(account: AccountConfig): number {
  return (account.refresh?.idleAfterHours ?? DEFAULT_IDLE_AFTER_HOURS) * 3_600_000;
}

/**
 * Whether the account is idle at `now`: `auto` and no hand-out within `idleAfterHours` (none
 * since the broker started, and none in the audit log it loaded, counts as none).
 */
export function isIdle(account: AccountConfig, lastHandOutAt: number | undefined, now: number): boolean {
  return proactivePolicy(account) === 'auto' && (lastHandOutAt === undefined || now - lastHandOutAt > idleAfterMs(account));
}

/**
 * How the account's main token set is renewed (see RefreshMode), given that it can be renewed
 * without a person (`renewable`): the policy, the token's lifetime and the account's use.
 */
export function refreshModeOf(
  account: AccountConfig,
  tokens: Lifetime | undefined,
  renewable: boolean,
  lastHandOutAt: number | undefined,
  now: number,
): RefreshMode {
  if (tokens === undefined || !renewable) return 'none';
  const policy = proactivePolicy(account);
  if (policy === 'never' || tokens.expiresAt === undefined) return policy === 'never' ? 'on_demand' : 'none';
  if (policy === 'always') return 'proactive';
  if (tokens.expiresAt - tokens.obtainedAt < PROACTIVE_MIN_LIFETIME_MS) return 'on_demand';
  return isIdle(account, lastHandOutAt, now) ? 'idle' : 'proactive';
}

/** Exponential backoff after `failures` consecutive failures (≥ 1), with ± 10 % jitter. */
export function backoffDelayMs(failures: number, random: number): number {
  const base = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (1 + REFRESH_JITTER * (2 * random - 1)));
}

export interface StatusInput {
  tokens: TokenSet | undefined;
  needsLogin: boolean;
  /** Logged out: needs a sign-in whatever the grant. */
  signedOut: boolean;
  hasError: boolean;
  /** client_credentials accounts can always fetch a token; they never need a sign-in. */
  canFetchWithoutUser: boolean;
  /** A refresh token is at hand (or the grant needs none). */
  canRefresh: boolean;
  /** The client's auth method needs a secret the vault does not hold. */
  missingSecret?: boolean;
}

/** An account's status at `now` (ok | expired | needs_login | needs_secret | error; ./README.md, "Status"). */
export function computeStatus(input: StatusInput, now: number): AccountStatus {
  // Before anything else: neither a sign-in nor a refresh can succeed without it.
  if (input.missingSecret === true) return 'needs_secret';
  if (input.signedOut) return 'needs_login';
  if (input.needsLogin && !input.canFetchWithoutUser) return 'needs_login';
  if (input.tokens === undefined) {
    // A client_credentials account without a token yet fetches one on the first request: nothing
    // for a person to do, so it is not "expired" (which the tray shows as needing attention).
    if (!input.canFetchWithoutUser) return 'needs_login';
    return input.hasError ? 'error' : 'ok';
  }
  const expired = input.tokens === undefined || !isUnexpired(input.tokens, now);
  // An expired token that nothing can renew (implicit grant) means a person has to sign in.
  if (expired && !input.canRefresh && !input.canFetchWithoutUser) return 'needs_login';
  if (input.hasError) return 'error';
  return expired ? 'expired' : 'ok';
}

// Account configs are replaced, never mutated, so the joined string can be kept per object.
const configuredScopes = new WeakMap<AccountConfig, string | undefined>();

/** The account's configured scopes as one request string (undefined when none), joined once per config. */
export function configuredScope(account: AccountConfig): string | undefined {
  if (configuredScopes.has(account)) return configuredScopes.get(account);
  const scope = account.scopes.length > 0 ? account.scopes.join(' ') : undefined;
  configuredScopes.set(account, scope);
  return scope;
}

/**
 * Canonical form of a space-separated scope string (RFC 6749 §3.3: order does not matter), used
 * as a cache key. Empty → ''.
 */
export function normalizeScope(scope: string | undefined): string {
  if (scope === undefined) return '';
  const parts = scope.split(/\s+/).filter((part) => part.length > 0);
  return [...new Set(parts)].sort().join(' ');
}

/**
 * The scopes of a normalized `requested` scope string that are not among `allowed` (empty when
 * it is a subset). A requested scope must be a subset of what the account was granted.
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-3.3 RFC 6749 §3.3}, {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-6 §6}
 */
export function scopesOutside(requested: string, allowed: readonly string[]): string[] {
  return requested.split(' ').filter((scope) => scope.length > 0 && !allowed.includes(scope));
}

/** Whole seconds the token has left at `now`, never negative; undefined when its expiry is unknown. */
export function expiresInSeconds(tokens: Lifetime, now: number): number | undefined {
  return tokens.expiresAt === undefined ? undefined : Math.max(0, Math.floor((tokens.expiresAt - now) / 1000));
}

/** What a script receives; `expiresIn` is whole seconds left, never negative. */
export function toHandout(tokens: TokenSet, now: number, fallbackScope: string | undefined): TokenHandout {
  const scope = tokens.scope ?? fallbackScope;
  const expiresIn = expiresInSeconds(tokens, now);
  if (tokens.expiresAt === undefined || expiresIn === undefined) {
    return scope === undefined
      ? { accessToken: tokens.accessToken, tokenType: tokens.tokenType }
      : { accessToken: tokens.accessToken, tokenType: tokens.tokenType, scope };
  }
  return scope === undefined
    ? { accessToken: tokens.accessToken, tokenType: tokens.tokenType, expiresAt: tokens.expiresAt, expiresIn }
    : { accessToken: tokens.accessToken, tokenType: tokens.tokenType, expiresAt: tokens.expiresAt, expiresIn, scope };
}
