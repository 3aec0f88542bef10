/**
 * Vault benchmark (issue 4): open a vault of 1,000 accounts with realistic token sizes, and one
 * write of 1,000 accounts. Targets: open ≤ 50 ms, write ≤ 20 ms (medians).
 *
 * The key comes from the real OS keychain when TOKEN_BROKER_TEST_KEYRING=1 (inside
 * test/support/with-secret-service.mjs), else from an in-memory SecretStore; the row names say
 * which. No passphrase, so no scrypt: key derivation is never part of the measured open.
 * Writes are durable (fsync of file and directory), as in production.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SecretStore } from '../main/core/ports.js';
import { createKeytarSecretStore } from '../main/core/vault/keychain.js';
import { KEYCHAIN_SERVICE, keychainAccountFor, openVault } from '../main/core/vault/index.js';
import type { AccountSecrets } from '../main/core/vault/types.js';
import type { BenchRow } from './types.js';

const ACCOUNTS = 1_000;
const RUNS = 21;
const OPEN_TARGET_MS = 50;
const WRITE_TARGET_MS = 20;

/** A keychain stand-in that keeps items in memory (the bench must run without a keyring). */
function memorySecretStore(): SecretStore {
  const items = new Map<string, string>();
  return {
    getPassword: (service, account) => Promise.resolve(items.get(`${service}\0${account}`) ?? null),
    setPassword: (service, account, password) => {
      items.set(`${service}\0${account}`, password);
      return Promise.resolve();
    },
    deletePassword: (service, account) => Promise.resolve(items.delete(`${service}\0${account}`)),
  };
}

const b64url = (bytes: number) => randomBytes(bytes).toString('base64url');

/** Realistic sizes: a ~1.2 KB JWT access token, ~1 KB ID token, opaque refresh token, secret. */
function accountSecrets(index: number): AccountSecrets {
  const jwt = (payloadBytes: number) => `${b64url(36)}.${b64url(payloadBytes)}.${b64url(256)}`;
  const now = Date.now();
  return {
    clientSecret: b64url(30),
    tokens: {
      accessToken: jwt(600),
      tokenType: 'Bearer',
      expiresAt: now + 3_600_000 + index,
      scope: 'openid profile email offline_access',
      refreshToken: b64url(96),
      idToken: jwt(450),
      obtainedAt: now,
    },
  };
}

function stats(samples: number[]): { median: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
  return { median: at(0.5), p99: at(0.99) };
}

const round1 = (value: number) => Math.round(value * 10) / 10;

export default async function run(): Promise<BenchRow[]> {
  const realKeychain = process.env.TOKEN_BROKER_TEST_KEYRING === '1';
  const secretStore = realKeychain ? createKeytarSecretStore() : memorySecretStore();
  const keySource = realKeychain ? 'key from Secret Service' : 'in-memory key store';
  const root = await mkdtemp(join(tmpdir(), 'tb-bench-vault-'));
  const dataDir = join(root, 'home');
  try {
    const seed = await openVault({ dataDir, secretStore });
    await Promise.all(Array.from({ length: ACCOUNTS }, (_, i) => seed.set(`account-${i}`, accountSecrets(i))));
    await seed.close();

    const openMs: number[] = [];
    const writeMs: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const started = performance.now();
      const vault = await openVault({ dataDir, secretStore });
      openMs.push(performance.now() - started);
      if (vault.accounts().length !== ACCOUNTS) throw new Error('the vault lost accounts');

      const next = accountSecrets(run);
      const writeStarted = performance.now();
      await vault.set(`account-${run}`, next);
      writeMs.push(performance.now() - writeStarted);
      await vault.close();
    }

    const open = stats(openMs);
    const write = stats(writeMs);
    return [
      {
        name: `vault open, ${ACCOUNTS.toLocaleString('en')} accounts (${keySource}, no KDF)`,
        median: round1(open.median),
        p99: round1(open.p99),
        unit: 'ms',
        target: `≤ ${OPEN_TARGET_MS} ms`,
        pass: open.median <= OPEN_TARGET_MS,
      },
      {
        name: `vault write, ${ACCOUNTS.toLocaleString('en')} accounts (encrypt + fsync + rename)`,
        median: round1(write.median),
        p99: round1(write.p99),
        unit: 'ms',
        target: `≤ ${WRITE_TARGET_MS} ms`,
        pass: write.median <= WRITE_TARGET_MS,
      },
    ];
  } finally {
    if (realKeychain) await secretStore.deletePassword(KEYCHAIN_SERVICE, await keychainAccountFor(dataDir)).catch(() => false);
    await rm(root, { recursive: true, force: true });
  }
}
