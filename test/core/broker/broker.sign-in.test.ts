/**
 * Sign-in orchestration for every grant against the real fixture: authorization code (loopback,
 * completed over HTTP as the test user), device code, password and implicit (legacy opt-in),
 * legacy refusal before any network, cancellation, one sign-in per account.
 */
import { describe, expect, it } from 'vitest';
import type { SignInProgress } from '../../../main/core/broker/index.js';
import { useAuthServer } from '../../support/fixtures.js';
import { completeLoginHttp, followStartUrl } from '../../support/login.js';
import { basicSecrets, completeImplicitHttp, passwordAccount, signInInteractively, useHarnesses } from './harness.js';

const server = useAuthServer({}, { freshCounters: true });
const harness = useHarnesses();

function phases(progress: SignInProgress[]): string[] {
  return progress.map((entry) => entry.phase);
}

describe('signIn', () => {
  it('runs the authorization code grant through the loopback redirect', async () => {
    const h = await harness();
    await h.broker.addAccount({
      name: 'code',
      provider: { issuer: server.issuer },
      client: { id: server.clients.public.clientId, auth: 'none' },
      grant: 'authorization_code',
      scopes: ['openid', 'api'],
    });
    const progress = await signInInteractively(h.broker, server, 'code');
    expect(phases(progress)).toEqual(['starting', 'waiting_for_browser', 'exchanging', 'done']);
    const waiting = progress[1] as Extract<SignInProgress, { phase: 'waiting_for_browser' }>;
    // The browser gets the one-shot start URL on the loopback listener, never the authorization URL.
    expect(waiting.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/start\/[A-Za-z0-9_-]+$/);
    expect(h.broker.getAccount('code')).toMatchObject({ status: 'ok', hasRefreshToken: true });
    expect(
      h.events
        .filter((event) => event.type === 'sign_in_progress')
        .map((event) => event.type === 'sign_in_progress' && event.progress.phase),
    ).toEqual(phases(progress));
    const details = h.broker.tokenDetails('code');
    expect(details?.hasIdToken).toBe(true);
    expect(details?.idTokenClaims?.['sub']).toBe('alice');
    expect(JSON.stringify(details)).not.toContain(h.vault.get('code')!.tokens!.accessToken);
    const token = await h.broker.getToken('code');
    expect((await server.introspect(token.accessToken)).active).toBe(true);
  });

  it("sends the account's extra parameters on the authorization request (e.g. Google's access_type=offline)", async () => {
    const h = await harness();
    await h.broker.addAccount({
      name: 'offline',
      provider: { issuer: server.issuer, extraParams: { access_type: 'offline', prompt: 'consent' } },
      client: { id: server.clients.public.clientId, auth: 'none' },
      grant: 'authorization_code',
      scopes: ['openid', 'api'],
    });
    let authorizationUrl = '';
    await signInInteractively(h.broker, server, 'offline', async (progress) => {
      if (progress.phase !== 'waiting_for_browser') return;
      const started = await followStartUrl(progress.url);
      authorizationUrl = started.url;
      await completeLoginHttp(started.url, started.cookie === undefined ? {} : { cookie: started.cookie });
    });
    const params = new URL(authorizationUrl).searchParams;
    expect(params.get('access_type')).toBe('offline');
    expect(params.get('prompt')).toBe('consent');
    expect(h.broker.getAccount('offline')).toMatchObject({ status: 'ok', hasRefreshToken: true });
  });

  it('runs the device authorization grant and reports the user code', async () => {
    const h = await harness();
    await h.broker.addAccount(
      {
        name: 'device',
        provider: { issuer: server.issuer },
        client: { id: server.clients.basic.clientId },
        grant: 'device_code',
        scopes: ['openid', 'api'],
      },
      basicSecrets(server),
    );
    const progress = await signInInteractively(h.broker, server, 'device');
    expect(phases(progress)).toEqual(['starting', 'device_code', 'exchanging', 'done']);
    expect(progress[1]).toMatchObject({
      phase: 'device_code',
      userCode: expect.any(String),
      verificationUri: expect.stringContaining(server.issuer),
    });
    expect(h.broker.getAccount('device').status).toBe('ok');
  });

  it('runs the password grant with the opt-in, using the password once', async () => {
    const h = await harness();
    await h.broker.addAccount(passwordAccount(server, 'pw'), basicSecrets(server));
    const progress: SignInProgress[] = [];
    await h.broker.signIn('pw', {
      username: server.user.username,
      password: server.user.password,
      onProgress: (entry) => progress.push(entry),
    });
    expect(phases(progress)).toEqual(['starting', 'exchanging', 'done']);
    expect(server.tokenRequests['password']).toBe(1);
    expect(JSON.stringify(h.vault.get('pw'))).not.toContain(server.user.password);

    const wrong = await h.broker.signIn('pw', { username: server.user.username, password: 'nope' }).catch((error: unknown) => error);
    expect(wrong).toMatchObject({ code: 'OAUTH_ERROR', oauthError: 'invalid_grant' });
    await expect(h.broker.signIn('pw', {})).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('runs the implicit grant with the opt-in (fragment relayed by the loopback page)', async () => {
    const h = await harness();
    await h.broker.addAccount({
      name: 'implicit',
      // Explicit endpoints: the fixture's implicit route is not the discovered authorization
      // endpoint. It still sends RFC 9207 `iss`, which an account without an issuer accepts.
      provider: {
        authorizationEndpoint: `${server.issuer}/implicit/authorize`,
        tokenEndpoint: `${server.issuer}/token`,
        revocationEndpoint: `${server.issuer}/token/revocation`,
      },
      client: { id: server.clients.public.clientId, auth: 'none' },
      grant: 'implicit',
      scopes: ['api'],
      allowLegacy: true,
    });
    const progress = await signInInteractively(h.broker, server, 'implicit', async (entry) => {
      if (entry.phase === 'waiting_for_browser') await completeImplicitHttp(entry.url);
    });
    expect(phases(progress)).toEqual(['starting', 'waiting_for_browser', 'exchanging', 'done']);
    expect(h.broker.getAccount('implicit')).toMatchObject({ status: 'ok', hasRefreshToken: false });
    const token = await h.broker.getToken('implicit');
    expect((await server.introspect(token.accessToken)).active).toBe(true);
    // Nothing can renew it: handed out until it expires, then a new sign-in is needed.
    h.clock.current = token.expiresAt! - 10_000;
    expect((await h.broker.getToken('implicit')).accessToken).toBe(token.accessToken);
    await expect(h.broker.getToken('implicit', { minTtl: 60 })).rejects.toMatchObject({ code: 'NEEDS_LOGIN' });
    h.clock.current = token.expiresAt! + 1;
    await expect(h.broker.getToken('implicit')).rejects.toMatchObject({ code: 'NEEDS_LOGIN' });
    expect(h.broker.getAccount('implicit').status).toBe('needs_login');
  });

  it('refuses legacy grants without the opt-in before anything reaches the provider', async () => {
    const first = await harness({ keepDataDir: true });
    await expect(
      first.broker.addAccount(passwordAccount(server, 'pw', { allowLegacy: false }), basicSecrets(server)),
    ).rejects.toMatchObject({
      code: 'LEGACY_GRANT_REFUSED',
    });
    // A config edited by hand can still name a legacy grant without the opt-in: refused at sign-in.
    await first.configStore.update((config) => ({ ...config, accounts: [...config.accounts, legacyWithoutOptIn()] }));
    await first.broker.close();
    const h = await harness({ dataDir: first.dataDir });
    const progress: SignInProgress[] = [];
    await expect(
      h.broker.signIn('legacy', {
        username: server.user.username,
        password: server.user.password,
        onProgress: (entry) => progress.push(entry),
      }),
    ).rejects.toMatchObject({ code: 'LEGACY_GRANT_REFUSED' });
    expect(progress).toEqual([]);
    expect(server.tokenRequests).toEqual({});
  });

  it('cancels a sign-in waiting for the browser', async () => {
    const h = await harness();
    await h.broker.addAccount({
      name: 'code',
      provider: { issuer: server.issuer },
      client: { id: server.clients.public.clientId, auth: 'none' },
      grant: 'authorization_code',
    });
    const progress: SignInProgress[] = [];
    let waiting: () => void = () => {};
    const reachedBrowser = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const signIn = h.broker.signIn('code', {
      noBrowser: true,
      onProgress: (entry) => {
        progress.push(entry);
        if (entry.phase === 'waiting_for_browser') waiting();
      },
    });
    await reachedBrowser;
    expect(h.broker.cancelSignIn('code')).toBe(true);
    await expect(signIn).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(phases(progress)).toEqual(['starting', 'waiting_for_browser', 'cancelled']);
    expect(h.broker.cancelSignIn('code')).toBe(false);
    expect(h.broker.getAccount('code').status).toBe('needs_login');
  });

  it('close() cancels a sign-in in progress', async () => {
    const h = await harness();
    await h.broker.addAccount({
      name: 'code',
      provider: { issuer: server.issuer },
      client: { id: server.clients.public.clientId, auth: 'none' },
      grant: 'authorization_code',
    });
    let waiting: () => void = () => {};
    const reachedBrowser = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const outcome = h.broker
      .signIn('code', { noBrowser: true, onProgress: (entry) => entry.phase === 'waiting_for_browser' && waiting() })
      .catch((error: unknown) => error);
    await reachedBrowser;
    await h.broker.close();
    expect(await outcome).toMatchObject({ code: 'CANCELLED' });
  });

  it('cancels through the caller’s AbortSignal, and a second sign-in replaces the first', async () => {
    const h = await harness();
    await h.broker.addAccount(
      // (the fixture's device approval needs the openid scope)
      {
        name: 'device',
        provider: { issuer: server.issuer },
        client: { id: server.clients.basic.clientId },
        grant: 'device_code',
        scopes: ['openid'],
      },
      basicSecrets(server),
    );
    const controller = new AbortController();
    let codes = 0;
    let firstCode: () => void = () => {};
    const shown = new Promise<void>((resolve) => {
      firstCode = resolve;
    });
    const first = h.broker.signIn('device', {
      signal: controller.signal,
      onProgress: (entry) => {
        if (entry.phase === 'device_code') {
          codes += 1;
          firstCode();
        }
      },
    });
    await shown;
    // The second sign-in cancels the first.
    const second = signInInteractively(h.broker, server, 'device');
    await expect(first).rejects.toMatchObject({ code: 'CANCELLED' });
    await second;
    expect(codes).toBe(1);
    expect(h.broker.getAccount('device').status).toBe('ok');

    const third = h.broker.signIn('device', { signal: AbortSignal.abort() });
    await expect(third).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('fetches a token for client credentials accounts', async () => {
    const h = await harness();
    await h.broker.addAccount(
      {
        name: 'svc',
        provider: { issuer: server.issuer },
        client: { id: server.clients.post.clientId, auth: 'post' },
        grant: 'client_credentials',
      },
      { clientSecret: server.clients.post.clientSecret },
    );
    await h.broker.signIn('svc');
    expect(server.tokenRequests['client_credentials']).toBe(1);
    expect(h.broker.getAccount('svc').status).toBe('ok');
    await h.broker.getToken('svc');
    expect(server.tokenRequests['client_credentials']).toBe(1);
  });
});

function legacyWithoutOptIn() {
  return {
    name: 'legacy',
    provider: { issuer: server.issuer },
    client: { id: server.clients.public.clientId, auth: 'none' as const },
    grant: 'password' as const,
    scopes: [],
    allowLegacy: false,
    approval: 'auto' as const,
    dpop: 'auto' as const,
  };
}
