/**
 * The token service: answers from memory when the cached token is fresh enough, otherwise
 * refreshes — one provider request per account+scope however many callers wait (single-flight),
 * refresh-token grants of one account serialized (a rotated refresh token must never be sent
 * twice), and nothing shared between accounts, so a slow provider delays only its own account.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-6 RFC 6749 §6} (refreshing an access token; a narrower `scope` on refresh)
 * @see {@link https://www.rfc-editor.org/rfc/rfc9700.html#section-4.14.2 RFC 9700 §4.14.2} (refresh token rotation)
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse OpenID Connect Core §12.2} (an ID token from a refresh)
 */
import { GRANT_TRAITS } from '../../shared/grants.js';
import type { AccountIdentity } from '../../shared/accounts.js';
import type { AccountConfig } from '../accounts/model.js';
import { BrokerError, toBrokerError } from '../errors.js';
import type { TokenSet } from '../oauth/types.js';
import { rotatedRefreshTokenOf } from '../oauth/token-response.js';
import {
  beginSignIn,
  forget,
  markFailed,
  markNarrowed,
  markNeedsLogin,
  markIdTokenUsed,
  markRefreshed,
  markRevocationGrantWide,
  markScopedRefreshKeepsGrant,
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
import { requireBound } from './dpop-keys.js';
import { reissueTokens } from './grant-flows.js';
import {
  idTokenLifetime,
  idTokenNotRenewedError,
  noIdTokenError,
  noOpenIdError,
  refreshedIdTokenProblem,
  requestsOpenId,
  toIdTokenHandout,
  type IdTokenHandout,
} from './id-token-policy.js';
import {
  computeRefreshAt,
  configuredScope,
  effectiveMinTtlMs,
  expiresInSeconds,
  idleAfterMs,
  isIdle,
  isFresh,
  isTransientFailure,
  isUnexpired,
  normalizeScope,
  refreshModeOf,
  scopesOutside,
  toHandout,
  type Lifetime,
} from './token-policy.js';
import type { TokenHandout, TokenRequest } from './types.js';

/** What a caller asks of a hand-out; the broker's TokenRequest passes straight through (no copy per request). */
export type TokenQuery = Pick<TokenRequest, 'minTtl' | 'scope'>;

export interface TokenService {
  /**
   * A hand-out for the account. `force` ignores the cache: always one (shared) provider request.
   * Throws BrokerError.
   */
  getHandout(account: AccountConfig, query: TokenQuery, force?: boolean): Promise<TokenHandout>;
  /**
   * The cached hand-out {@link TokenService.getHandout} would answer without any I/O (a fresh
   * cached token for the query at `now`), synchronously; undefined when it would have to do more
   * (refresh, fetch, refuse). Never throws. The cached-token path of the API uses it so a hit costs
   * no promise and no microtask turn.
   */
  cachedHandout(account: AccountConfig, query: TokenQuery, now: number): TokenHandout | undefined;
  /**
   * The account's ID token, valid for `query.minTtl` (default as for access tokens, against the
   * ID token's own lifetime). An expiring ID token is renewed with a refresh even while the access
   * token is fresh; one the provider does not renew, or an expired one, is never handed out.
   * Throws BrokerError (`NEEDS_LOGIN`, `CONFIG_INVALID` without `openid`).
   */
  getIdTokenHandout(account: AccountConfig, query: TokenQuery): Promise<IdTokenHandout>;
  /** Whether the account's ID token expiry counts (configured for Kubernetes ID tokens, or one was handed out). */
  usesIdToken(account: AccountConfig, state: AccountState): boolean;
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

function needsLoginError(name: string, cause?: unknown, reason?: string): BrokerError {
  return new BrokerError('NEEDS_LOGIN', reason ?? `Account '${name}' needs a sign-in: run 'token-broker login ${name}'.`, {
    account: name,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The NEEDS_LOGIN of an account, with the reason the state keeps (a narrowed grant) when there is one. */
function needsLoginFor(name: string, state: AccountState): BrokerError {
  return needsLoginError(name, undefined, state.lastError?.code === 'NEEDS_LOGIN' ? state.lastError.message : undefined);
}

/** The scopes of `held` that `granted` lacks (both space-separated); empty when nothing was lost. */
function lostScopes(held: string | undefined, granted: string | undefined): string[] {
  if (held === undefined || granted === undefined) return [];
  const now = new Set(granted.split(' ').filter((scope) => scope !== ''));
  return held.split(' ').filter((scope) => scope !== '' && !now.has(scope));
}

export interface TokenServiceHooks {
  /** A proactive (background) refresh failed: the broker audits it like a failed hand-out. */
  onBackgroundFailure?: (account: string, error: BrokerError) => void;
}

export function createTokenService(ctx: BrokerContext, hooks: TokenServiceHooks = {}): TokenService {
  const flights = createSingleFlight<string, TokenSet>();
  // Main token sets whose ID token a refresh did not renew: the provider sent none (OpenID Connect
  // Core §12.2 makes a new one optional) or one that expires no later. Asking again would not help.
  const carriedOverIdTokens = new WeakSet<TokenSet>();
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

  function usesIdToken(account: AccountConfig, state: AccountState): boolean {
    return state.idTokenUsed || account.kubernetes?.tokenType === 'id_token';
  }

  /**
   * Arms (or clears) the proactive refresh of the main token set by the account's policy: none
   * for tokens renewed on demand, a pause for an idle account (its refresh token rests until the
   * next hand-out), else the refresh time of token-policy.ts — the access token's, or the ID
   * token's when that comes first for an account that uses it (the policy then judges the ID
   * token's lifetime).
   */
  function schedule(account: AccountConfig, state: AccountState): void {
    const tokens = state.tokens;
    const renewable = canRefresh(account, state);
    let lifetime: Lifetime | undefined = tokens;
    let dueAt: number | undefined;
    if (tokens !== undefined && renewable) {
      dueAt = computeRefreshAt(tokens, ctx.random());
      const idToken = usesIdToken(account, state) && !carriedOverIdTokens.has(tokens) ? idTokenLifetime(tokens) : undefined;
      const idDueAt = idToken === undefined ? undefined : computeRefreshAt(idToken, ctx.random());
      if (idDueAt !== undefined && (dueAt === undefined || idDueAt < dueAt)) {
        dueAt = idDueAt;
        lifetime = idToken;
      }
    }
    const mode = refreshModeOf(account, lifetime, renewable, state.lastHandOutAt, ctx.clock.now());
    if (mode === 'idle') pauseIdle(state);
    else scheduleRefresh(state, mode === 'proactive' ? dueAt : undefined);
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
    options: { scrubBackup?: boolean } = {},
  ): Promise<boolean> {
    let committed = false;
    await ctx.updateSecrets(
      name,
      (current) => {
        if (state.generation !== generation) return current;
        committed = true;
        // Tokens committed under this generation mean the account is signed in again.
        const { signedOut: _signedOut, ...rest } = current ?? {};
        return identity === undefined ? { ...rest, tokens } : { ...rest, tokens, identity };
      },
      options,
    );
    return committed && state.generation === generation;
  }

  async function rejectRefreshToken(name: string, state: AccountState): Promise<void> {
    markNeedsLogin(state);
    ctx.dpop.forget(name);
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
  async function refreshNow(account: AccountConfig, state: AccountState, scopeKey: string, afterScopedRotation = false): Promise<TokenSet> {
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
        const dpop = await ctx.dpop.bindingFor(account, metadata);
        const refreshed = await ctx.grants.refreshTokenGrant({
          http: ctx.http,
          clock: ctx.clock,
          metadata,
          client,
          refreshToken: sentRefreshToken,
          ...(scope === undefined ? {} : { scope }),
          ...(dpop === undefined ? {} : { dpop }),
        });
        result = requireBound(account, dpop, refreshed);
      }
    } catch (error) {
      await keepRotatedRefreshToken(account, state, generation, sentRefreshToken, error);
      throw await recordFailure(account, state, generation, scopeKey, error);
    }

    if (scopeKey === '') {
      const previous = state.tokens;
      const lost = lostScopes(previous?.scope, result.scope);
      if (lost.length > 0 && state.generation === generation) {
        throw await narrowedGrant(account, state, lost, result.scope as string, afterScopedRotation);
      }
      const merged: TokenSet = { ...result };
      // RFC 6749 §6: the provider may omit a new refresh token (keep the old one), scope and ID token.
      if (merged.refreshToken === undefined && sentRefreshToken !== undefined) merged.refreshToken = sentRefreshToken;
      if (merged.scope === undefined && previous?.scope !== undefined) merged.scope = previous.scope;
      if (merged.idToken === undefined) {
        if (previous?.idToken !== undefined) merged.idToken = previous.idToken;
      } else keepOnlyContinuousIdToken(account, previous, merged);
      const carriedOver = previous?.idToken !== undefined && merged.idToken !== undefined && !outlives(merged, previous);
      // Rotation: the new refresh token is durably in the vault before anyone sees the access token.
      if (!(await commitMainTokens(account.name, state, generation, merged))) return staleResult(account, state, result);
      if (carriedOver) carriedOverIdTokens.add(merged);
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
    const scoped: TokenSet = { accessToken: result.accessToken, tokenType: result.tokenType, obtainedAt: result.obtainedAt };
    if (result.expiresAt !== undefined) scoped.expiresAt = result.expiresAt;
    scoped.scope = result.scope ?? scopeKey;
    if (
      result.refreshToken !== undefined &&
      sentRefreshToken !== undefined &&
      result.refreshToken !== sentRefreshToken &&
      state.tokens !== undefined
    ) {
      const rotated: TokenSet = { ...state.tokens, refreshToken: result.refreshToken };
      if (!(await commitMainTokens(account.name, state, generation, rotated))) return staleResult(account, state, result);
      markRotated(state, rotated);
      // Some providers narrow the rotated refresh token to the scope asked for (RFC 6749 §6 lets
      // them). Until this provider was seen keeping the grant, refresh the main token set once
      // at once: a narrowed grant is caught now, not when the main token next expires.
      if (state.scopedRefresh === 'unknown') {
        try {
          await refreshNow(account, state, '', true);
          markScopedRefreshKeepsGrant(state);
        } catch {
          // Recorded (a narrowed grant, a failure) by the main refresh; the scoped token is still good.
        }
        if (state.generation === generation) rememberScoped(state, scopeKey, scoped);
        return scoped;
      }
    }
    if (state.generation !== generation) return staleResult(account, state, result);
    rememberScoped(state, scopeKey, scoped);
    return scoped;
  }

  /**
   * A refused refresh response (a 70 KiB access token, a poisoned token_type) may still carry a
   * valid rotated refresh token, and the provider has retired the one we sent: keep the new one,
   * or the account would lose its sign-in over the provider's mistake.
   */
  async function keepRotatedRefreshToken(
    account: AccountConfig,
    state: AccountState,
    generation: number,
    sent: string | undefined,
    error: unknown,
  ): Promise<void> {
    const rotated = rotatedRefreshTokenOf(error);
    if (rotated === undefined || sent === undefined || rotated === sent || state.tokens === undefined) return;
    const kept: TokenSet = { ...state.tokens, refreshToken: rotated };
    if (await commitMainTokens(account.name, state, generation, kept)) {
      markRotated(state, kept);
      ctx.logger.warn(`[broker] the refresh response for '${account.name}' was refused; its rotated refresh token was kept`);
    }
  }

  /**
   * The provider answered a refresh of the main token set with fewer scopes than the account held:
   * the grant was narrowed (by an earlier scoped refresh). Nothing narrowed is kept or handed out;
   * the account needs a sign-in to restore its scopes, and says why.
   */
  async function narrowedGrant(
    account: AccountConfig,
    state: AccountState,
    lost: string[],
    granted: string,
    byScopedRequest: boolean,
  ): Promise<BrokerError> {
    const name = account.name;
    const reason = byScopedRequest
      ? `Account '${name}' needs a sign-in: its provider narrowed the account's grant to '${granted}' when a token for that narrower ` +
        `scope was requested, so ${lost.join(' ')} would be lost. Run 'token-broker login ${name}' to restore every scope; ` +
        `requests for a narrower scope are refused for '${name}' from now on, so it does not happen again.`
      : `Account '${name}' needs a sign-in: its provider now grants only '${granted}' (${lost.join(' ')} would be lost), ` +
        `so the tokens were not kept. Run 'token-broker login ${name}' to restore every scope.`;
    markNarrowed(state, { code: 'NEEDS_LOGIN', message: reason }, byScopedRequest);
    await ctx.updateSecrets(name, (current) => (current === undefined ? undefined : withoutTokens(current)));
    ctx.logger.warn(`[broker] the provider narrowed the grant of '${name}' (lost: ${lost.join(' ')}); a new sign-in is needed`);
    ctx.events.emit({ type: 'needs_login', account: name });
    ctx.events.emit({ type: 'accounts_changed' });
    ctx.onScheduleChanged();
    return needsLoginError(name, undefined, reason);
  }

  /**
   * A new sign-in replaced a grant: revoke the old refresh token (RFC 7009, best effort), so a
   * second `login` does not leave the first grant alive at the provider. Providers differ in what
   * a revocation takes with it — some keep one grant per user and client, or reuse the browser
   * session's grant — so the new refresh token is tried once afterwards: if the revocation took it
   * too, the sign-in fails saying so, and this account's replaced grants are not revoked again.
   */
  async function revokeReplacedGrant(account: AccountConfig, state: AccountState, replaced: TokenSet, fresh: TokenSet): Promise<void> {
    const name = account.name;
    let provider;
    try {
      provider = await ctx.providerFor(account);
      if (provider.metadata.revocationEndpoint === undefined) return;
      await ctx.grants.revokeToken({
        http: ctx.http,
        clock: ctx.clock,
        ...provider,
        token: replaced.refreshToken as string,
        tokenTypeHint: 'refresh_token',
      });
    } catch (error) {
      ctx.logger.warn(`[broker] revoking the grant '${name}' was signed in with before failed: ${toBrokerError(error).code}`);
      return;
    }
    if (fresh.refreshToken === undefined) return;
    try {
      await obtain(account, state, '');
    } catch (error) {
      if (toBrokerError(error).code !== 'NEEDS_LOGIN') return;
      markRevocationGrantWide(state);
      throw new BrokerError(
        'PROVIDER_ERROR',
        `The provider of '${name}' ended this sign-in when the grant it replaces was revoked (it ties them together). ` +
          `Sign in once more: 'token-broker login ${name}' — replaced grants of '${name}' are no longer revoked.`,
        { account: name, cause: error },
      );
    }
  }

  /**
   * Whether `next`'s ID token expires later than `previous`'s. One that does not (the same token
   * carried over, or a provider that keeps `exp` fixed) is not renewed by refreshing: the
   * scheduler must not chase it, and a caller needing more is told to sign in.
   */
  function outlives(next: TokenSet, previous: TokenSet): boolean {
    const after = idTokenLifetime(next)?.expiresAt;
    const before = idTokenLifetime(previous)?.expiresAt;
    return after !== undefined && (before === undefined || after > before);
  }

  /**
   * OpenID Connect Core §12.2: a refreshed ID token names the same issuer and user as the one it
   * replaces. One that does not is dropped (the access and refresh tokens are kept: the provider
   * may have rotated the refresh token), so the next ID-token request asks for a sign-in.
   */
  function keepOnlyContinuousIdToken(account: AccountConfig, previous: TokenSet | undefined, merged: TokenSet): void {
    const problem = refreshedIdTokenProblem(previous?.idToken, merged.idToken as string, account.client.id);
    if (problem === undefined) return;
    delete merged.idToken;
    ctx.logger.warn(`[broker] the ID token from refreshing '${account.name}' was not kept: ${problem}`);
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

  function noteIdTokenUsed(account: AccountConfig, state: AccountState): void {
    if (!markIdTokenUsed(state)) return;
    // Called right before a hand-out, whose markUsed ends an idle pause: that reschedules and
    // tells listeners once, for both changes.
    if (state.idle) return;
    schedule(account, state);
    ctx.events.emit({ type: 'accounts_changed' });
  }

  /** An ID token that is not fresh enough: why there is none, or a refresh that brings a new one. */
  async function renewIdToken(account: AccountConfig, state: AccountState, query: TokenQuery): Promise<IdTokenHandout> {
    const cached = state.tokens;
    if (!GRANT_TRAITS[account.grant].yields.includes('id_token')) throw noOpenIdError(account.name, account.grant);
    if (cached?.idToken === undefined && !requestsOpenId(account.scopes)) throw noOpenIdError(account.name, account.grant);
    if (state.signedOut || state.needsLogin || cached === undefined) throw needsLoginError(account.name);
    if (cached.idToken === undefined) throw noIdTokenError(account.name);

    // What is held is all there is when nothing can refresh, or the provider did not renew it last time.
    const notRenewable = carriedOverIdTokens.has(cached);
    if (notRenewable || !canRefresh(account, state)) {
      const held = stillUsable(cached, query);
      if (held !== undefined) return held;
      throw notRenewable ? idTokenNotRenewedError(account.name, isExpired(cached)) : needsLoginError(account.name);
    }
    try {
      await obtain(account, state, '');
    } catch (error) {
      // A provider hiccup while the held ID token still works: hand it out, as for access tokens.
      const held = isTransientFailure(toBrokerError(error).code) ? stillUsable(cached, query) : undefined;
      if (held !== undefined) return held;
      throw error;
    }
    // The refresh's tokens (or a sign-in's that superseded it) are the account's tokens now.
    const fresh = state.tokens;
    if (fresh === undefined) throw needsLoginError(account.name);
    const lifetime = fresh.idToken === undefined ? undefined : idTokenLifetime(fresh);
    if (fresh.idToken === undefined || lifetime?.expiresAt === undefined) throw noIdTokenError(account.name);
    const now = ctx.clock.now();
    if (carriedOverIdTokens.has(fresh) && !isFresh(lifetime, now, effectiveMinTtlMs(lifetime, query.minTtl))) {
      const held = stillUsable(fresh, query);
      if (held !== undefined) return held;
      throw idTokenNotRenewedError(account.name, isExpired(fresh));
    }
    // A new ID token shorter-lived than asked is handed out all the same (as access tokens are); an expired one never.
    if (lifetime.expiresAt <= now) {
      throw new BrokerError(
        'INVALID_RESPONSE',
        `The provider of '${account.name}' returned an ID token that has already expired; check the clocks.`,
        {
          account: account.name,
        },
      );
    }
    noteIdTokenUsed(account, state);
    return toIdTokenHandout(fresh.idToken, lifetime.expiresAt, now);
  }

  /** The held ID token when it has not expired and the caller set no minimum lifetime (the stale-but-valid rule). */
  function stillUsable(tokens: TokenSet, query: TokenQuery): IdTokenHandout | undefined {
    const lifetime = idTokenLifetime(tokens);
    const now = ctx.clock.now();
    if (tokens.idToken === undefined || lifetime?.expiresAt === undefined || query.minTtl !== undefined || !isUnexpired(lifetime, now)) {
      return undefined;
    }
    return toIdTokenHandout(tokens.idToken, lifetime.expiresAt, now);
  }

  function isExpired(tokens: TokenSet): boolean {
    const lifetime = idTokenLifetime(tokens);
    return lifetime === undefined || !isUnexpired(lifetime, ctx.clock.now());
  }

  // The hand-out last made from each cached token set. Within the same second (`expiresIn` counts
  // whole seconds) every cached hit gets that same object: a hit allocates nothing, and the API
  // encodes the response body once per hand-out object (routes.ts). Frozen, because every caller
  // of that second shares it; weak, so it goes with its token set.
  const handouts = new WeakMap<TokenSet, TokenHandout>();

  /** The fresh cached token for the query at `now`, as a hand-out; undefined when there is none. */
  function freshHandout(
    account: AccountConfig,
    state: AccountState,
    scopeKey: string,
    query: TokenQuery,
    now: number,
  ): TokenHandout | undefined {
    const cached = scopeKey === '' ? state.tokens : state.scoped.get(scopeKey);
    if (cached === undefined || !isFresh(cached, now, effectiveMinTtlMs(cached, query.minTtl))) return undefined;
    const fallbackScope = cached.scope !== undefined ? undefined : scopeKey === '' ? grantedScope(account, state) : scopeKey;
    const last = handouts.get(cached);
    if (last !== undefined && last.expiresIn === expiresInSeconds(cached, now) && last.scope === (cached.scope ?? fallbackScope)) {
      return last;
    }
    const handout = Object.freeze(toHandout(cached, now, fallbackScope));
    handouts.set(cached, handout);
    return handout;
  }

  return {
    cachedHandout(account, query, now) {
      const state = ctx.state(account.name);
      return freshHandout(account, state, scopeKeyFor(account, state, query.scope), query, now);
    },

    async getHandout(account, query, force = false) {
      const state = ctx.state(account.name);
      const scopeKey = scopeKeyFor(account, state, query.scope);
      if (!force) {
        const hit = freshHandout(account, state, scopeKey, query, ctx.clock.now());
        if (hit !== undefined) return hit;
      }
      const cached = scopeKey === '' ? state.tokens : state.scoped.get(scopeKey);
      const fallbackScope = scopeKey === '' ? grantedScope(account, state) : scopeKey;
      if (state.signedOut || (state.needsLogin && !reissues(account))) throw needsLoginFor(account.name, state);
      if (scopeKey !== '') {
        checkRequestedScope(account, scopeKey);
        if (state.scopedRefresh === 'narrows' && !reissues(account)) {
          throw new BrokerError(
            'INVALID_REQUEST',
            `Account '${account.name}' cannot hand out tokens for a narrower scope: its provider narrows the whole grant when one is asked for. Ask without a scope, or add a second account with just those scopes.`,
            { account: account.name },
          );
        }
      } else if (!canRefresh(account, state)) {
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
        const usable = isTransientFailure(toBrokerError(error).code);
        if (cached !== undefined && !force && query.minTtl === undefined && isUnexpired(cached, now) && usable) {
          return toHandout(cached, now, fallbackScope);
        }
        throw error;
      }
    },

    async getIdTokenHandout(account, query) {
      const state = ctx.state(account.name);
      const cached = state.tokens;
      if (cached?.idToken !== undefined) {
        const lifetime = idTokenLifetime(cached);
        const now = ctx.clock.now();
        if (
          lifetime !== undefined &&
          isFresh(lifetime, now, effectiveMinTtlMs(lifetime, query.minTtl)) &&
          lifetime.expiresAt !== undefined
        ) {
          if (!state.idTokenUsed) noteIdTokenUsed(account, state);
          return toIdTokenHandout(cached.idToken, lifetime.expiresAt, now);
        }
      }
      return renewIdToken(account, state, query);
    },

    usesIdToken,

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
        const brokerError = toBrokerError(error);
        ctx.logger.info(`[broker] background refresh of '${name}' did not succeed: ${brokerError.code}`);
        hooks.onBackgroundFailure?.(account.name, brokerError);
        postponeOverdueRefresh(state, ctx.clock.now(), ctx.random);
      }
    },

    async storeSignInTokens(name, tokens, identity) {
      const account = ctx.requireAccount(name);
      const state = ctx.state(name);
      // The grant this sign-in replaces: revoked below, and scrubbed from the backup generation.
      const replaced = state.tokens ?? ctx.vault.get(name)?.tokens;
      const replacesGrant = replaced?.refreshToken !== undefined && replaced.refreshToken !== tokens.refreshToken;
      const generation = beginSignIn(state);
      if (!(await commitMainTokens(name, state, generation, tokens, identity, { scrubBackup: replaced !== undefined }))) {
        throw new BrokerError('CANCELLED', `The sign-in for '${name}' was superseded.`, { account: name });
      }
      markRefreshed(state, tokens, ctx.clock.now());
      if (replacesGrant && !state.revocationIsGrantWide) await revokeReplacedGrant(account, state, replaced, tokens);
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
      ctx.dpop.forget(name);
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

/** The secrets without the tokens — and without the DPoP key they were bound to (a new sign-in makes a new one). */
function withoutTokens<T extends { tokens?: unknown; dpopKeyPem?: string }>(secrets: T): T | undefined {
  const { tokens: _tokens, dpopKeyPem: _key, ...rest } = secrets;
  return Object.keys(rest).length === 0 ? undefined : (rest as T);
}
