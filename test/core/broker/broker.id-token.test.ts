/**
 * ID tokens as credentials, against the real fixture, vault and OAuth engine (only time is fake):
 * the ID token's own expiry, a refresh when only the ID token is expiring, providers that return
 * no ID token on refresh, accounts that cannot have one, and the audit trail.
 */
import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountInput } from '../../../main/core/accounts/model.js';
import { isBrokerError } from '../../../main/core/errors.js';
import { useAuthServer } from '../../support/fixtures.js';
import { addSignedIn, basicSecrets, nextEvent, signInInteractively, useHarnesses, type Harness } from './harness.js';

const MINUTE = 60_000;

const server = useAuthServer({}, { freshCounters: true });
const harness = useHarnesses();

afterEach(() => {
  server.setIdTokenTtl(3600);
  server.setIdTokenOnRefresh(true);
  server.setAccessTokenTtl(3600);
});

function codeAccount(name: string, extra: Partial<AccountInput> = {}): AccountInput {
  return {
    name,
    provider: { issuer: server.issuer },
    client: { id: server.clients.basic.clientId, auth: 'basic' },
    grant: 'authorization_code',
    scopes: ['openid', 'api'],
    ...extra,
  };
}

async function signedIn(name = 'oidc', extra: Partial<AccountInput> = {}): Promise<Harness> {
  const h = await harness();
  await h.broker.addAccount(codeAccount(name, extra), basicSecrets(server));
  await signInInteractively(h.broker, server, name);
  server.resetCounters();
  return h;
}

async function brokerError(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isBrokerError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a BrokerError');
}

describe('getIdToken', () => {
  it('hands out the ID token with its own expiry from exp, from memory', async () => {
    server.setIdTokenTtl(1800);
    const h = await signedIn();
    const first = await h.broker.getIdToken('oidc', { client: 'kubectl' });
    const claims = decodeJwt(first.idToken);
    expect(claims.aud).toBe(server.clients.basic.clientId);
    expect(first.expiresAt).toBe((claims.exp as number) * 1000);
    expect(first.expiresIn).toBeGreaterThan(1700);
    expect(first.expiresIn).toBeLessThanOrEqual(1800);
    const access = await h.broker.getToken('oidc');
    expect(access.expiresAt).not.toBe(first.expiresAt);
    expect((await h.broker.getIdToken('oidc')).idToken).toBe(first.idToken);
    expect(server.tokenRequests).toEqual({});
    const [second, token, firstEntry] = h.broker.auditLog({ account: 'oidc', limit: 3 });
    expect(firstEntry).toMatchObject({ client: 'kubectl', outcome: 'granted', kind: 'id_token' });
    expect(token).toMatchObject({ outcome: 'granted' });
    expect(token?.kind).toBeUndefined();
    expect(second).toMatchObject({ outcome: 'granted', kind: 'id_token' });
  });

  it('refreshes once when only the ID token is expiring, however many callers ask', async () => {
    server.setIdTokenTtl(600);
    const h = await signedIn();
    const before = await h.broker.getIdToken('oidc');
    const accessBefore = await h.broker.getToken('oidc');
    h.clock.advance(9 * MINUTE + 45_000); // 15 s left on the ID token, ~50 min on the access token
    expect((await h.broker.getToken('oidc')).accessToken).toBe(accessBefore.accessToken);
    expect(server.tokenRequests).toEqual({});
    // The provider's exp follows its real clock, the broker's clock is 10 minutes ahead: a
    // longer-lived refreshed ID token is one the broker sees as fresh (and tells apart).
    server.setIdTokenTtl(3600);

    const handouts = await Promise.all(Array.from({ length: 20 }, () => h.broker.getIdToken('oidc')));
    expect(server.tokenRequests['refresh_token']).toBe(1);
    expect(new Set(handouts.map((handout) => handout.idToken)).size).toBe(1);
    const renewed = decodeJwt(handouts[0]?.idToken ?? '');
    expect(handouts[0]?.idToken).not.toBe(before.idToken);
    expect(renewed.sub).toBe('alice');
    expect((renewed.exp ?? 0) - (renewed.iat ?? 0)).toBe(3600);
    // The refresh renewed the access token too (one token set).
    expect((await h.broker.getToken('oidc')).accessToken).not.toBe(accessBefore.accessToken);
    expect(server.tokenRequests['refresh_token']).toBe(1);
  });

  it('honours min_ttl against the ID token', async () => {
    server.setIdTokenTtl(600);
    const h = await signedIn();
    await h.broker.getIdToken('oidc', { minTtl: 300 });
    expect(server.tokenRequests).toEqual({});
    server.setIdTokenTtl(1200);
    const longer = await h.broker.getIdToken('oidc', { minTtl: 900 });
    expect(server.tokenRequests['refresh_token']).toBe(1);
    expect(longer.expiresIn).toBeGreaterThan(900);
  });

  it('treats a refreshed ID token that expires no later as not renewed (no refresh loop)', async () => {
    server.setIdTokenTtl(600);
    const h = await harness({ schedule: true });
    await h.broker.addAccount(codeAccount('fixed', { kubernetes: { tokenType: 'id_token' } }), basicSecrets(server));
    await signInInteractively(h.broker, server, 'fixed');
    // Used, so the proactive refresh runs (an account nobody used is idle: issue 15).
    await h.broker.getIdToken('fixed');
    server.resetCounters();
    // The provider now issues ID tokens that end sooner than the held one (as if exp stayed fixed).
    server.setIdTokenTtl(300);
    const refreshed = nextEvent(h.broker, (event) => event.type === 'token_refreshed' && event.account === 'fixed');
    h.clock.advance(5 * MINUTE + 5_000);
    h.timers.fire();
    await refreshed;
    expect(server.tokenRequests['refresh_token']).toBe(1);
    // Once the run has settled, the scheduler sleeps towards the access token's refresh (≈ 48 min)
    // instead of coming straight back for the ID token.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const armed = h.timers.armed();
    expect(armed.length).toBeGreaterThan(0);
    expect(armed.every((timer) => timer.delayMs > 0)).toBe(true);
    const error = await brokerError(h.broker.getIdToken('fixed', { minTtl: 600 }));
    expect(error.message).toContain('returned no new ID token on refresh');
    expect(server.tokenRequests['refresh_token']).toBe(1);
  });

  describe('when the provider returns no ID token on refresh', () => {
    it('hands out the held one while it lasts, then answers NEEDS_LOGIN naming the provider behaviour — never an expired one', async () => {
      server.setIdTokenTtl(600);
      const h = await signedIn();
      const held = await h.broker.getIdToken('oidc');
      server.setIdTokenOnRefresh(false);

      h.clock.advance(9 * MINUTE + 45_000);
      // Stale but valid, and no minimum asked: one refresh (which brings no ID token), then the held one.
      expect((await h.broker.getIdToken('oidc')).idToken).toBe(held.idToken);
      expect(server.tokenRequests['refresh_token']).toBe(1);
      // The provider's behaviour is known now: no refresh per request.
      expect((await h.broker.getIdToken('oidc')).idToken).toBe(held.idToken);
      expect(server.tokenRequests['refresh_token']).toBe(1);
      // A caller that needs a minimum lifetime the held one lacks:
      const tooShort = await brokerError(h.broker.getIdToken('oidc', { minTtl: 60 }));
      expect(tooShort.code).toBe('NEEDS_LOGIN');
      expect(tooShort.message).toContain('expires sooner than the caller needs');

      h.clock.advance(MINUTE);
      const expired = await brokerError(h.broker.getIdToken('oidc'));
      expect(expired.code).toBe('NEEDS_LOGIN');
      expect(expired.message).toMatch(
        /has expired, and its provider returned no new ID token on refresh \(it issues ID tokens only at sign-in\)/,
      );
      expect(expired.message).toContain('token-broker login oidc');
      expect(server.tokenRequests['refresh_token']).toBe(1);
      // The access token is unaffected.
      expect((await h.broker.getToken('oidc')).tokenType).toBe('Bearer');
      expect(h.broker.auditLog({ account: 'oidc', limit: 2 })[1]).toMatchObject({
        outcome: 'needs_login',
        code: 'NEEDS_LOGIN',
        kind: 'id_token',
      });
    });

    it('finds out on the first refresh after the ID token expired, and a sign-in brings a new one', async () => {
      server.setIdTokenTtl(600);
      const h = await signedIn();
      server.setIdTokenOnRefresh(false);
      h.clock.advance(11 * MINUTE);
      const expired = await brokerError(h.broker.getIdToken('oidc'));
      expect(expired.code).toBe('NEEDS_LOGIN');
      expect(expired.message).toContain('returned no new ID token on refresh');
      expect(server.tokenRequests['refresh_token']).toBe(1);

      server.setIdTokenTtl(3600); // fresh at the broker's clock, which is 11 minutes ahead
      await signInInteractively(h.broker, server, 'oidc');
      const renewed = await h.broker.getIdToken('oidc');
      expect(renewed.expiresAt).toBeGreaterThan(h.clock.now());
    });
  });

  it('never hands out an expired ID token when the provider is down, but does hand out a still-valid one', async () => {
    server.setIdTokenTtl(600);
    const h = await signedIn();
    const held = await h.broker.getIdToken('oidc');
    h.clock.advance(9 * MINUTE + 45_000);
    server.injectTokenResponse({ status: 503, body: 'down for maintenance' });
    expect((await h.broker.getIdToken('oidc')).idToken).toBe(held.idToken);

    h.clock.advance(MINUTE);
    server.injectTokenResponse({ status: 503, body: 'down for maintenance' });
    const down = await brokerError(h.broker.getIdToken('oidc'));
    expect(down.code).toBe('PROVIDER_ERROR');
  });

  it('drops a refreshed ID token that names another user (OpenID Connect Core §12.2) and asks for a sign-in', async () => {
    server.setIdTokenTtl(600);
    const h = await signedIn();
    const held = await h.broker.getIdToken('oidc');
    const [header, payload] = held.idToken.split('.');
    const other = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
    const now = Math.floor(h.clock.now() / 1000);
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...other, sub: 'mallory', iat: now, exp: now + 3600 })).toString('base64url')}.c2ln`;
    server.injectTokenResponse({
      status: 200,
      grantType: 'refresh_token',
      body: { access_token: 'injected-access-token', token_type: 'Bearer', expires_in: 3600, id_token: forged },
    });
    h.clock.advance(9 * MINUTE + 45_000);
    const refused = await brokerError(h.broker.getIdToken('oidc'));
    expect(refused.code).toBe('NEEDS_LOGIN');
    expect(refused.message).toContain('has no ID token');
    expect(h.log.lines.some((line) => line.includes("the ID token from refreshing 'oidc' was not kept: it names another user"))).toBe(true);
    expect(h.log.lines.join('\n')).not.toContain(forged);
    // The access token from that refresh is kept.
    expect((await h.broker.getToken('oidc')).accessToken).toBe('injected-access-token');
  });

  describe('accounts without an ID token', () => {
    it('CONFIG_INVALID without openid among the scopes', async () => {
      const h = await signedIn('no-openid', { scopes: ['api'] });
      const error = await brokerError(h.broker.getIdToken('no-openid'));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain('does not request the openid scope');
      expect(server.tokenRequests).toEqual({});
    });

    it('CONFIG_INVALID for a grant that yields none (client credentials)', async () => {
      const h = await harness();
      await h.broker.addAccount({ ...codeAccount('svc'), grant: 'client_credentials', scopes: ['openid', 'api'] }, basicSecrets(server));
      const error = await brokerError(h.broker.getIdToken('svc'));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain('client_credentials grant, which yields no ID token');
    });

    it('NEEDS_LOGIN when the sign-in brought none (the fixture’s password grant) or there was no sign-in', async () => {
      const h = await harness();
      await addSignedIn(h, server, 'pw');
      const error = await brokerError(h.broker.getIdToken('pw'));
      expect(error.code).toBe('NEEDS_LOGIN');
      expect(error.message).toContain("Account 'pw' has no ID token");

      await h.broker.addAccount(codeAccount('fresh'), basicSecrets(server));
      expect((await brokerError(h.broker.getIdToken('fresh'))).code).toBe('NEEDS_LOGIN');
      expect((await brokerError(h.broker.getIdToken('missing'))).code).toBe('ACCOUNT_NOT_FOUND');
    });
  });

  it('shows the ID token expiry on the account, and marks the account as using it once handed out', async () => {
    server.setIdTokenTtl(900);
    const h = await signedIn();
    const summary = h.broker.getAccount('oidc');
    expect(summary.idTokenExpiresAt).toBeGreaterThan(h.clock.now() + 14 * MINUTE);
    expect(summary.idTokenExpiresAt).toBeLessThan(summary.expiresAt ?? 0);
    expect(summary.usesIdToken).toBeUndefined();
    h.events.length = 0;
    await h.broker.getIdToken('oidc');
    expect(h.broker.getAccount('oidc').usesIdToken).toBe(true);
    expect(h.events.filter((event) => event.type === 'accounts_changed')).toHaveLength(1);
    await h.broker.getIdToken('oidc');
    expect(h.events.filter((event) => event.type === 'accounts_changed')).toHaveLength(1);
    const configured = await signedIn('k8s', { kubernetes: { tokenType: 'id_token' } });
    expect(configured.broker.getAccount('k8s').usesIdToken).toBe(true);
  });

  it('refreshes proactively before the ID token expires for an account that uses it', async () => {
    server.setIdTokenTtl(600);
    const h = await harness({ schedule: true });
    await h.broker.addAccount(codeAccount('k8s', { kubernetes: { tokenType: 'id_token' } }), basicSecrets(server));
    await signInInteractively(h.broker, server, 'k8s');
    server.resetCounters();
    const held = await h.broker.getIdToken('k8s');
    // A 10-minute ID token is renewed 5 minutes before it expires (token-policy's lead); the
    // access token's own refresh would come only after 48 minutes.
    const refreshed = nextEvent(h.broker, (event) => event.type === 'token_refreshed' && event.account === 'k8s');
    server.setIdTokenTtl(3600); // the renewed one, told apart by its lifetime
    h.clock.advance(5 * MINUTE + 5_000);
    h.timers.fire();
    await refreshed;
    const after = await h.broker.getIdToken('k8s');
    expect(after.idToken).not.toBe(held.idToken);
    expect(server.tokenRequests['refresh_token']).toBe(1);
    expect(h.broker.getAccount('k8s').idTokenExpiresAt).toBe(after.expiresAt);
  });
});
