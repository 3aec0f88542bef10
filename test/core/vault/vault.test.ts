import { spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecretStore } from '../../../main/core/ports.js';
import { openVault } from '../../../main/core/vault/index.js';
import { HEADER_LENGTH } from '../../../main/core/vault/format.js';
import { KEYCHAIN_SERVICE, keychainAccountFor } from '../../../main/core/vault/key-source.js';
import type { AccountSecrets } from '../../../main/core/vault/types.js';
import { cleanupDataDirs, keychain, rejectionOf, tempDataDir } from './support/helpers.js';

const secrets: AccountSecrets = {
  clientSecret: 'client-secret-value',
  tokens: {
    accessToken: 'access-token-value',
    tokenType: 'Bearer',
    expiresAt: 1_900_000_000_000,
    refreshToken: 'refresh-token-value',
    obtainedAt: 1_800_000_000_000,
  },
};

/** A SecretStore that counts calls on top of the real keychain. */
function countingStore(): SecretStore & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    getPassword: (s, a) => (calls.push('get'), keychain.getPassword(s, a)),
    setPassword: (s, a, p) => (calls.push('set'), keychain.setPassword(s, a, p)),
    deletePassword: (s, a) => (calls.push('delete'), keychain.deletePassword(s, a)),
  };
}

afterEach(cleanupDataDirs);

describe('openVault with the OS keychain (real Secret Service)', () => {
  it('first run creates a 256-bit key in the keychain (one item per data dir) and an empty vault', async () => {
    const dataDir = await tempDataDir();
    const store = countingStore();
    const vault = await openVault({ dataDir, secretStore: store });
    const item = await keychain.getPassword(KEYCHAIN_SERVICE, await keychainAccountFor(dataDir));
    expect(item).not.toBeNull();
    expect(Buffer.from(item as string, 'base64')).toHaveLength(32);
    expect(await keychainAccountFor(dataDir)).toMatch(/^vault-key:[0-9a-f]{64}$/);
    expect(store.calls).toEqual(['get', 'set', 'get']); // created, then read back to be sure
    expect(vault.accounts()).toEqual([]);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dataDir, 'vault.bin'))).mode & 0o777).toBe(0o600);
    await vault.close();
  });

  it('round-trips secrets, and a restart reads them back with the same key', async () => {
    const dataDir = await tempDataDir();
    const vault = await openVault({ dataDir, secretStore: keychain });
    await vault.set('work', secrets);
    await vault.set('personal', { clientSecret: 'other' });
    expect(vault.get('work')).toEqual(secrets);
    expect(vault.accounts()).toEqual(['personal', 'work']);
    await vault.delete('personal');
    await vault.delete('never-existed');
    expect(vault.get('personal')).toBeUndefined();
    await vault.close();

    const store = countingStore();
    const reopened = await openVault({ dataDir, secretStore: store });
    expect(store.calls).toEqual(['get']); // no new key over existing data
    expect(reopened.get('work')).toEqual(secrets);
    expect(reopened.accounts()).toEqual(['work']);
    await reopened.close();
  });

  it('get() returns copies, so callers cannot change the vault behind its back', async () => {
    const vault = await openVault({ dataDir: await tempDataDir(), secretStore: keychain });
    await vault.set('a', secrets);
    const copy = vault.get('a') as AccountSecrets;
    copy.clientSecret = 'changed';
    expect(vault.get('a')?.clientSecret).toBe('client-secret-value');
    await vault.close();
  });

  it('serializes concurrent writes; every promise resolves once its change is on disk', async () => {
    const dataDir = await tempDataDir();
    const vault = await openVault({ dataDir, secretStore: keychain });
    await Promise.all(Array.from({ length: 40 }, (_, i) => vault.set(`acct-${i}`, { clientSecret: `secret-${i}` })));
    await Promise.all([vault.delete('acct-0'), vault.set('acct-1', { clientSecret: 'last' })]);
    await vault.close();
    const reopened = await openVault({ dataDir, secretStore: keychain });
    expect(reopened.accounts()).toHaveLength(39);
    expect(reopened.get('acct-1')?.clientSecret).toBe('last');
    expect(reopened.get('acct-39')?.clientSecret).toBe('secret-39');
    await reopened.close();
  });

  it('keeps the previous generation as vault.bin.bak', async () => {
    const dataDir = await tempDataDir();
    const vault = await openVault({ dataDir, secretStore: keychain });
    await vault.set('a', { clientSecret: 'one' });
    await vault.set('a', { clientSecret: 'two' });
    await vault.close();
    expect((await readdir(dataDir)).sort()).toEqual(['vault.bin', 'vault.bin.bak']);
    // The backup is the previous generation: restoring it gives "one".
    await copyFile(join(dataDir, 'vault.bin.bak'), join(dataDir, 'vault.bin'));
    const restored = await openVault({ dataDir, secretStore: keychain });
    expect(restored.get('a')?.clientSecret).toBe('one');
    await restored.close();
  });

  it('rejects invalid account names and malformed secrets without writing', async () => {
    const dataDir = await tempDataDir();
    const vault = await openVault({ dataDir, secretStore: keychain });
    const before = await readFile(join(dataDir, 'vault.bin'));
    expect(await rejectionOf(vault.set('../etc', secrets))).toMatchObject({ code: 'INVALID_REQUEST' });
    const malformed = await rejectionOf(
      vault.set('ok', { tokens: { accessToken: 'tok-value-xyz', tokenType: 'Bearer' } } as unknown as AccountSecrets),
    );
    expect(malformed).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('tokens.obtainedAt') });
    expect(malformed.message).not.toContain('tok-value-xyz');
    expect((await readFile(join(dataDir, 'vault.bin'))).equals(before)).toBe(true);
    await vault.close();
  });

  it('a failed write rejects, keeps the previous content in memory, and later writes still work', async () => {
    const dataDir = await tempDataDir();
    const vault = await openVault({ dataDir, secretStore: keychain });
    await vault.set('a', { clientSecret: 'before' });
    await rm(dataDir, { recursive: true, force: true });
    expect(await rejectionOf(vault.set('a', { clientSecret: 'after' }))).toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining('previous content is unchanged'),
    });
    expect(vault.get('a')?.clientSecret).toBe('before');
    await mkdir(dataDir, { mode: 0o700 });
    await vault.set('b', { clientSecret: 'b' });
    expect(vault.accounts()).toEqual(['a', 'b']);
    await vault.close();
  });

  it('refuses use after close', async () => {
    const vault = await openVault({ dataDir: await tempDataDir(), secretStore: keychain });
    await vault.close();
    await vault.close();
    expect(() => vault.get('a')).toThrow(/closed/);
    expect(await rejectionOf(vault.set('a', secrets))).toMatchObject({ code: 'INTERNAL' });
  });

  it('a missing keychain item next to an existing vault → VAULT_KEY_MISMATCH, no new key, file unchanged', async () => {
    const dataDir = await tempDataDir();
    const vault = await openVault({ dataDir, secretStore: keychain });
    await vault.set('a', secrets);
    await vault.close();
    const before = await readFile(join(dataDir, 'vault.bin'));
    await keychain.deletePassword(KEYCHAIN_SERVICE, await keychainAccountFor(dataDir));

    const error = await rejectionOf(openVault({ dataDir, secretStore: keychain }));
    expect(error).toMatchObject({ code: 'VAULT_KEY_MISMATCH', message: expect.stringContaining('has no key for it') });
    expect(await keychain.getPassword(KEYCHAIN_SERVICE, await keychainAccountFor(dataDir))).toBeNull();
    expect((await readFile(join(dataDir, 'vault.bin'))).equals(before)).toBe(true);
  });

  it('a vault copied from another machine (foreign key) → VAULT_KEY_MISMATCH, nothing overwritten', async () => {
    const ours = await tempDataDir();
    const theirs = await tempDataDir();
    const mine = await openVault({ dataDir: ours, secretStore: keychain });
    await mine.set('a', { clientSecret: 'ours' });
    await mine.close();
    const foreign = await openVault({ dataDir: theirs, secretStore: keychain });
    await foreign.set('b', { clientSecret: 'theirs' });
    await foreign.close();

    await copyFile(join(theirs, 'vault.bin'), join(ours, 'vault.bin'));
    const copied = await readFile(join(ours, 'vault.bin'));
    const error = await rejectionOf(openVault({ dataDir: ours, secretStore: keychain }));
    expect(error).toMatchObject({ code: 'VAULT_KEY_MISMATCH', message: expect.stringContaining('different key') });
    expect(error.message).toContain('Nothing was changed');
    expect((await readFile(join(ours, 'vault.bin'))).equals(copied)).toBe(true);
    expect(await readdir(ours)).not.toContain('broker.lock');
  });

  it('a vault.bin that vanished while its backup exists is reported, not replaced by an empty vault', async () => {
    const dataDir = await tempDataDir();
    await mkdir(dataDir, { mode: 0o700 });
    await writeFile(join(dataDir, 'vault.bin.bak'), 'x');
    expect(await rejectionOf(openVault({ dataDir, secretStore: keychain }))).toMatchObject({
      code: 'VAULT_CORRUPT',
      message: expect.stringContaining('vault.bin.bak'),
    });
    expect(await readdir(dataDir)).toEqual(['vault.bin.bak']);
  });
});

describe('tampering and truncation → VAULT_CORRUPT, file untouched, backup named', () => {
  async function damagedVault(damage: (file: Buffer) => Buffer): Promise<{ dataDir: string; damaged: Buffer }> {
    const dataDir = await tempDataDir();
    const vault = await openVault({ dataDir, secretStore: keychain });
    await vault.set('a', secrets);
    await vault.set('b', { clientSecret: 'second write so a backup exists' });
    await vault.close();
    const path = join(dataDir, 'vault.bin');
    const damaged = damage(Buffer.from(await readFile(path)));
    await writeFile(path, damaged);
    return { dataDir, damaged };
  }
  const flip = (offsetOf: (file: Buffer) => number) => (file: Buffer) => {
    const offset = offsetOf(file);
    file[offset] = (file[offset] as number) ^ 0x80;
    return file;
  };

  it.each([
    ['a header byte (version)', flip(() => 4), /header is damaged/],
    ['a header byte (key id)', flip(() => 28), /header is damaged/],
    ['the magic', flip(() => 0), /vault signature/],
    ['a ciphertext byte', flip(() => HEADER_LENGTH + 10), /fails authentication/],
    ['a tag byte', flip((f) => f.length - 1), /fails authentication/],
    ['truncation (half)', (f: Buffer) => f.subarray(0, Math.floor(f.length / 2)), /fails authentication/],
    ['truncation (inside the header)', (f: Buffer) => f.subarray(0, 20), /truncated/],
    ['an empty file', () => Buffer.alloc(0), /truncated/],
  ])('%s', async (_what, damage, reason) => {
    const { dataDir, damaged } = await damagedVault(damage);
    const error = await rejectionOf(openVault({ dataDir, secretStore: keychain }));
    expect(error).toMatchObject({ code: 'VAULT_CORRUPT' });
    expect(error.message).toMatch(reason);
    expect(error.message).toContain(join(dataDir, 'vault.bin.bak'));
    expect(error.message).toContain('left unchanged');
    expect((await readFile(join(dataDir, 'vault.bin'))).equals(damaged)).toBe(true);
    expect(await readdir(dataDir)).not.toContain('broker.lock');
  });
});

describe('a damaged vault without a backup', () => {
  it('says there is no backup instead of pointing at a missing file', async () => {
    const dataDir = await tempDataDir();
    await (await openVault({ dataDir, secretStore: keychain })).close(); // first write: no previous generation
    const path = join(dataDir, 'vault.bin');
    const bytes = await readFile(path);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    await writeFile(path, bytes);
    expect(await rejectionOf(openVault({ dataDir, secretStore: keychain }))).toMatchObject({
      code: 'VAULT_CORRUPT',
      message: expect.stringContaining('There is no backup'),
    });
  });
});

describe('single-process lock on the data directory', () => {
  it('a second opener is refused while the vault is open, and admitted after close()', async () => {
    const dataDir = await tempDataDir();
    const vault = await openVault({ dataDir, secretStore: keychain });
    expect(await rejectionOf(openVault({ dataDir, secretStore: keychain }))).toMatchObject({ code: 'VAULT_LOCKED' });
    await vault.close();
    await (await openVault({ dataDir, secretStore: keychain })).close();
  });

  it('a lock held by another live process → VAULT_LOCKED naming its pid', async () => {
    const dataDir = await tempDataDir();
    await (await openVault({ dataDir, secretStore: keychain })).close();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      await writeFile(join(dataDir, 'broker.lock'), JSON.stringify({ pid: holder.pid, hostname: hostname(), startedAt: Date.now() }));
      const error = await rejectionOf(openVault({ dataDir, secretStore: keychain }));
      expect(error).toMatchObject({ code: 'VAULT_LOCKED' });
      expect(error.message).toContain(`Data directory ${dataDir} is in use by process ${holder.pid}`);
      expect(error.message).toContain('token-broker serve or the app');
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('a stale lock (its process is gone) is taken over', async () => {
    const dataDir = await tempDataDir();
    await (await openVault({ dataDir, secretStore: keychain })).close();
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => gone.on('exit', resolve));
    await writeFile(join(dataDir, 'broker.lock'), JSON.stringify({ pid: gone.pid, hostname: hostname(), startedAt: 1 }));
    const vault = await openVault({ dataDir, secretStore: keychain });
    expect(JSON.parse(await readFile(join(dataDir, 'broker.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    await vault.close();
    expect(await readdir(dataDir)).not.toContain('broker.lock');
  });
});
