/**
 * Refresh where it is used (issue 15), against the real fixture with a fake clock and hand-fired
 * timers: an account's token is refreshed before it expires only while the account is used (a
 * hand-out within `refresh.idleAfterHours`, default 12), only for tokens living a minute or more,
 * and never while it is idle — its refresh token stays as it is until the next use. `always` and
 * `never` opt out either way.
 */
import { describe, expect, it } from 'vitest';
import { useAuthServers } from '../../support/fixtures.js';
import { addSignedIn, nextEvent, useHarnesses, type Harness } from './harness.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const { server } = useAuthServers(['server'], {}, { freshCounters: true });
const harness = useHarnesses();

function refreshToken(h: Harness, name: string): string | undefined {
  return h.vault.get(name)?.tokens?.refreshToken;
}

/** Lets the scheduler's runs finish and re-arm its timer. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** Fires the scheduler's timers and lets the runs they start settle. */
async function fireAndSettle(h: Harness): Promise<void> {
  h.timers.fire();
  await settle();
}

describe('refresh where it is used', () => {
  it('leaves an account that was signed in but never used alone: no refresh at its due time, the refresh token untouched', async () => {
    const h = await harness({ schedule: true });
    await addSignedIn(h, server, 'idle');
    const before = refreshToken(h, 'idle');
    server.resetCounters();
    expect(h.broker.getAccount('idle')).toMatchObject({ refreshMode: 'idle' });
    expect(h.broker.getAccount('idle').lastUsedAt).toBeUndefined();

    for (let minute = 0; minute < 3 * 60; minute += 1) {
      h.clock.advance(MINUTE);
      await fireAndSettle(h);
    }
    expect(server.tokenRequests).toEqual({});
    expect(refreshToken(h, 'idle')).toBe(before);
    expect(h.broker.getAccount('idle')).toMatchObject({ status: 'expired', refreshMode: 'idle' });

    // The next use refreshes it (once), and from then on it is refreshed ahead of expiry again.
    const token = await h.broker.getToken('idle');
    expect(server.tokenRequests).toEqual({ refresh_token: 1 });
    expect(token.expiresAt).toBeGreaterThan(h.clock.now());
    expect(h.broker.getAccount('idle')).toMatchObject({ status: 'ok', refreshMode: 'proactive', lastUsedAt: h.clock.now() });
    h.clock.advance(49 * MINUTE);
    const refreshed = nextEvent(h.broker, (event) => event.type === 'token_refreshed');
    h.timers.fire();
    await refreshed;
    expect(server.tokenRequests).toEqual({ refresh_token: 2 });
  });

  it('pauses a used account once it has gone idleAfterHours without a hand-out, and says so', async () => {
    const h = await harness({ schedule: true });
    await addSignedIn(h, server, 'work', { refresh: { proactive: 'auto', idleAfterHours: 1 } });
    await h.broker.getToken('work');
    server.resetCounters();

    // Due at 48 min (80 % of an hour, jitter fixed at 0): last used 48 min ago, so refreshed.
    h.clock.advance(49 * MINUTE);
    let refreshed = nextEvent(h.broker, (event) => event.type === 'token_refreshed');
    h.timers.fire();
    await refreshed;
    await settle();
    expect(server.tokenRequests).toEqual({ refresh_token: 1 });

    // Due again 48 min later: nobody asked for 97 min, over the 1-hour idle time.
    h.clock.advance(49 * MINUTE);
    const changed = nextEvent(h.broker, (event) => event.type === 'accounts_changed');
    h.timers.fire();
    await changed;
    await settle();
    expect(server.tokenRequests).toEqual({ refresh_token: 1 });
    expect(h.broker.getAccount('work')).toMatchObject({ refreshMode: 'idle' });
    expect(h.log.lines).toContain("[broker] 'work' is idle (no hand-out for 1 h): it refreshes on its next use");

    // Still valid (11 min left): the next use hands it out and resumes the proactive refresh.
    await h.broker.getToken('work');
    expect(server.tokenRequests).toEqual({ refresh_token: 1 });
    expect(h.broker.getAccount('work')).toMatchObject({ refreshMode: 'proactive' });
    refreshed = nextEvent(h.broker, (event) => event.type === 'token_refreshed');
    h.clock.advance(2 * MINUTE);
    h.timers.fire();
    await refreshed;
    expect(server.tokenRequests).toEqual({ refresh_token: 2 });
  });

  it('refreshes an unused account ahead of expiry with `always`, and arms nothing with `never`', async () => {
    const h = await harness({ schedule: true });
    await addSignedIn(h, server, 'always', { refresh: { proactive: 'always' } });
    expect(h.broker.getAccount('always')).toMatchObject({ refreshMode: 'proactive' });
    server.resetCounters();
    h.clock.advance(49 * MINUTE);
    const refreshed = nextEvent(h.broker, (event) => event.type === 'token_refreshed');
    h.timers.fire();
    await refreshed;
    expect(server.tokenRequests).toEqual({ refresh_token: 1 });

    const never = await harness({ schedule: true });
    await addSignedIn(never, server, 'never', { refresh: { proactive: 'never' } });
    await never.broker.getToken('never');
    expect(never.broker.getAccount('never')).toMatchObject({ refreshMode: 'on_demand' });
    server.resetCounters();
    never.clock.advance(HOUR - 10_000);
    await fireAndSettle(never);
    expect(server.tokenRequests).toEqual({});
    // On demand: the request that finds it about to expire refreshes it.
    await never.broker.getToken('never');
    expect(server.tokenRequests).toEqual({ refresh_token: 1 });
  });

  it('refreshes tokens living under a minute on demand only, however much they are used', async () => {
    server.setAccessTokenTtl(30);
    try {
      const h = await harness({ schedule: true });
      await addSignedIn(h, server, 'short');
      await h.broker.getToken('short');
      expect(h.broker.getAccount('short')).toMatchObject({ refreshMode: 'on_demand' });
      server.resetCounters();
      // Used every 5 s for 2 minutes: one refresh per expiry, none from the scheduler.
      for (let second = 0; second < 120; second += 5) {
        h.clock.advance(5_000);
        await fireAndSettle(h);
        await h.broker.getToken('short');
      }
      const refreshes = server.tokenRequests['refresh_token'] ?? 0;
      // 30-s tokens, fresh while more than a quarter of their life (7.5 s) is left: every 25 s.
      expect(refreshes).toBeGreaterThanOrEqual(4);
      expect(refreshes).toBeLessThanOrEqual(5);
    } finally {
      server.setAccessTokenTtl(3600);
    }
  });

  it('remembers across a restart which accounts are in use (from the audit log)', async () => {
    const first = await harness({ schedule: true, keepDataDir: true });
    await addSignedIn(first, server, 'work');
    await first.broker.getToken('work', { client: 'deploy.sh' });
    const usedAt = first.clock.now();
    await first.dispose();

    const again = await harness({ schedule: true, dataDir: first.dataDir, clock: first.clock });
    expect(again.broker.getAccount('work')).toMatchObject({ refreshMode: 'proactive', lastUsedAt: usedAt });
    server.resetCounters();
    again.clock.advance(49 * MINUTE);
    const refreshed = nextEvent(again.broker, (event) => event.type === 'token_refreshed');
    again.timers.fire();
    await refreshed;
    expect(server.tokenRequests).toEqual({ refresh_token: 1 });
  });
});
