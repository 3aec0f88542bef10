/**
 * The token service: answers from memory when the cached token is fresh enough, otherwise
 * refreshes — one provider request per account+scope however many callers wait (single-flight),
 * refresh-token grants of one account serialized (a rotated refresh token must never be sent
 * twice), and nothing shared between accounts, so a slow provider delays only its own account.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-6 RFC 6749 §6} (refreshing an access token; a narrower `scope` on refresh)
 * @see {@link https://www.rfc-editor.org/rfc/rfc9700.html#section-4.14.2 RFC 9700 §4.14.2} (refresh token rotation)
 */
import { GRANT_TRAITS } from '../../shared/grants.js';
import type { AccountIdentity } from '../../shared/accounts.js';
import type { AccountConfig } from '../accounts/model.js';
import { BrokerError, toBrokerError } from '../errors.js';
import type { TokenSet } from '../oauth/types.js';
import {
  beginSignIn,
  forget,
  markFailed,
  markNeedsLogin,
  markRefreshed,
  rememberIdentity,
  forgetIdentity,
  markHandedOut,
  markRotated,
  pauseIdle,
  postponeOverdueRefresh,
  rememberScoped,
  scheduleRefresh,
  type AccountState,
} from './account-state.js';
import { createSequencer, createSingleFlight } from './concurrency.js';
import type { BrokerContext } from './context.js';
import { toErrorInfo } from './error-info.js';
import { reissueTokens } from './grant-flows.js';
import {
  computeRefreshAt,
  configuredScope,
  effectiveMinTtlMs,
  idleAfterMs,
  isIdle,
  isFresh,
  isUnexpired,
  normalizeScope,
  refreshModeOf,
  scopesOutside,
  toHandout,
} from './token-policy.js';
import type { TokenHandout, TokenRequest } from './types.js';

/** Errors after which a still-valid cached token is handed out instead of failing the caller. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'PROVIDER_ERROR',
  'PROVIDER_UNREACHABLE',
  'TIMEOUT',
  'INVALID_RESPONSE',
  'DISCOVERY_FAILED',
]);

/** What a caller asks of a hand-out; the broker's TokenRequest passes straight through (no copy per request). */
export type TokenQuery = Pick<TokenRequest, 'minTtl' | 'scope'>;

export interface TokenService {
  /**
   * A hand-out for the account. `force` ignores the cache: always one (shared) provider request.
   * Throws BrokerError.
   */
  getHandout(account: AccountConfig, query: TokenQuery, force?: boolean): Promise<TokenHandout>;
  /** The scheduler's proactive refresh of the main token set; failures are recorded, not thrown. */
  refreshInBackground(name: string): Promise<void>;
  /**
   * Stores tokens from a sign-in: replaces everything cached, clears needs-login and errors. The
   * identity (who signed in), when known, replaces the stored one; it outlives the tokens.
   */
  storeSignInTokens(name: string, tokens: TokenSet, identity?: AccountIdentity): Promise<void>;
  /**
   * Forgets the account's tokens (vault and memory), keeping its client secrets. `signOut` (logout)
   * also marks it signed out, durably: nothing is handed out until the next sign-in.
   */
  forgetTokens(name: string, options?: { signOut?: boolean; dropIdentity?: boolean }): Promise<void>;
  /** Loads the account's state and computes its first proactive refresh time. */
  prime(account: AccountConfig): void;
  /**
   * A token of the account was handed out at `at` (epoch ms): the account is in use, and an idle
   * pause ends (the proactive refresh is scheduled again). Cheap: called for every hand-out.
   */
  markUsed(account: AccountConfig, at: number): void;
  /** Whether the account can get a new access token without a person. */
  canRefresh(account: AccountConfig, state: AccountState): boolean;
  /** Resolves when every queued refresh has settled. */
  drain(): Promise<void>;
  /** Runs `task` in the account's refresh queue: no refresh of it runs meanwhile (rename). */
  whileIdle<T>(name: string, task: () => Promise<T>): Promise<T>;
}

/**
 * Whether the account's grant renews by running again (client credentials) rather than with a
 * refresh token: it needs no person and no refresh token, and invalid_grant does not mean "sign in".
 */
function reissues(account: AccountConfig): boolean {
  return GRANT_TRAITS[account.grant].renewal === 'reissue';
}

/**
 * A reissuing grant (client credentials) goes to the provider with whatever scope the caller
 * names, so the broker enforces what a refresh token grant gets from the provider (RFC 6749 §6):
 * a requested scope is a subset of the account's configured scopes. Only checked on a cache miss
 * — a cached scoped token passed this check when it was fetched. Accounts without configured
 * scopes leave it to the provider.
 */
function checkRequestedScope(account: AccountConfig, scopeKey: string): void {
  if (!reissues(account) || account.scopes.length === 0) return;
  const extra = scopesOutside(scopeKey, account.scopes);
  if (extra.length > 0) {
    throw new BrokerError(
      'INVALID_REQUEST',
      `Scope ${extra.join(' ')} is not among the scopes configured for '${account.name}' (${account.scopes.join(' ')}); request a subset of them.`,
      { account: account.name },
    );
  }
}

function needsLoginError(name: string, cause?: unknown): BrokerError {
  return new BrokerError('NEEDS_LOGIN', `Account '${name}' needs a sign-in: run 'token-broker login ${name}'.`, {
    account: name,
    ...(cause === undefined ? {} : { cause }),
  });
}

export function createTokenService(ctx: BrokerContext): TokenService {
  const flights = createSingleFlight<string, TokenSet>();
  const refreshes = createSequencer<string>();
  // Raw requested scope → normalized, so repeated scoped requests skip the split/sort.
  const scopeKeys = new Map<string, string>();

  function normalizedScope(raw: string): string {
    let key = scopeKeys.get(raw);
    if (key === undefined) {
      if (scopeKeys.size >= 1024) scopeKeys.clear();
      key = normalizeScope(raw);
      scopeKeys.set(raw, key);
    }
    return key;
  }

  function grantedScope(account: AccountConfig, state: AccountState): string | undefined {
    return state.tokens?.scope ?? configuredScope(account);
  }

  /** '' = the main token set; otherwise the normalized narrower scope. */
  function scopeKeyFor(account: AccountConfig, state: AccountState, scope: string | undefined): string {
    if (scope === undefined) return '';
    const requested = normalizedScope(scope);
    const granted = grantedScope(account, state);
    return requested === (granted === undefined ? '' : normalizedScope(granted)) ? '' : requested;
  }

  function canRefresh(account: AccountConfig, state: AccountState): boolean {
    return reissues(account) || state.tokens?.refreshToken !== undefined;
  }

  /**
   * Arms (or clears) the proactive refresh of the main token set by the account's policy: none
   * for tokens renewed on demand, a pause for an idle account (its refresh token rests until the
   * next hand-out), else the refresh time of token-policy.ts.
   */
  function schedule(account: AccountConfig, state: AccountState): void {
    const mode = refreshModeOf(account, state.tokens, canRefresh(account, state), state.lastHandOutAt, ctx.clock.now());
    if (mode === 'idle') pauseIdle(state);
    else
      scheduleRefresh(state, mode === 'proactive' && state.tokens !== undefined ? computeRefreshAt(state.tokens, ctx.random()) : undefined);
    ctx.onScheduleChanged();
  }

  /**
   * Writes the main token set to the vault — but only if nothing forgot or replaced the tokens
   * meanwhile (the check runs inside the per-account vault write queue). True when it was written
   * and is still current: the caller then updates the state.
   */
  async function commitMainTokens(
    name: string,
    state: AccountState,
    generation: number,
    tokens: TokenSet,
    identity?: AccountIdentity,
  ): Promise<boolean> {
    let committed = false;
    await ctx.updateSecrets(name, (current) => {
      if (state.generation !== generation) return current;
      committed = true;
      // Tokens committed under this generation mean the account is signed in again.
      const { signedOut: _signedOut, ...rest } = current ?? {};
      return identity === undefined ? { ...rest, tokens } : { ...rest, tokens, identity };
    });
    return committed && state.generation === generation;
  }

  async function rejectRefreshToken(name: string, state: AccountState): Promise<void> {
    markNeedsLogin(state);
    await ctx.updateSecrets(name, (current) => (current === undefined ? undefined : withoutTokens(current)));
    ctx.logger.warn(`[broker] the refresh token of '${name}' was rejected (invalid_grant); a new sign-in is needed`);
    ctx.events.emit({ type: 'needs_login', account: name });
    ctx.events.emit({ type: 'accounts_changed' });
    ctx.onScheduleChanged();
  }

  async function recordFailure(
    account: AccountConfig,
    state: AccountState,
    generation: number,
    scopeKey: string,
    error: unknown,
  ): Promise<BrokerError> {
    const brokerError = toBrokerError(error, 'Refreshing the token failed unexpectedly');
    if (state.generation !== generation) return brokerError;
    const invalidGrant = brokerError.code === 'OAUTH_ERROR' && brokerError.oauthError === 'invalid_grant';
    if (invalidGrant && !reissues(account)) {
      await rejectRefreshToken(account.name, state);
      return needsLoginError(account.name, brokerError);
    }
    if (scopeKey === '') {
      const error = toErrorInfo(brokerError);
      markFailed(state, error, ctx.clock.now(), ctx.random());
      ctx.logger.warn(
        `[broker] refreshing '${account.name}' failed: ${brokerError.code}${brokerError.oauthError === undefined ? '' : ` (${brokerError.oauthError})`}`,
      );
      ctx.events.emit({ type: 'refresh_failed', account: account.name, error });
      ctx.onScheduleChanged();
    }
    return brokerError;
  }

  /** One provider request for (account, scope). Runs inside the account's refresh queue. */
  async function refreshNow(account: AccountConfig, state: AccountState, scopeKey: string): Promise<TokenSet> {
    const generation = state.generation;
    // Queued behind a rename or removal: the name no longer exists, and nothing may be written under it.
    if (ctx.findAccount(account.name) === undefined) {
      throw new BrokerError('ACCOUNT_NOT_FOUND', `No account named '${account.name}'.`, { account: account.name });
    }
    if (state.signedOut) throw needsLoginError(account.name);
    const scope = scopeKey === '' ? undefined : scopeKey;
    // A reissuing grant needs no refresh token; every other grant cannot go on without one.
    const sentRefreshToken = reissues(account) ? undefined : state.tokens?.refreshToken;
    if (!reissues(account) && sentRefreshToken === undefined) throw needsLoginError(account.name);
    let result: TokenSet;
    try {
      if (sentRefreshToken === undefined) {
        result = await reissueTokens(ctx, account, scope);
      } else {
        const { metadata, client } = await ctx.providerFor(account);
        result = await ctx.grants.refreshTokenGrant({
          http: ctx.http,
          clock: ctx.clock,
          metadata,
          client,
          refreshToken: sentRefreshToken,
          ...(scope === undefined ? {} : { scope }),
        });
      }
    } catch (error) {
      throw await recordFailure(account, state, generation, scopeKey, error);
    }

    if (scopeKey === '') {
      const previous = state.tokens;
      const merged: TokenSet = { ...result };
      // RFC 6749 §6: the provider may omit a new refresh token (keep the old one), scope and ID token.
      if (merged.refreshToken === undefined && sentRefreshToken !== undefined) merged.refreshToken = sentRefreshToken;
      if (merged.scope === undefined && previous?.scope !== undefined) merged.scope = previous.scope;
      if (merged.idToken === undefined && previous?.idToken !== undefined) merged.idToken = previous.idToken;
      // Rotation: the new refresh token is durably in the vault before anyone sees the access token.
      if (!(await commitMainTokens(account.name, state, generation, merged))) return staleResult(account, state, result);
      markRefreshed(state, merged, ctx.clock.now());
      schedule(account, state);
      ctx.events.emit({
        type: 'token_refreshed',
        account: account.name,
        ...(merged.expiresAt === undefined ? {} : { expiresAt: merged.expiresAt }),
      });
      return merged;
    }

    // Narrower scope: cached separately; a rotated refresh token replaces the main one first.
    if (
      result.refreshToken !== undefined &&
      sentRefreshToken !== undefined &&
      result.refreshToken !== sentRefreshToken &&
      state.tokens !== undefined
    ) {
      const rotated: TokenSet = { ...state.tokens, refreshToken: result.refreshToken };
      if (!(await commitMainTokens(account.name, state, generation, rotated))) return staleResult(account, state, result);
      markRotated(state, rotated);
    }
    const scoped: TokenSet = { accessToken: result.accessToken, tokenType: result.tokenType, obtainedAt: result.obtainedAt };
    if (result.expiresAt !== undefined) scoped.expiresAt = result.expiresAt;
    scoped.scope = result.scope ?? scopeKey;
    if (state.generation !== generation) return staleResult(account, state, result);
    rememberScoped(state, scopeKey, scoped);
    return scoped;
  }

  /** The account was logged out or signed in again while this refresh ran: its result is not kept. */
  function staleResult(account: AccountConfig, state: AccountState, result: TokenSet): TokenSet {
    if (state.signedOut || (state.tokens === undefined && !reissues(account))) throw needsLoginError(account.name);
    const handout: TokenSet = { accessToken: result.accessToken, tokenType: result.tokenType, obtainedAt: result.obtainedAt };
    if (result.expiresAt !== undefined) handout.expiresAt = result.expiresAt;
    if (result.scope !== undefined) handout.scope = result.scope;
    return handout;
  }

  function obtain(account: AccountConfig, state: AccountState, scopeKey: string): Promise<TokenSet> {
    return flights.run(`${account.name}\u0000${scopeKey}`, () => refreshes.queue(account.name, () => refreshNow(account, state, scopeKey)));
  }

  return {
    async getHandout(account, query, force = false) {
      const state = ctx.state(account.name);
      const scopeKey = scopeKeyFor(account, state, query.scope);
      const cached = scopeKey === '' ? state.tokens : state.scoped.get(scopeKey);
      const fallbackScope = scopeKey === '' ? grantedScope(account, state) : scopeKey;
      if (cached !== undefined && !force) {
        const now = ctx.clock.now();
        if (isFresh(cached, now, effectiveMinTtlMs(cached, query.minTtl))) return toHandout(cached, now, fallbackScope);
      }
      if (state.signedOut || (state.needsLogin && !reissues(account))) throw needsLoginError(account.name);
      if (scopeKey !== '') checkRequestedScope(account, scopeKey);
      else if (!canRefresh(account, state)) {
        // Nothing can renew it (implicit, or no refresh token): the cached token is handed out
        // until it expires, unless the caller insisted on a fresh token or a minimum lifetime.
        const now = ctx.clock.now();
        if (cached !== undefined && !force && query.minTtl === undefined && isUnexpired(cached, now)) {
          return toHandout(cached, now, fallbackScope);
        }
        throw needsLoginError(account.name);
      }
      try {
        const fresh = await obtain(account, state, scopeKey);
        return toHandout(fresh, ctx.clock.now(), fallbackScope);
      } catch (error) {
        // A provider hiccup while the cached token still works hands that token out rather than
        // fail, unless the caller insisted on a fresh token or on a minimum lifetime.
        const now = ctx.clock.now();
        const usable = TRANSIENT_CODES.has(toBrokerError(error).code);
        if (cached !== undefined && !force && query.minTtl === undefined && isUnexpired(cached, now) && usable) {
          return toHandout(cached, now, fallbackScope);
        }
        throw error;
      }
    },

    async refreshInBackground(name) {
      const account = ctx.findAccount(name);
      if (account === undefined) return;
      const state = ctx.state(name);
      if (state.needsLogin || state.signedOut || !canRefresh(account, state)) {
        scheduleRefresh(state, undefined);
        return;
      }
      // Due, but nobody used the account for idleAfterHours: leave its refresh token alone.
      if (isIdle(account, state.lastHandOutAt, ctx.clock.now())) {
        pauseIdle(state);
        ctx.logger.info(`[broker] '${name}' is idle (no hand-out for ${idleAfterMs(account) / 3_600_000} h): it refreshes on its next use`);
        ctx.events.emit({ type: 'accounts_changed' });
        return;
      }
      try {
        await obtain(account, state, '');
      } catch (error) {
        // Recorded (lastError, backoff, events) by recordFailure, unless it was superseded.
        ctx.logger.info(`[broker] background refresh of '${name}' did not succeed: ${toBrokerError(error).code}`);
        postponeOverdueRefresh(state, ctx.clock.now(), ctx.random);
      }
    },

    async storeSignInTokens(name, tokens, identity) {
      const account = ctx.requireAccount(name);
      const state = ctx.state(name);
      const generation = beginSignIn(state);
      if (!(await commitMainTokens(name, state, generation, tokens, identity))) {
        throw new BrokerError('CANCELLED', `The sign-in for '${name}' was superseded.`, { account: name });
      }
      markRefreshed(state, tokens, ctx.clock.now());
      if (identity !== undefined) rememberIdentity(state, identity);
      schedule(account, state);
      ctx.events.emit({
        type: 'token_refreshed',
        account: name,
        ...(tokens.expiresAt === undefined ? {} : { expiresAt: tokens.expiresAt }),
      });
      ctx.events.emit({ type: 'accounts_changed' });
    },

    async forgetTokens(name, options = {}) {
      const state = ctx.state(name);
      const signOut = options.signOut === true;
      forget(state, { signOut });
      if (options.dropIdentity === true) forgetIdentity(state);
      await ctx.updateSecrets(name, (current) => {
        const kept = options.dropIdentity === true ? withoutIdentity(current) : current;
        if (signOut) return { ...withoutTokens(kept ?? {}), signedOut: true };
        return kept === undefined ? undefined : withoutTokens(kept);
      });
      ctx.onScheduleChanged();
    },

    prime(account) {
      schedule(account, ctx.state(account.name));
    },
    markUsed(account, at) {
      const state = ctx.state(account.name);
      if (markHandedOut(state, at)) {
        schedule(account, state);
        ctx.events.emit({ type: 'accounts_changed' });
      }
    },
    canRefresh,
    drain: () => refreshes.drain(),
    whileIdle: (name, task) => refreshes.queue(name, task),
  };
}

function withoutIdentity<T extends { identity?: unknown }>(secrets: T | undefined): T | undefined {
  if (secrets === undefined) return undefined;
  const { identity: _identity, ...rest } = secrets;
  return Object.keys(rest).length === 0 ? undefined : (rest as T);
}

function withoutTokens<T extends { tokens?: unknown }>(secrets: T): T | undefined {
  const { tokens: _tokens, ...rest } = secrets;
  return Object.keys(rest).length === 0 ? undefined : (rest as T);
}
