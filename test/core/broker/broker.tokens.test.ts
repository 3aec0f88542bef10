/**
 * The token service against the real fixture, vault and OAuth engine: cache, min_ttl, the
 * refresh herd, per-account isolation, rotation durability, invalid_grant, client credentials
 * and narrower scopes.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBrokerError } from '../../../main/core/errors.js';
import { defaultGrantPort } from '../../../main/core/broker/grant-port.js';
import { createHttpClient, refreshTokenGrant, resolveProviderMetadata } from '../../../main/core/oauth/index.js';
import { createKeytarSecretStore, openVault, VAULT_FILE_NAME } from '../../../main/core/vault/index.js';
import { useAuthServer } from '../../support/fixtures.js';
import { addSignedIn, basicSecrets, grantsWith, useHarnesses } from './harness.js';

const HOUR = 3600_000;

const server = useAuthServer({}, { freshCounters: true });
const harness = useHarnesses();

describe('getToken', () => {
  it('answers from memory while the token is fresh, without calling the provider', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work');
    server.resetCounters();
    const first = await h.broker.getToken('work', { client: 'test' });
    const second = await h.broker.getToken('work', { client: 'test' });
    expect(second.accessToken).toBe(first.accessToken);
    expect(first.tokenType).toBe('Bearer');
    expect(first.expiresIn).toBeGreaterThan(3500);
    expect(first.scope).toContain('api');
    expect(server.tokenRequests).toEqual({});
    expect(h.broker.getAccount('work').status).toBe('ok');
  });

  it('refreshes when the token would not last min_ttl, and after expiry', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work');
    server.resetCounters();
    const before = await h.broker.getToken('work');
    const longer = await h.broker.getToken('work', { minTtl: 2 * 3600 });
    expect(server.tokenRequests['refresh_token']).toBe(1);
    expect(longer.accessToken).not.toBe(before.accessToken);

    h.clock.advance(2 * HOUR);
    expect(h.broker.getAccount('work').status).toBe('expired');
    const afterExpiry = await h.broker.getToken('work');
    expect(server.tokenRequests['refresh_token']).toBe(2);
    expect(afterExpiry.accessToken).not.toBe(longer.accessToken);
    expect(h.broker.getAccount('work').status).toBe('ok');
    expect(h.events.some((event) => event.type === 'token_refreshed' && event.account === 'work')).toBe(true);
  });

  it('sends exactly one refresh to the provider for 50 concurrent requests on an expired token', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work');
    server.resetCounters();
    h.clock.advance(2 * HOUR);
    const handouts = await Promise.all(Array.from({ length: 50 }, () => h.broker.getToken('work')));
    expect(server.tokenRequests['refresh_token']).toBe(1);
    expect(new Set(handouts.map((handout) => handout.accessToken)).size).toBe(1);
  });

  it('keeps a slow refresh of one account from delaying another', async () => {
    let releaseSlow: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const slow: { refreshToken?: string | undefined } = {};
    const h = await harness({
      grants: grantsWith({
        refreshTokenGrant: async (params) => {
          if (params.refreshToken === slow.refreshToken) await held;
          return defaultGrantPort.refreshTokenGrant(params);
        },
      }),
    });
    await addSignedIn(h, server, 'slow');
    await addSignedIn(h, server, 'fast');
    slow.refreshToken = h.vault.get('slow')?.tokens?.refreshToken;
    h.clock.advance(2 * HOUR);

    let slowDone = false;
    const slowHandout = h.broker.getToken('slow').then((handout) => {
      slowDone = true;
      return handout;
    });
    const started = performance.now();
    const fast = await h.broker.getToken('fast');
    const cached = await h.broker.getToken('fast');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(cached.accessToken).toBe(fast.accessToken);
    expect(slowDone).toBe(false);
    releaseSlow();
    expect((await slowHandout).accessToken).toBeTruthy();
  });

  it('persists a rotated refresh token to the vault before handing out the new access token', async () => {
    const h = await harness({ keepDataDir: true });
    await addSignedIn(h, server, 'work');
    const oldRefreshToken = h.vault.get('work')?.tokens?.refreshToken;
    h.clock.advance(2 * HOUR);
    const vaultPath = join(h.dataDir, VAULT_FILE_NAME);
    // Snapshot the vault file the moment the hand-out resolves.
    const snapshot = await h.broker.getToken('work').then(() => readFile(vaultPath));
    const dataDir = h.dataDir;
    await h.broker.close();
    await copyFile(vaultPath, `${vaultPath}.after-close`);
    await writeFile(vaultPath, snapshot);
    const reopened = await openVault({ dataDir, secretStore: createKeytarSecretStore() });
    try {
      const stored = reopened.get('work')?.tokens?.refreshToken;
      expect(stored).toBeDefined();
      expect(stored).not.toBe(oldRefreshToken);
      // The stored one is the live one: the provider accepts it.
      expect((await server.introspect(stored!)).active).toBe(true);
    } finally {
      await reopened.close();
      await h.dispose();
    }
  });

  it('marks the account needs_login when the provider answers invalid_grant', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work');
    // Someone else uses (and so rotates away) the broker's refresh token.
    const stolen = h.vault.get('work')!.tokens!.refreshToken!;
    const http = createHttpClient({ env: {} });
    await refreshTokenGrant({
      http,
      metadata: await resolveProviderMetadata({ issuer: server.issuer }, http),
      client: { method: 'client_secret_basic', clientId: server.clients.basic.clientId, clientSecret: server.clients.basic.clientSecret },
      refreshToken: stolen,
    });
    h.clock.advance(2 * HOUR);
    const error = await h.broker.getToken('work').catch((e: unknown) => e);
    expect(isBrokerError(error, 'NEEDS_LOGIN')).toBe(true);
    expect(h.events).toContainEqual({ type: 'needs_login', account: 'work' });
    expect(h.broker.getAccount('work').status).toBe('needs_login');
    expect(h.vault.get('work')?.tokens).toBeUndefined();
    expect(h.vault.get('work')?.clientSecret).toBe(server.clients.basic.clientSecret);
    // Still needs login on the next call, without asking the provider again.
    server.resetCounters();
    await expect(h.broker.getToken('work')).rejects.toMatchObject({ code: 'NEEDS_LOGIN' });
    expect(server.tokenRequests).toEqual({});
  });

  it('re-runs client credentials when the token expired', async () => {
    const h = await harness();
    await h.broker.addAccount(
      {
        name: 'svc',
        provider: { issuer: server.issuer },
        client: { id: server.clients.basic.clientId },
        grant: 'client_credentials',
        scopes: ['api'],
      },
      basicSecrets(server),
    );
    expect(h.broker.getAccount('svc').status).toBe('ok');
    const first = await h.broker.getToken('svc');
    await h.broker.getToken('svc');
    expect(server.tokenRequests['client_credentials']).toBe(1);
    h.clock.advance(2 * HOUR);
    const second = await h.broker.getToken('svc');
    expect(server.tokenRequests['client_credentials']).toBe(2);
    expect(second.accessToken).not.toBe(first.accessToken);
    const forced = await h.broker.refresh('svc');
    expect(server.tokenRequests['client_credentials']).toBe(3);
    expect(forced.accessToken).not.toBe(second.accessToken);
  });

  it("passes the account's extra parameters (Auth0 audience) to client credentials, at sign-in and on renewal", async () => {
    const seen: (Readonly<Record<string, string>> | undefined)[] = [];
    const h = await harness({
      grants: grantsWith({
        clientCredentialsGrant: (p) => {
          seen.push(p.extraParams);
          return defaultGrantPort.clientCredentialsGrant(p);
        },
      }),
    });
    await h.broker.addAccount(
      {
        name: 'api',
        provider: { issuer: server.issuer, extraParams: { audience: 'https://api.example.com' } },
        client: { id: server.clients.basic.clientId },
        grant: 'client_credentials',
        scopes: ['api'],
      },
      basicSecrets(server),
    );
    await h.broker.signIn('api');
    h.clock.advance(2 * HOUR);
    const handout = await h.broker.getToken('api');
    expect((await server.introspect(handout.accessToken)).active).toBe(true);
    expect(seen).toEqual([{ audience: 'https://api.example.com' }, { audience: 'https://api.example.com' }]);
  });

  it('authenticates client credentials with private_key_jwt from the vault', async () => {
    const h = await harness();
    const { jwt } = server.clients;
    await h.broker.addAccount(
      {
        name: 'jwt',
        provider: { issuer: server.issuer },
        client: { id: jwt.clientId, auth: 'private_key_jwt', keyId: jwt.keyId },
        grant: 'client_credentials',
      },
      { privateKeyPem: jwt.privateKeyPem },
    );
    const handout = await h.broker.getToken('jwt');
    expect((await server.introspect(handout.accessToken)).active).toBe(true);
    expect(JSON.stringify(h.broker.getAccount('jwt'))).not.toContain('PRIVATE KEY');
  });

  it('refreshes a narrower scope separately and keeps the rotated refresh token', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work', { scopes: ['openid', 'api', 'read'] });
    const main = await h.broker.getToken('work');
    const before = h.vault.get('work')!.tokens!.refreshToken!;
    server.resetCounters();
    const narrow = await h.broker.getToken('work', { scope: 'read' });
    // The scoped refresh rotated the refresh token: the main token set is refreshed once with the
    // new one, to see whether the provider narrowed the grant (this one keeps it whole).
    expect(server.tokenRequests['refresh_token']).toBe(2);
    expect(narrow.accessToken).not.toBe(main.accessToken);
    expect(narrow.scope).toBe('read');
    const after = h.vault.get('work')!.tokens!.refreshToken!;
    expect(after).not.toBe(before);
    const checked = await h.broker.getToken('work');
    expect(checked.scope?.split(' ').sort()).toEqual(['api', 'openid', 'read']);
    // Cached separately: both answer from memory now.
    expect((await h.broker.getToken('work', { scope: 'read' })).accessToken).toBe(narrow.accessToken);
    expect((await h.broker.getToken('work')).accessToken).toBe(checked.accessToken);
    // The same scope in another order is the main token.
    expect((await h.broker.getToken('work', { scope: 'read api openid' })).accessToken).toBe(checked.accessToken);
    expect(server.tokenRequests['refresh_token']).toBe(2);
    // Once the provider was seen keeping the grant, another scoped refresh costs one request.
    await h.broker.getToken('work', { scope: 'api' });
    expect(server.tokenRequests['refresh_token']).toBe(3);
    expect(main.accessToken).not.toBe(checked.accessToken);
    // And the main token set still refreshes with the rotated refresh token.
    h.clock.advance(2 * HOUR);
    await h.broker.getToken('work');
    expect(h.broker.getAccount('work').status).toBe('ok');
  });

  it('answers ACCOUNT_NOT_FOUND and NEEDS_LOGIN with typed errors', async () => {
    const h = await harness();
    await expect(h.broker.getToken('nope')).rejects.toMatchObject({ code: 'ACCOUNT_NOT_FOUND' });
    await h.broker.addAccount(passwordAccountInput(), basicSecrets(server));
    await expect(h.broker.getToken('fresh')).rejects.toMatchObject({ code: 'NEEDS_LOGIN' });
    expect(h.broker.getAccount('fresh').status).toBe('needs_login');
    await expect(h.broker.getToken('fresh', { minTtl: -1 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });
});

describe("cachedToken (the API's synchronous path for cached hits)", () => {
  const caller = { verified: true, uid: 1000, pid: 4321, exe: '/usr/bin/kubectl' };

  it('answers a cached hit at once, exactly as getToken would, audited and marked used the same', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work');
    await h.broker.getToken('work', { client: 'warm-up' });
    server.resetCounters();
    h.clock.advance(60_000);
    const request = { client: 'kubectl', caller, minTtl: 60 };
    const sync = h.broker.cachedToken('work', request);
    const viaGet = await h.broker.getToken('work', request);
    expect(sync).toEqual(viaGet);
    expect(sync?.expiresIn).toBeGreaterThan(3000);
    expect(server.tokenRequests).toEqual({});
    const [fromGet, fromSync] = h.broker.auditLog({ client: 'kubectl' });
    expect(fromSync).toEqual(fromGet);
    expect(fromSync).toEqual({ at: h.clock.now(), account: 'work', client: 'kubectl', caller, outcome: 'granted' });
    expect(h.broker.getAccount('work').lastUsedAt).toBe(h.clock.now());
    // Both reach the file like every other entry.
    await h.broker.close();
    const lines = (await readFile(h.auditFile, 'utf8')).trim().split('\n');
    expect(lines.slice(-2).map((line) => JSON.parse(line))).toEqual([
      { at: h.clock.now() / 1000, account: 'work', client: 'kubectl', caller, outcome: 'granted' },
      { at: h.clock.now() / 1000, account: 'work', client: 'kubectl', caller, outcome: 'granted' },
    ]);
  });

  it('leaves every other case to getToken and records nothing for it', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work', { scopes: ['openid', 'api', 'read'] });
    await addSignedIn(h, server, 'asked', { approval: 'ask' });
    await h.broker.addAccount(passwordAccountInput(), basicSecrets(server));
    await h.broker.getToken('work');
    await h.broker.getToken('asked', { skipApproval: true });
    const audited = h.broker.auditLog().length;
    // Each of these needs a refresh, an approval, an exchange, a refusal or an error audited by getToken.
    expect(h.broker.cachedToken('missing', { client: 'x' })).toBeUndefined();
    expect(h.broker.cachedToken('fresh', { client: 'x' })).toBeUndefined();
    expect(h.broker.cachedToken('asked', { client: 'x' })).toBeUndefined();
    expect(h.broker.cachedToken('work', { client: 'x', minTtl: 2 * 3600 })).toBeUndefined();
    expect(h.broker.cachedToken('work', { client: 'x', minTtl: -1 })).toBeUndefined();
    expect(h.broker.cachedToken('work', { client: 'x', scope: ' ' })).toBeUndefined();
    expect(h.broker.cachedToken('work', { client: 'x', audience: 'https://api.example' })).toBeUndefined();
    expect(h.broker.cachedToken('work', { client: 'x', resource: 'https://api.example' })).toBeUndefined();
    expect(h.broker.cachedToken('work', { client: 'x', scope: 'read' })).toBeUndefined();
    expect(h.broker.auditLog()).toHaveLength(audited);
    // The app's own requests skip the approval, here as in getToken.
    expect(h.broker.cachedToken('asked', { client: 'app', skipApproval: true })).toBeDefined();
    // A narrower scope, once fetched, is a cached hit too.
    const narrow = await h.broker.getToken('work', { scope: 'read' });
    expect(h.broker.cachedToken('work', { client: 'x', scope: 'read' })?.accessToken).toBe(narrow.accessToken);
    h.clock.advance(2 * HOUR);
    expect(h.broker.cachedToken('work', { client: 'x' })).toBeUndefined();
    expect(h.broker.auditLog()).toHaveLength(audited + 3);
    await h.broker.close();
    expect(h.broker.cachedToken('asked', { client: 'app', skipApproval: true })).toBeUndefined();
  });
});

function passwordAccountInput() {
  return {
    name: 'fresh',
    provider: { issuer: server.issuer },
    client: { id: server.clients.basic.clientId },
    grant: 'password' as const,
    allowLegacy: true,
  };
}
