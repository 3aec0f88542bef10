/**
 * Token exchange (RFC 8693) for an account: its access token exchanged for one aimed at another
 * audience or resource, cached per (audience, resource, scope) with the main token's rules —
 * answered from memory while fresh, one provider request however many callers wait
 * (single-flight), re-exchanged proactively before expiry, a still-valid token handed out when the
 * provider has a transient failure.
 *
 * Only the audiences and resources the account names (`tokenExchange.audiences`) may be asked
 * for: a script cannot turn the account's token into one for any service it likes.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc8693.html#section-2 RFC 8693 §2}
 */
import type { AccountConfig } from '../accounts/model.js';
import { BrokerError, toBrokerError } from '../errors.js';
import type { TokenSet } from '../oauth/types.js';
import { markExchangeFailed, rememberExchanged, unscheduleExchanged, type AccountState, type ExchangedTokens } from './account-state.js';
import { createSingleFlight } from './concurrency.js';
import type { BrokerContext } from './context.js';
import { requireBound } from './dpop-keys.js';
import type { ScheduledEntry } from './scheduler.js';
import {
  computeRefreshAt,
  effectiveMinTtlMs,
  isFresh,
  isTransientFailure,
  isUnexpired,
  normalizeScope,
  toHandout,
} from './token-policy.js';
import type { TokenQuery, TokenService } from './token-service.js';
import type { TokenHandout } from './types.js';

/** Separates the parts of a cache and schedule key (never in an account name, audience or scope). */
const SEP = '\u0000';

export interface ExchangeQuery extends TokenQuery {
  audience?: string | undefined;
  resource?: string | undefined;
}

export interface ExchangeService {
  /** An exchanged token for the account and target. Throws BrokerError (`DENIED` for a target the account does not allow). */
  handout(account: AccountConfig, query: ExchangeQuery, force: boolean): Promise<TokenHandout>;
  /** The scheduler's entries for the account's exchanged tokens (key: `name\0target`). */
  scheduled(name: string, state: AccountState): Iterable<ScheduledEntry>;
  /** Whether a scheduler key is an exchanged token's. */
  owns(key: string): boolean;
  /** The scheduler's proactive re-exchange of one cached set; failures back off, never throw. */
  refreshInBackground(key: string): Promise<void>;
}

/**
 * Refuses a target the account does not name.
 * @throws BrokerError `DENIED` (also when the account allows no exchange at all).
 */
export function checkExchangeTarget(account: AccountConfig, query: ExchangeQuery): void {
  const allowed = account.tokenExchange?.audiences ?? [];
  for (const [label, value] of [
    ['audience', query.audience],
    ['resource', query.resource],
  ] as const) {
    if (value === undefined || allowed.includes(value)) continue;
    const listed = allowed.length === 0 ? 'it allows none' : `allowed: ${allowed.join(', ')}`;
    throw new BrokerError(
      'DENIED',
      `Token exchange for ${label} '${value.slice(0, 200)}' is not allowed for '${account.name}' (${listed}). Add it to the account's tokenExchange.audiences (--exchange-audience) to allow it.`,
      { account: account.name },
    );
  }
}

export function createExchangeService(ctx: BrokerContext, tokens: Pick<TokenService, 'getHandout'>): ExchangeService {
  const flights = createSingleFlight<string, TokenSet>();

  function cacheKey(query: ExchangeQuery): string {
    const scope = query.scope === undefined ? '' : normalizeScope(query.scope);
    return `${query.audience ?? ''}${SEP}${query.resource ?? ''}${SEP}${scope}`;
  }

  /** One exchange for (account, target), stored under the generation it started in. */
  async function exchangeNow(account: AccountConfig, state: AccountState, key: string, query: ExchangeQuery): Promise<TokenSet> {
    const generation = state.generation;
    // The subject token: the account's main access token, refreshed first when needed.
    const subject = await tokens.getHandout(account, {});
    const { metadata, client } = await ctx.providerFor(account);
    const dpop = await ctx.dpop.bindingFor(account, metadata);
    const scope = query.scope === undefined ? undefined : normalizeScope(query.scope);
    const result = await ctx.grants.tokenExchangeGrant({
      http: ctx.http,
      clock: ctx.clock,
      metadata,
      client,
      subjectToken: subject.accessToken,
      ...(query.audience === undefined ? {} : { audience: query.audience }),
      ...(query.resource === undefined ? {} : { resource: query.resource }),
      ...(scope === undefined ? {} : { scope }),
      ...(dpop === undefined ? {} : { dpop }),
    });
    const { issuedTokenType: _type, ...exchanged } = requireBound(account, dpop, result);
    const stored: TokenSet = scope === undefined || exchanged.scope !== undefined ? exchanged : { ...exchanged, scope };
    if (state.generation !== generation && state.signedOut) {
      // Logged out while this ran: nothing of the old sign-in is handed out.
      throw new BrokerError('NEEDS_LOGIN', `Account '${account.name}' needs a sign-in: run 'token-broker login ${account.name}'.`, {
        account: account.name,
      });
    }
    if (state.generation === generation) {
      const entry: ExchangedTokens = {
        tokens: stored,
        ...(query.audience === undefined ? {} : { audience: query.audience }),
        ...(query.resource === undefined ? {} : { resource: query.resource }),
        ...(scope === undefined ? {} : { scope }),
        refreshDueAt: computeRefreshAt(stored, ctx.random()),
        failures: 0,
      };
      rememberExchanged(state, key, entry);
      ctx.onScheduleChanged();
    }
    return stored;
  }

  function obtain(account: AccountConfig, state: AccountState, key: string, query: ExchangeQuery): Promise<TokenSet> {
    return flights.run(`${account.name}${SEP}${key}`, () => exchangeNow(account, state, key, query));
  }

  return {
    async handout(account, query, force) {
      checkExchangeTarget(account, query);
      const state = ctx.state(account.name);
      const key = cacheKey(query);
      const cached = state.exchanged.get(key)?.tokens;
      const now = ctx.clock.now();
      if (cached !== undefined && !force && isFresh(cached, now, effectiveMinTtlMs(cached, query.minTtl))) {
        return toHandout(cached, now, cached.scope);
      }
      try {
        const fresh = await obtain(account, state, key, query);
        return toHandout(fresh, ctx.clock.now(), fresh.scope);
      } catch (error) {
        const later = ctx.clock.now();
        const usable = isTransientFailure(toBrokerError(error).code);
        if (cached !== undefined && !force && query.minTtl === undefined && usable && isUnexpired(cached, later)) {
          return toHandout(cached, later, cached.scope);
        }
        throw error;
      }
    },

    *scheduled(name, state) {
      for (const [key, entry] of state.exchanged) yield { key: `${name}${SEP}${key}`, dueAt: entry.refreshDueAt };
    },

    owns: (key) => key.includes(SEP),

    async refreshInBackground(scheduledKey) {
      const at = scheduledKey.indexOf(SEP);
      const name = scheduledKey.slice(0, at);
      const key = scheduledKey.slice(at + 1);
      const account = ctx.findAccount(name);
      if (account === undefined) return;
      const state = ctx.state(name);
      const entry = state.exchanged.get(key);
      if (entry === undefined) return;
      if (state.signedOut || state.needsLogin) {
        unscheduleExchanged(entry);
        return;
      }
      try {
        await obtain(account, state, key, {
          ...(entry.audience === undefined ? {} : { audience: entry.audience }),
          ...(entry.resource === undefined ? {} : { resource: entry.resource }),
          ...(entry.scope === undefined ? {} : { scope: entry.scope }),
        });
      } catch (error) {
        ctx.logger.info(`[broker] background token exchange for '${name}' did not succeed: ${toBrokerError(error).code}`);
        // The entry may have been replaced meanwhile; back off the one that is there now.
        const current = state.exchanged.get(key);
        if (current !== undefined) markExchangeFailed(current, ctx.clock.now(), ctx.random());
        ctx.onScheduleChanged();
      }
    },
  };
}
