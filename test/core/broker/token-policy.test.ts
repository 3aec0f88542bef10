import { describe, expect, it } from 'vitest';
import type { TokenSet } from '../../../main/core/oauth/types.js';
import {
  backoffDelayMs,
  computeRefreshAt,
  computeStatus,
  effectiveMinTtlMs,
  isFresh,
  isIdle,
  normalizeScope,
  refreshModeOf,
  toHandout,
} from '../../../main/core/broker/token-policy.js';
import type { AccountConfig } from '../../../main/core/accounts/model.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;

function tokens(lifetimeMs: number | undefined, extra: Partial<TokenSet> = {}): TokenSet {
  return {
    accessToken: 'at',
    tokenType: 'Bearer',
    obtainedAt: T0,
    ...(lifetimeMs === undefined ? {} : { expiresAt: T0 + lifetimeMs }),
    ...extra,
  };
}

describe('token policy', () => {
  it('refreshes at 80 % of the lifetime or 5 min before expiry, whichever is first, but not before half-life', () => {
    expect(computeRefreshAt(tokens(60 * MIN), 0.5)).toBe(T0 + 48 * MIN); // 80 % beats 55 min
    expect(computeRefreshAt(tokens(20 * MIN), 0.5)).toBe(T0 + 15 * MIN); // 5 min before beats 16 min
    expect(computeRefreshAt(tokens(6 * MIN), 0.5)).toBe(T0 + 3 * MIN); // half-life floor
    expect(computeRefreshAt(tokens(undefined), 0.5)).toBeUndefined();
  });

  it('jitters the lead time by at most ±10 % and never past expiry', () => {
    const early = computeRefreshAt(tokens(60 * MIN), 1 - Number.EPSILON)!;
    const late = computeRefreshAt(tokens(60 * MIN), 0)!;
    expect(early).toBeCloseTo(T0 + 60 * MIN - 12 * MIN * 1.1, -1);
    expect(late).toBeCloseTo(T0 + 60 * MIN - 12 * MIN * 0.9, -1);
    for (const random of [0, 0.25, 0.75, 0.999]) {
      const at = computeRefreshAt(tokens(30_000), random)!;
      expect(at).toBeGreaterThanOrEqual(T0);
      expect(at).toBeLessThan(T0 + 30_000);
    }
  });

  it('backs off exponentially with a cap', () => {
    expect([1, 2, 3, 4].map((failures) => backoffDelayMs(failures, 0.5))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(backoffDelayMs(30, 0.5)).toBe(10 * MIN);
    expect(backoffDelayMs(1, 0)).toBe(9_000);
  });

  it('honours min_ttl, caps the default at a quarter of the lifetime, and treats no expiry as forever', () => {
    expect(isFresh(tokens(60 * MIN), T0 + 59 * MIN, effectiveMinTtlMs(tokens(60 * MIN), undefined))).toBe(true);
    expect(isFresh(tokens(60 * MIN), T0 + 59.6 * MIN, effectiveMinTtlMs(tokens(60 * MIN), undefined))).toBe(false);
    expect(isFresh(tokens(60 * MIN), T0, effectiveMinTtlMs(tokens(60 * MIN), 3601))).toBe(false);
    expect(effectiveMinTtlMs(tokens(20_000), undefined)).toBe(5_000);
    // The proactive refresh (≤ 55 % of the lifetime, even with jitter) comes before the default min_ttl bites.
    for (const random of [0, 0.5, 0.999]) {
      const short = tokens(20_000);
      expect(short.expiresAt! - computeRefreshAt(short, random)!).toBeGreaterThan(effectiveMinTtlMs(short, undefined));
    }
    expect(isFresh(tokens(undefined), T0 + 1e12, effectiveMinTtlMs(tokens(undefined), 999_999))).toBe(true);
  });

  it('computes the status from tokens and state', () => {
    const base = { needsLogin: false, signedOut: false, hasError: false, canFetchWithoutUser: false, canRefresh: true };
    expect(computeStatus({ ...base, tokens: tokens(MIN) }, T0)).toBe('ok');
    expect(computeStatus({ ...base, tokens: tokens(MIN) }, T0 + MIN)).toBe('expired');
    expect(computeStatus({ ...base, tokens: tokens(MIN), canRefresh: false }, T0 + MIN)).toBe('needs_login');
    expect(computeStatus({ ...base, tokens: undefined }, T0)).toBe('needs_login');
    expect(computeStatus({ ...base, tokens: tokens(MIN), hasError: true }, T0)).toBe('error');
    // client_credentials without a token yet: it fetches one on demand, nothing to attend to.
    expect(computeStatus({ ...base, tokens: undefined, canFetchWithoutUser: true }, T0)).toBe('ok');
    expect(computeStatus({ ...base, tokens: undefined, canFetchWithoutUser: true, hasError: true }, T0)).toBe('error');
    expect(computeStatus({ ...base, tokens: tokens(MIN), canFetchWithoutUser: true }, T0 + MIN)).toBe('expired');
    // A missing client secret outranks everything: neither sign-in nor refresh can work.
    expect(computeStatus({ ...base, tokens: tokens(MIN), missingSecret: true }, T0)).toBe('needs_secret');
    expect(computeStatus({ ...base, tokens: undefined, canFetchWithoutUser: true, missingSecret: true }, T0)).toBe('needs_secret');
    // Logged out: needs a sign-in whatever the grant.
    expect(computeStatus({ ...base, tokens: undefined, canFetchWithoutUser: true, signedOut: true }, T0)).toBe('needs_login');
    expect(computeStatus({ ...base, tokens: tokens(undefined) }, T0 + 1e12)).toBe('ok');
  });

  it('normalizes scopes and builds hand-outs', () => {
    expect(normalizeScope(' write  read read ')).toBe('read write');
    expect(toHandout(tokens(60 * MIN, { scope: 'api' }), T0 + 1500, undefined)).toEqual({
      accessToken: 'at',
      tokenType: 'Bearer',
      expiresAt: T0 + 60 * MIN,
      expiresIn: 3598,
      scope: 'api',
    });
    expect(toHandout(tokens(undefined), T0, 'x')).toEqual({ accessToken: 'at', tokenType: 'Bearer', scope: 'x' });
    expect(toHandout(tokens(1000), T0 + 5000, undefined).expiresIn).toBe(0);
  });

  it('refreshes proactively only while used, only tokens living a minute or more, unless the account says always or never', () => {
    const HOUR = 60 * MIN;
    const account = (refresh?: AccountConfig['refresh']): AccountConfig =>
      ({
        name: 'a',
        provider: { issuer: 'https://issuer.example' },
        client: { id: 'c', auth: 'basic' },
        grant: 'password',
        scopes: [],
        allowLegacy: true,
        approval: 'auto',
        dpop: 'auto',
        ...(refresh === undefined ? {} : { refresh }),
      }) as AccountConfig;
    const hour = tokens(HOUR);
    const now = T0 + 10 * MIN;
    // auto: used within 12 h → proactive; never used or used 13 h ago → idle.
    expect(refreshModeOf(account(), hour, true, now - MIN, now)).toBe('proactive');
    expect(refreshModeOf(account(), hour, true, undefined, now)).toBe('idle');
    expect(refreshModeOf(account(), hour, true, now - 13 * HOUR, now)).toBe('idle');
    expect(isIdle(account({ proactive: 'auto', idleAfterHours: 0.5 }), now - 31 * MIN, now)).toBe(true);
    expect(isIdle(account({ proactive: 'auto', idleAfterHours: 0.5 }), now - 29 * MIN, now)).toBe(false);
    // Short-lived tokens: on demand only under auto; always means always.
    expect(refreshModeOf(account(), tokens(59_999), true, now, now)).toBe('on_demand');
    expect(refreshModeOf(account(), tokens(MIN), true, now, now)).toBe('proactive');
    expect(refreshModeOf(account({ proactive: 'always' }), tokens(1000), true, undefined, now)).toBe('proactive');
    expect(isIdle(account({ proactive: 'always' }), undefined, now)).toBe(false);
    expect(refreshModeOf(account({ proactive: 'never' }), hour, true, now, now)).toBe('on_demand');
    // Nothing to renew.
    expect(refreshModeOf(account(), undefined, true, now, now)).toBe('none');
    expect(refreshModeOf(account(), hour, false, now, now)).toBe('none');
    expect(refreshModeOf(account(), tokens(undefined), true, now, now)).toBe('none');
  });
});
