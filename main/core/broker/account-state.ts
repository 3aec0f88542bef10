/**
 * The broker's in-memory state of one account: the cached token sets and the refresh bookkeeping.
 * The vault holds the durable copy of the main token set; this is the hot-path mirror.
 */
import type { TokenSet } from '../oauth/types.js';
import type { ErrorInfo } from './types.js';

export interface AccountState {
  /** The main token set (the account's configured scopes), mirrored from the vault. */
  tokens: TokenSet | undefined;
  /**
   * Tokens for narrower scopes, keyed by normalized scope. Memory only and without refresh
   * tokens: they are re-derived from the main refresh token on demand.
   */
  scoped: Map<string, TokenSet>;
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
   * Bumped when tokens are forgotten (logout, remove, re-configuration, new sign-in), so a refresh
   * that was in flight at that moment does not write stale tokens back.
   */
  generation: number;
}

export function createAccountState(tokens: TokenSet | undefined, signedOut = false): AccountState {
  return {
    tokens,
    scoped: new Map(),
    needsLogin: false,
    signedOut,
    lastError: undefined,
    lastRefreshAt: undefined,
    lastRefreshOutcome: undefined,
    failures: 0,
    refreshDueAt: undefined,
    generation: 0,
  };
}
