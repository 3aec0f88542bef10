import { chmod, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecretStore } from '../../../main/core/ports.js';
import { DEFAULT_SCRYPT, openVault } from '../../../main/core/vault/index.js';
import { parseHeader } from '../../../main/core/vault/format.js';
import { readPassphraseFile } from '../../../main/core/vault/key-source.js';
import { cleanupDataDirs, keychain, rejectionOf, tempDataDir } from './support/helpers.js';

/** Passphrase mode must never touch the keychain. */
const noKeychain: SecretStore = {
  getPassword: () => Promise.reject(new Error('keychain used in passphrase mode')),
  setPassword: () => Promise.reject(new Error('keychain used in passphrase mode')),
  deletePassword: () => Promise.reject(new Error('keychain used in passphrase mode')),
};

async function passphraseFile(dir: string, passphrase: string, mode = 0o600): Promise<string> {
  const file = join(dir, `pass-${Math.random().toString(36).slice(2)}`);
  await writeFile(file, passphrase, { mode });
  await chmod(file, mode);
  return file;
}

afterEach(cleanupDataDirs);

describe('passphrase mode (TOKEN_BROKER_PASSPHRASE_FILE, scrypt)', () => {
  it('creates, reopens with the right passphrase and never uses the keychain', async () => {
    const dataDir = await tempDataDir();
    const file = await passphraseFile(join(dataDir, '..'), 'correct horse battery staple\n');
    const vault = await openVault({ dataDir, secretStore: noKeychain, passphraseFile: file });
    await vault.set('ci', { clientSecret: 'ci-secret' });
    await vault.close();

    const header = parseHeader(await readFile(join(dataDir, 'vault.bin')));
    expect(header.keySource).toBe('scrypt');
    expect(header.scrypt).toEqual({ logN: 17, r: 8, p: 1 });
    expect(DEFAULT_SCRYPT).toEqual({ logN: 17, r: 8, p: 1 });
    expect(header.salt.equals(Buffer.alloc(16))).toBe(false);

    // The trailing newline is not part of the passphrase: the same passphrase without it opens the vault.
    const same = await passphraseFile(join(dataDir, '..'), 'correct horse battery staple');
    const reopened = await openVault({ dataDir, secretStore: noKeychain, passphraseFile: same });
    expect(reopened.get('ci')).toEqual({ clientSecret: 'ci-secret' });
    await reopened.set('ci', { clientSecret: 'rotated' });
    await reopened.close();
    // The salt stays with the vault across writes.
    expect(parseHeader(await readFile(join(dataDir, 'vault.bin'))).salt.equals(header.salt)).toBe(true);
  });

  it('a wrong passphrase → PASSPHRASE_INVALID (not VAULT_CORRUPT), file unchanged', async () => {
    const dataDir = await tempDataDir();
    const right = await passphraseFile(join(dataDir, '..'), 'right passphrase');
    const vault = await openVault({ dataDir, secretStore: noKeychain, passphraseFile: right });
    await vault.set('a', { clientSecret: 'x' });
    await vault.close();
    const before = await readFile(join(dataDir, 'vault.bin'));

    const wrong = await passphraseFile(join(dataDir, '..'), 'wrong passphrase');
    const error = await rejectionOf(openVault({ dataDir, secretStore: noKeychain, passphraseFile: wrong }));
    expect(error).toMatchObject({ code: 'PASSPHRASE_INVALID' });
    expect(error.message).not.toContain('wrong passphrase');
    expect((await readFile(join(dataDir, 'vault.bin'))).equals(before)).toBe(true);
  });

  it.each([0o644, 0o640, 0o604])('refuses a passphrase file with mode %o, naming the fix', async (mode) => {
    const dataDir = await tempDataDir();
    const file = await passphraseFile(join(dataDir, '..'), 'pw', mode);
    const error = await rejectionOf(openVault({ dataDir, secretStore: noKeychain, passphraseFile: file }));
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(error.message).toContain(`chmod 600 '${file}'`);
    expect((await stat(file)).mode & 0o777).toBe(mode);
  });

  it('refuses a missing or empty passphrase file', async () => {
    const dataDir = await tempDataDir();
    expect(
      await rejectionOf(openVault({ dataDir, secretStore: noKeychain, passphraseFile: join(dataDir, '..', 'missing') })),
    ).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('ENOENT'),
    });
    const empty = await passphraseFile(join(dataDir, '..'), '\n');
    expect(await rejectionOf(openVault({ dataDir, secretStore: noKeychain, passphraseFile: empty }))).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('empty'),
    });
  });

  it.skipIf(process.platform === 'win32')(
    'refuses a symlink (even to a good 0600 file) and a directory, through one open handle',
    async () => {
      const dataDir = await tempDataDir();
      const dir = join(dataDir, '..');
      const good = await passphraseFile(dir, 'correct horse\n');
      expect((await readPassphraseFile(good)).toString()).toBe('correct horse');
      const link = join(dir, `link-${Math.random().toString(36).slice(2)}`);
      await symlink(good, link);
      expect(await rejectionOf(readPassphraseFile(link))).toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('symbolic link'),
      });
      const folder = join(dir, `folder-${Math.random().toString(36).slice(2)}`);
      await mkdir(folder, { mode: 0o700 });
      expect(await rejectionOf(readPassphraseFile(folder))).toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('not a regular file'),
      });
      await chmod(good, 0o640);
      expect(await rejectionOf(readPassphraseFile(good))).toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('chmod 600'),
      });
    },
  );

  it('a passphrase vault opened without a passphrase, or a keychain vault with one → VAULT_KEY_MISMATCH naming the fix', async () => {
    const passDir = await tempDataDir('pass');
    const file = await passphraseFile(join(passDir, '..'), 'pw');
    await (await openVault({ dataDir: passDir, secretStore: noKeychain, passphraseFile: file })).close();
    expect(await rejectionOf(openVault({ dataDir: passDir, secretStore: keychain }))).toMatchObject({
      code: 'VAULT_KEY_MISMATCH',
      message: expect.stringContaining('Set TOKEN_BROKER_PASSPHRASE_FILE'),
    });

    const keyDir = await tempDataDir('keychain');
    await (await openVault({ dataDir: keyDir, secretStore: keychain })).close();
    expect(await rejectionOf(openVault({ dataDir: keyDir, secretStore: noKeychain, passphraseFile: file }))).toMatchObject({
      code: 'VAULT_KEY_MISMATCH',
      message: expect.stringContaining('Unset it'),
    });
  });
});
