/**
 * Logout as a durable state (also for client_credentials accounts), the status of accounts that
 * can fetch without a person, scope requests on client_credentials accounts, re-pointing an
 * account's provider without its secret, and what the vault files keep after a logout/removal —
 * against the real fixture, vault (real keyring) and config store.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AccountInput } from '../../../main/core/accounts/model.js';
import { BrokerError } from '../../../main/core/errors.js';
import { defaultGrantPort } from '../../../main/core/broker/grant-port.js';
import { openSealedVault } from '../../../main/core/vault/format.js';
import { createKeytarSecretStore } from '../../../main/core/vault/index.js';
import { KEYCHAIN_SERVICE, keychainAccountFor } from '../../../main/core/vault/key-source.js';
import { useAuthServer } from '../../support/fixtures.js';
import { addSignedIn, basicSecrets, grantsWith, passwordAccount, useHarnesses } from './harness.js';

const HOUR = 3600_000;

const server = useAuthServer({}, { freshCounters: true });
const harness = useHarnesses();

function ccAccount(name: string, extra: Partial<AccountInput> = {}): AccountInput {
  return {
    name,
    provider: { issuer: server.issuer },
    client: { id: server.clients.basic.clientId },
    grant: 'client_credentials',
    scopes: ['api'],
    ...extra,
  };
}

/** Decrypts a vault file with the real key from the keychain and returns the plaintext. */
async function decryptFile(dataDir: string, file: string): Promise<string> {
  const encoded = await createKeytarSecretStore().getPassword(KEYCHAIN_SERVICE, await keychainAccountFor(dataDir));
  const key = Buffer.from(encoded as string, 'base64');
  return openSealedVault(key, await readFile(join(dataDir, file))).toString('utf8');
}

describe('logout of a client_credentials account', () => {
  it('signs it out durably (NEEDS_LOGIN for token, refresh and the scheduler, across a restart) until login', async () => {
    const first = await harness({ keepDataDir: true, schedule: true });
    await first.broker.addAccount(ccAccount('svc'), basicSecrets(server));
    const before = await first.broker.getToken('svc');
    expect(first.broker.getAccount('svc').status).toBe('ok');
    await first.broker.logout('svc');
    expect((await server.introspect(before.accessToken)).active).toBe(false);
    server.resetCounters();

    expect(first.broker.getAccount('svc').status).toBe('needs_login');
    await expect(first.broker.getToken('svc')).rejects.toMatchObject({ code: 'NEEDS_LOGIN' });
    await expect(first.broker.refresh('svc')).rejects.toMatchObject({ code: 'NEEDS_LOGIN' });
    first.clock.advance(2 * HOUR);
    first.timers.fire();
    expect(server.tokenRequests).toEqual({});
    expect(first.vault.get('svc')).toEqual({ clientSecret: server.clients.basic.clientSecret, signedOut: true });
    await first.broker.close();

    const h = await harness({ dataDir: first.dataDir, clock: first.clock, schedule: true });
    expect(h.broker.getAccount('svc').status).toBe('needs_login');
    await expect(h.broker.getToken('svc')).rejects.toMatchObject({ code: 'NEEDS_LOGIN' });
    expect(server.tokenRequests).toEqual({});

    // `login` for client_credentials just fetches a token, and clears the sign-out for good.
    await h.broker.signIn('svc');
    expect(h.broker.getAccount('svc').status).toBe('ok');
    expect((await server.introspect((await h.broker.getToken('svc')).accessToken)).active).toBe(true);
    expect(h.vault.get('svc')?.signedOut).toBeUndefined();
    h.clock.advance(2 * HOUR);
    expect((await server.introspect((await h.broker.getToken('svc')).accessToken)).active).toBe(true);
  });

  it('a refresh in flight during the logout does not hand out or keep its token', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let hold = false;
    let entered!: () => void;
    const inGrant = new Promise<void>((resolve) => (entered = resolve));
    const h = await harness({
      grants: grantsWith({
        clientCredentialsGrant: async (p) => {
          const result = await defaultGrantPort.clientCredentialsGrant(p);
          if (hold) {
            entered();
            await gate;
          }
          return result;
        },
      }),
    });
    await h.broker.addAccount(ccAccount('svc'), basicSecrets(server));
    hold = true;
    const pending = h.broker.refresh('svc');
    pending.catch(() => {});
    await inGrant;
    await h.broker.logout('svc');
    release();
    await expect(pending).rejects.toMatchObject({ code: 'NEEDS_LOGIN' });
    expect(h.vault.get('svc')?.tokens).toBeUndefined();
    expect(h.broker.getAccount('svc').status).toBe('needs_login');
  });
});

describe('status of accounts that fetch without a person', () => {
  it('a client_credentials account without a token yet is ok, with no expiry', async () => {
    const h = await harness();
    const summary = await h.broker.addAccount(ccAccount('svc'), basicSecrets(server));
    expect(summary.status).toBe('ok');
    expect(summary.expiresAt).toBeUndefined();
    expect(h.broker.listAccounts()[0]).toMatchObject({ status: 'ok' });
  });

  it('stays error while a stale token is handed out after a failed refresh, and a later success clears it', async () => {
    let fail = false;
    const h = await harness({
      grants: grantsWith({
        clientCredentialsGrant: (p) => {
          if (fail) return Promise.reject(new BrokerError('PROVIDER_ERROR', 'provider answered 503'));
          return defaultGrantPort.clientCredentialsGrant(p);
        },
      }),
    });
    await h.broker.addAccount(ccAccount('svc'), basicSecrets(server));
    const first = await h.broker.getToken('svc');
    fail = true;
    // Inside the default min_ttl (30 s) but not expired: refresh, fail, hand out the cached token.
    h.clock.current = first.expiresAt! - 10_000;
    expect((await h.broker.getToken('svc')).accessToken).toBe(first.accessToken);
    expect(h.broker.getAccount('svc')).toMatchObject({ status: 'error', lastError: { code: 'PROVIDER_ERROR' } });
    fail = false;
    const fresh = await h.broker.getToken('svc');
    expect(fresh.accessToken).not.toBe(first.accessToken);
    const summary = h.broker.getAccount('svc');
    expect(summary.status).toBe('ok');
    expect(summary.lastError).toBeUndefined();
  });
});

describe('scope requests on client_credentials accounts', () => {
  it('refuses a scope outside the configured ones (naming them) before reaching the provider', async () => {
    const h = await harness();
    await h.broker.addAccount(ccAccount('svc', { scopes: ['api', 'read'] }), basicSecrets(server));
    server.resetCounters();
    const refused = h.broker.getToken('svc', { scope: 'read admin write' });
    await expect(refused).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(refused).rejects.toThrow(/admin write/);
    await expect(h.broker.refresh('svc', { scope: 'admin' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(server.tokenRequests).toEqual({});
    // A subset is fine, and cached.
    const narrow = await h.broker.getToken('svc', { scope: 'read' });
    expect(narrow.scope).toBe('read');
    expect((await h.broker.getToken('svc', { scope: 'read' })).accessToken).toBe(narrow.accessToken);
    expect(server.tokenRequests['client_credentials']).toBe(1);
  });

  it('leaves the scope to the provider when the account configures none', async () => {
    const h = await harness();
    await h.broker.addAccount(ccAccount('open', { scopes: [] }), basicSecrets(server));
    expect((await h.broker.getToken('open', { scope: 'read' })).scope).toBe('read');
  });
});

describe('changing the provider of an account', () => {
  it('needs the client secret again, so a stored secret is never sent to a new endpoint', async () => {
    const h = await harness();
    await h.broker.addAccount(ccAccount('svc'), basicSecrets(server));
    const elsewhere = { tokenEndpoint: 'http://127.0.0.1:9/attacker/token' };
    for (const change of [
      ccAccount('svc', { provider: elsewhere }),
      ccAccount('svc', { provider: { issuer: server.issuer, revocationEndpoint: 'http://127.0.0.1:9/revoke' } }),
      ccAccount('svc', { client: { id: server.clients.post.clientId, auth: 'post' } }),
    ]) {
      await expect(h.broker.updateAccount('svc', change)).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringContaining('needs the client secret again'),
      });
    }
    expect(h.broker.getAccount('svc').config.provider).toEqual({ issuer: server.issuer });
    // Same provider: the stored secret stays usable; a new provider with its secret is fine.
    await h.broker.updateAccount(
      'svc',
      ccAccount('svc', { scopes: ['api', 'read'], provider: { issuer: server.issuer, extraParams: { audience: 'x' } } }),
    );
    await h.broker.updateAccount('svc', ccAccount('svc', { provider: elsewhere }), { clientSecret: 'the-new-providers-secret' });
    expect(h.vault.get('svc')?.clientSecret).toBe('the-new-providers-secret');
  });

  it('does not ask for a secret when the client is public (auth none)', async () => {
    const h = await harness();
    const input = passwordAccount(server, 'pub', { client: { id: server.clients.public.clientId, auth: 'none' } });
    await h.broker.addAccount(input);
    await h.broker.updateAccount('pub', { ...input, provider: { tokenEndpoint: `${server.issuer}/token` } });
    expect(h.broker.getAccount('pub').config.provider).toEqual({ tokenEndpoint: `${server.issuer}/token` });
  });
});

describe('the vault backup after secrets are dropped', () => {
  it('neither vault.bin nor vault.bin.bak holds the refresh token after logout, nor the account after removal', async () => {
    const h = await harness();
    await addSignedIn(h, server, 'work');
    await h.broker.getToken('work');
    await addSignedIn(h, server, 'other');
    const refresh = h.vault.get('work')!.tokens!.refreshToken!;
    const access = h.vault.get('work')!.tokens!.accessToken;
    await h.broker.logout('work');
    for (const file of ['vault.bin', 'vault.bin.bak']) {
      const plaintext = await decryptFile(h.dataDir, file);
      expect(plaintext).toContain('"other"');
      expect(plaintext).not.toContain(refresh);
      expect(plaintext).not.toContain(access);
    }
    await h.broker.removeAccount('work');
    for (const file of ['vault.bin', 'vault.bin.bak']) {
      const plaintext = await decryptFile(h.dataDir, file);
      expect(plaintext).not.toContain('"work"');
    }
    // Ordinary writes still keep the previous generation as the backup.
    await h.broker.refresh('other');
    expect(await decryptFile(h.dataDir, 'vault.bin.bak')).not.toBe(await decryptFile(h.dataDir, 'vault.bin'));
  });
});
