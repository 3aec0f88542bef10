/**
 * The broker's in-memory state of one account: the cached token sets and the refresh bookkeeping.
 * The vault holds the durable copy of the main token set; this is the hot-path mirror.
 *
 * The state changes only through the transitions below (a refresh succeeded, failed, was
 * rejected; the tokens were forgotten; a sign-in began), so what each event resets is written
 * once. Reads are plain field reads: the hand-out path stays a few property lookups.
 */
import type { AccountIdentity } from '../../shared/accounts.js';
import type { ErrorInfo } from '../../shared/errors.js';
import type { TokenSet } from '../oauth/types.js';
import { backoffDelayMs } from './token-policy.js';

/** Narrower-scope token sets kept per account (least recently stored evicted first). */
export const MAX_SCOPED_TOKEN_SETS = 32;

export interface AccountState {
  /** The main token set (the account's configured scopes), mirrored from the vault. */
  tokens: TokenSet | undefined;
  /**
   * Tokens for narrower scopes, keyed by normalized scope. Memory only and without refresh
   * tokens: they are re-derived from the main refresh token on demand.
   */
  readonly scoped: Map<string, TokenSet>;
  /**
   * Tokens from token exchange (RFC 8693), keyed by (audience, resource, scope). Memory only:
   * re-exchanged from the main access token on demand and proactively like the main token set.
   */
  readonly exchanged: Map<string, ExchangedTokens>;
  /** Set by invalid_grant (or a refresh without a refresh token); cleared by a sign-in. */
  needsLogin: boolean;
  /**
   * Logged out (persisted in the vault as `signedOut`): nothing is handed out or refreshed, for
   * every grant, until a sign-in clears it.
   */
  signedOut: boolean;
  lastError: ErrorInfo | undefined;
  lastRefreshAt: number | undefined;
  lastRefreshOutcome: 'ok' | 'error' | undefined;
  /** Consecutive failed refreshes, for the scheduler's backoff. */
  failures: number;
  /** Epoch ms of the next proactive refresh; undefined = nothing to schedule. */
  refreshDueAt: number | undefined;
  /**
   * Epoch ms of the last granted hand-out (seeded from the audit log at start). Under the `auto`
   * refresh policy an account without one for `idleAfterHours` is idle: not refreshed until used.
   */
  lastHandOutAt: number | undefined;
  /** The proactive refresh is paused because the account is idle; the next hand-out resumes it. */
  idle: boolean;
  /**
   * Bumped when tokens are forgotten (logout, remove, re-configuration, new sign-in), so a refresh
   * that was in flight at that moment does not write stale tokens back.
   */
  generation: number;
  /**
   * Who the account was last signed in as (persisted in the vault). It outlives logout and a
   * rejected refresh token: it says whose account this is, so a sign-in as someone else stands out.
   */
  identity: AccountIdentity | undefined;
  /**
   * What a scoped refresh does to the grant at this account's provider, once seen (memory only):
   * `keeps` the full grant, or `narrows` it to the requested scope (after which scoped requests
   * are refused rather than narrowing the account again).
   */
  scopedRefresh: 'unknown' | 'keeps' | 'narrows';
  /**
   * The provider revoked a new sign-in's grant along with the one it replaced (one grant per user
   * and client, or a reused session): replaced grants of this account are no longer revoked.
   */
  revocationIsGrantWide: boolean;
  /**
   * An ID token was handed out since the broker started: the account now counts its ID token's
   * expiry beside the access token's (proactive refresh, the tray). Memory only.
   */
  idTokenUsed: boolean;
}

/** One exchanged token set and its own refresh bookkeeping. */
export interface ExchangedTokens {
  tokens: TokenSet;
  /** What it was exchanged for. */
  audience?: string;
  resource?: string;
  scope?: string;
  /** Epoch ms of its next proactive re-exchange; undefined = none. */
  refreshDueAt: number | undefined;
  failures: number;
}

/** Exchanged token sets kept per account (least recently stored evicted first). */
export const MAX_EXCHANGED_TOKEN_SETS = 32;

export function createAccountState(tokens: TokenSet | undefined, signedOut = false, identity?: AccountIdentity): AccountState {
  return {
    tokens,
    identity,
    scoped: new Map(),
    exchanged: new Map(),
    needsLogin: false,
    signedOut,
    lastError: undefined,
    lastRefreshAt: undefined,
    lastRefreshOutcome: undefined,
    failures: 0,
    refreshDueAt: undefined,
    lastHandOutAt: undefined,
    idle: false,
    generation: 0,
    scopedRefresh: 'unknown',
    revocationIsGrantWide: false,
    idTokenUsed: false,
  };
}

/**
 * New main tokens were committed to the vault (a refresh or a sign-in): the account is signed in
 * and healthy again. The caller schedules the next refresh.
 */
export function markRefreshed(state: AccountState, tokens: TokenSet, at: number): void {
  state.tokens = tokens;
  state.needsLogin = false;
  state.signedOut = false;
  state.lastError = undefined;
  state.lastRefreshAt = at;
  state.lastRefreshOutcome = 'ok';
  state.failures = 0;
}

/** A sign-in named its user. */
export function rememberIdentity(state: AccountState, identity: AccountIdentity): void {
  state.identity = identity;
}

/** An ID token was handed out. True when that is new (the schedule and the tray then change). */
export function markIdTokenUsed(state: AccountState): boolean {
  if (state.idTokenUsed) return false;
  state.idTokenUsed = true;
  return true;
}

/** The account now talks to another provider or client: its past user means nothing there. */
export function forgetIdentity(state: AccountState): void {
  state.identity = undefined;
}

/** A narrower-scope refresh rotated the refresh token: the main token set keeps everything but it. */
export function markRotated(state: AccountState, tokens: TokenSet): void {
  state.tokens = tokens;
}

/** When the scheduler should next refresh the main token set (undefined: nothing to refresh). */
export function scheduleRefresh(state: AccountState, dueAt: number | undefined): void {
  state.refreshDueAt = dueAt;
  state.idle = false;
}

/** The account is idle: no proactive refresh until its next hand-out (its refresh token rests). */
export function pauseIdle(state: AccountState): void {
  state.refreshDueAt = undefined;
  state.idle = true;
}

/**
 * A token was handed out at `at`. Returns true when that ends an idle pause (the caller then
 * schedules the refresh again). Two field writes on the hot path, nothing allocated.
 */
export function markHandedOut(state: AccountState, at: number): boolean {
  state.lastHandOutAt = at;
  if (!state.idle) return false;
  state.idle = false;
  return true;
}

/**
 * A background refresh did not succeed without recording a failure (it was superseded): its due
 * time still moves on, or the scheduler would retry it in a loop.
 */
export function postponeOverdueRefresh(state: AccountState, now: number, random: () => number): void {
  if (state.refreshDueAt !== undefined && state.refreshDueAt <= now) {
    state.refreshDueAt = now + backoffDelayMs(Math.max(1, state.failures), random());
  }
}

/**
 * Refreshing the main token set failed (the cached token, if any, is kept): the error is shown
 * until a refresh succeeds, and the next attempt backs off with the number of failures in a row.
 */
export function markFailed(state: AccountState, error: ErrorInfo, now: number, random: number): void {
  state.lastError = error;
  state.lastRefreshOutcome = 'error';
  state.failures += 1;
  state.refreshDueAt = now + backoffDelayMs(state.failures, random);
}

/**
 * The account was re-configured (a new secret, other settings): the last failure was about what
 * it was before, so it no longer stands, and the backoff starts over.
 */
export function clearFailure(state: AccountState): void {
  state.lastError = undefined;
  state.failures = 0;
  if (state.lastRefreshOutcome === 'error') state.lastRefreshOutcome = undefined;
}

/**
 * Forgets every token in memory and whatever was pending for them. `signOut` (logout) marks the
 * account signed out; a re-configuration or removal forgets without a mark.
 */
export function forget(state: AccountState, options: { signOut?: boolean } = {}): void {
  state.generation += 1;
  state.tokens = undefined;
  state.scoped.clear();
  state.exchanged.clear();
  state.needsLogin = false;
  state.lastError = undefined;
  state.failures = 0;
  state.refreshDueAt = undefined;
  state.idle = false;
  if (options.signOut === true) state.signedOut = true;
}

/** The provider rejected the refresh token (invalid_grant): the tokens are gone and a person must sign in. */
export function markNeedsLogin(state: AccountState): void {
  forget(state);
  state.needsLogin = true;
}

/**
 * A refresh came back with fewer scopes than the account held: the provider narrowed the grant.
 * The narrowed tokens are not kept, a sign-in restores the scopes, and `reason` says so until
 * then. When a scoped refresh did it, scoped requests are refused from now on.
 */
export function markNarrowed(state: AccountState, reason: ErrorInfo, byScopedRefresh: boolean): void {
  markNeedsLogin(state);
  state.lastError = reason;
  if (byScopedRefresh) state.scopedRefresh = 'narrows';
}

/** A scoped refresh rotated the refresh token and the grant still held every scope afterwards. */
export function markScopedRefreshKeepsGrant(state: AccountState): void {
  if (state.scopedRefresh === 'unknown') state.scopedRefresh = 'keeps';
}

/** Revoking a replaced grant took the new one with it at this provider: do not do that again. */
export function markRevocationGrantWide(state: AccountState): void {
  state.revocationIsGrantWide = true;
}

/**
 * A sign-in is about to store new tokens: whatever is cached or in flight belongs to the old
 * sign-in. Returns the generation the new tokens are committed under.
 */
export function beginSignIn(state: AccountState): number {
  state.generation += 1;
  state.scoped.clear();
  state.exchanged.clear();
  return state.generation;
}

/** The account's configuration changed: narrower-scope and exchanged tokens were fetched under the old one. */
export function forgetScoped(state: AccountState): void {
  state.scoped.clear();
  state.exchanged.clear();
}

/** Caches a narrower-scope token set, evicting the least recently stored beyond {@link MAX_SCOPED_TOKEN_SETS}. */
export function rememberScoped(state: AccountState, scopeKey: string, tokens: TokenSet): void {
  state.scoped.delete(scopeKey);
  state.scoped.set(scopeKey, tokens);
  if (state.scoped.size > MAX_SCOPED_TOKEN_SETS) {
    const oldest = state.scoped.keys().next().value;
    if (oldest !== undefined) state.scoped.delete(oldest);
  }
}

/** Caches an exchanged token set, evicting the least recently stored beyond {@link MAX_EXCHANGED_TOKEN_SETS}. */
export function rememberExchanged(state: AccountState, key: string, entry: ExchangedTokens): void {
  state.exchanged.delete(key);
  state.exchanged.set(key, entry);
  if (state.exchanged.size > MAX_EXCHANGED_TOKEN_SETS) {
    const oldest = state.exchanged.keys().next().value;
    if (oldest !== undefined) state.exchanged.delete(oldest);
  }
}

/** A background re-exchange failed: keep the token (while valid) and back off. */
export function markExchangeFailed(entry: ExchangedTokens, now: number, random: number): void {
  entry.failures += 1;
  entry.refreshDueAt = now + backoffDelayMs(entry.failures, random);
}

/** An exchanged set nothing can renew any more (signed out, needs sign-in): no proactive re-exchange. */
export function unscheduleExchanged(entry: ExchangedTokens): void {
  entry.refreshDueAt = undefined;
}
