/**
 * Token exchange in the broker (RFC 8693) against the fixture's exchange grant, with a fake clock
 * and hand-fired timers: the cache per target, the allow-list, proactive re-exchange, and what a
 * sign-out does to exchanged tokens.
 */
import { describe, expect, it } from 'vitest';
import { FIXTURE_EXCHANGE_AUDIENCES, TOKEN_EXCHANGE_GRANT_TYPE } from '../../support/auth-server.js';
import { useAuthServer } from '../../support/fixtures.js';
import { addSignedIn, nextEvent, useHarnesses } from './harness.js';

const MINUTE = 60_000;
const [API, REPORTS] = FIXTURE_EXCHANGE_AUDIENCES as readonly [string, string];
const server = useAuthServer({}, { freshCounters: true });
const harness = useHarnesses();
const exchanges = (): number => server.tokenRequests[TOKEN_EXCHANGE_GRANT_TYPE] ?? 0;

describe('token exchange', () => {
  it('caches per (audience, resource, scope) and answers repeats from memory', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work', { tokenExchange: { audiences: [API, REPORTS] } });
    server.resetCounters();
    const forApi = await h.broker.getToken('work', { audience: API, client: 'etl' });
    expect(forApi).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600 });
    expect(await h.broker.getToken('work', { audience: API })).toEqual(expect.objectContaining({ accessToken: forApi.accessToken }));
    const narrow = await h.broker.getToken('work', { audience: API, scope: 'api' });
    const both = await h.broker.getToken('work', { audience: API, resource: REPORTS });
    expect(new Set([forApi.accessToken, narrow.accessToken, both.accessToken]).size).toBe(3);
    expect(exchanges()).toBe(3);
    expect(h.broker.auditLog({ account: 'work', limit: 1 })[0]).toMatchObject({ kind: 'exchange', outcome: 'granted' });
    // refresh() with a target re-exchanges.
    const forced = await h.broker.refresh('work', { audience: API });
    expect(forced.accessToken).not.toBe(forApi.accessToken);
    expect(exchanges()).toBe(4);
  });

  it('refuses targets the account does not name, before anything reaches the provider, and audits the refusal', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work', { tokenExchange: { audiences: [API] } });
    server.resetCounters();
    await expect(h.broker.getToken('work', { audience: REPORTS })).rejects.toMatchObject({ code: 'DENIED' });
    await expect(h.broker.getToken('work', { audience: API, resource: REPORTS })).rejects.toMatchObject({ code: 'DENIED' });
    await expect(h.broker.getToken('work', { audience: 'has space' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(exchanges()).toBe(0);
    // Newest first: the malformed target is refused (issue 10's `refused`), the unlisted ones denied.
    expect(h.broker.auditLog({ account: 'work', limit: 2 })).toMatchObject([
      { kind: 'exchange', outcome: 'refused', code: 'INVALID_REQUEST' },
      { kind: 'exchange', outcome: 'denied', code: 'DENIED' },
    ]);
  });

  it('re-exchanges proactively before the exchanged token expires, like the main token', async () => {
    const h = await harness({ schedule: true });
    await addSignedIn(h, server, 'work', { tokenExchange: { audiences: [API] } });
    const exchanged = await h.broker.getToken('work', { audience: API });
    server.resetCounters();
    h.clock.advance(49 * MINUTE);
    const refreshed = nextEvent(h.broker, (event) => event.type === 'token_refreshed');
    h.timers.fire();
    await refreshed;
    // The re-exchange runs beside the main refresh (no event of its own): wait until it landed.
    // Meanwhile every getToken is answered from memory (the old token is still fresh).
    const current = async (): Promise<string> => (await h.broker.getToken('work', { audience: API })).accessToken;
    for (let i = 0; i < 250 && (await current()) === exchanged.accessToken; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(exchanges()).toBe(1);
    const now = await h.broker.getToken('work', { audience: API });
    expect(now.accessToken).not.toBe(exchanged.accessToken);
    expect(now.expiresIn).toBeGreaterThan(3500);
    expect(exchanges()).toBe(1);
  });

  it('forgets exchanged tokens on sign-out', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work', { tokenExchange: { audiences: [API] } });
    await h.broker.getToken('work', { audience: API });
    await h.broker.logout('work');
    await expect(h.broker.getToken('work', { audience: API })).rejects.toMatchObject({ code: 'NEEDS_LOGIN' });
  });
});
