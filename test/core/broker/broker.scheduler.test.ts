/**
 * Proactive refresh against the real fixture, with a fake clock and hand-fired timers:
 * ahead of expiry, catch-up after the machine slept, backoff while the provider is down.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SLEEP_MS } from '../../../main/core/broker/scheduler.js';
import { useAuthServers } from '../../support/fixtures.js';
import { addSignedIn, nextEvent, useHarnesses } from './harness.js';

const MINUTE = 60_000;

// `down` is a second provider that one test takes down.
const { server, down } = useAuthServers(['server', 'down'], {}, { freshCounters: true });
const harness = useHarnesses();

describe('proactive refresh', () => {
  it('refreshes a used account at 80 % of a one-hour lifetime, never sleeping more than 60 s at a time', async () => {
    const h = await harness({ schedule: true });
    await addSignedIn(h, server, 'work');
    await h.broker.getToken('work');
    const expiresAt = h.broker.getAccount('work').expiresAt!;
    server.resetCounters();
    expect(h.timers.armed().every((timer) => timer.delayMs <= MAX_SLEEP_MS)).toBe(true);

    h.clock.advance(47 * MINUTE);
    h.timers.fire();
    expect(server.tokenRequests).toEqual({});
    expect(h.timers.armed()).toHaveLength(1);

    h.clock.advance(2 * MINUTE);
    const refreshed = nextEvent(h.broker, (event) => event.type === 'token_refreshed');
    h.timers.fire();
    await refreshed;
    expect(server.tokenRequests['refresh_token']).toBe(1);
    expect(h.broker.getAccount('work').expiresAt).toBeGreaterThan(expiresAt);
    // A caller now gets the new token from memory.
    await h.broker.getToken('work');
    expect(server.tokenRequests['refresh_token']).toBe(1);
  });

  it('catches up at once after the machine slept through the due time', async () => {
    const h = await harness({ schedule: true });
    await addSignedIn(h, server, 'work');
    await h.broker.getToken('work');
    server.resetCounters();
    h.clock.advance(5 * 60 * MINUTE);
    expect(h.broker.getAccount('work').status).toBe('expired');
    const refreshed = nextEvent(h.broker, (event) => event.type === 'token_refreshed');
    h.timers.fire(); // the short timer fires (late) on wake-up
    await refreshed;
    expect(server.tokenRequests['refresh_token']).toBe(1);
    expect(h.broker.getAccount('work').status).toBe('ok');
  });

  it('backs off exponentially while the provider is unreachable, and serves the still-valid token', async () => {
    const h = await harness({ schedule: true });
    await addSignedIn(h, down, 'work');
    const cached = await h.broker.getToken('work');
    await down.close();

    h.clock.advance(49 * MINUTE);
    let failed = nextEvent(h.broker, (event) => event.type === 'refresh_failed');
    h.timers.fire();
    expect(await failed).toMatchObject({ type: 'refresh_failed', account: 'work', error: { code: 'PROVIDER_UNREACHABLE' } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.timers.armed().map((timer) => timer.delayMs)).toEqual([10_000]);
    expect(h.broker.getAccount('work')).toMatchObject({ status: 'error', lastError: { code: 'PROVIDER_UNREACHABLE' } });

    h.clock.advance(10_000);
    failed = nextEvent(h.broker, (event) => event.type === 'refresh_failed');
    h.timers.fire();
    await failed;
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.timers.armed().map((timer) => timer.delayMs)).toEqual([20_000]);

    // Close to expiry a caller triggers a refresh that fails; the cached token still works.
    h.clock.advance(10 * MINUTE + 45_000);
    expect((await h.broker.getToken('work')).accessToken).toBe(cached.accessToken);
    // Once expired there is nothing valid left to give.
    h.clock.advance(MINUTE);
    await expect(h.broker.getToken('work')).rejects.toMatchObject({ code: 'PROVIDER_UNREACHABLE' });
  });

  it('arms no timer when disabled, and stops on close', async () => {
    const off = await harness({ schedule: false });
    await addSignedIn(off, server, 'work');
    expect(off.timers.armed()).toHaveLength(0);
    await off.dispose();

    const h = await harness({ schedule: true });
    await addSignedIn(h, server, 'work');
    expect(h.timers.armed()).toHaveLength(1);
    await h.broker.close();
    expect(h.timers.armed()).toHaveLength(0);
  });
});
