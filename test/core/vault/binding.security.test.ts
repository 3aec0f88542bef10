/**
 * A passphrase vault belongs to its data directory, and the scrypt parameters a header may ask
 * for are bounded (issue 10 item 13).
 */
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecretStore } from '../../../main/core/ports.js';
import { openVault } from '../../../main/core/vault/index.js';
import { keyIdOf, parseHeader, sealVault } from '../../../main/core/vault/format.js';
import { acceptableScrypt, deriveKey, DEFAULT_SCRYPT, newSalt } from '../../../main/core/vault/key-source.js';
import { encodePayload } from '../../../main/core/vault/payload.js';
import { realpath } from 'node:fs/promises';
import { cleanupDataDirs, rejectionOf, tempDataDir } from './support/helpers.js';

const noKeychain: SecretStore = {
  getPassword: () => Promise.reject(new Error('keychain used in passphrase mode')),
  setPassword: () => Promise.reject(new Error('keychain used in passphrase mode')),
  deletePassword: () => Promise.reject(new Error('keychain used in passphrase mode')),
};

async function passphraseFile(dir: string, passphrase: string): Promise<string> {
  const file = join(dir, `pass-${Math.random().toString(36).slice(2)}`);
  await writeFile(file, passphrase, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

afterEach(cleanupDataDirs);

describe('a passphrase vault is bound to its data directory', () => {
  it('its key id names the directory; a copy in another directory is refused, saying so, and left unchanged', async () => {
    const home = await tempDataDir();
    const file = await passphraseFile(join(home, '..'), 'one passphrase');
    const vault = await openVault({ dataDir: home, secretStore: noKeychain, passphraseFile: file });
    await vault.set('ci', { clientSecret: 'ci-secret' });
    await vault.close();

    const bytes = await readFile(join(home, 'vault.bin'));
    const header = parseHeader(bytes);
    const key = await deriveKey(Buffer.from('one passphrase'), header.salt, header.scrypt ?? DEFAULT_SCRYPT);
    expect(header.keyId.equals(keyIdOf(key, await realpath(home)))).toBe(true);
    expect(header.keyId.equals(keyIdOf(key))).toBe(false);

    const other = await tempDataDir();
    await mkdir(other, { mode: 0o700 });
    await copyFile(join(home, 'vault.bin'), join(other, 'vault.bin'));
    const error = await rejectionOf(openVault({ dataDir: other, secretStore: noKeychain, passphraseFile: file }));
    expect(error).toMatchObject({ code: 'VAULT_KEY_MISMATCH' });
    expect(error.message).toContain('belongs to another data directory');
    expect((await readFile(join(other, 'vault.bin'))).equals(bytes)).toBe(true);

    // A wrong passphrase is still told apart.
    const wrong = await passphraseFile(join(other, '..'), 'another passphrase');
    expect(await rejectionOf(openVault({ dataDir: other, secretStore: noKeychain, passphraseFile: wrong }))).toMatchObject({
      code: 'PASSPHRASE_INVALID',
    });
  });

  it('a vault written before the binding (key id v1) opens once and is re-sealed bound, backup too', async () => {
    const home = await tempDataDir();
    const file = await passphraseFile(join(home, '..'), 'old passphrase');
    const salt = newSalt();
    const key = await deriveKey(Buffer.from('old passphrase'), salt, DEFAULT_SCRYPT);
    const legacy = sealVault(key, encodePayload(new Map([['ci', { clientSecret: 'kept' }]])), {
      keySource: 'scrypt',
      scrypt: DEFAULT_SCRYPT,
      salt,
    });
    expect(parseHeader(legacy).keyId.equals(keyIdOf(key))).toBe(true);
    await mkdir(home, { mode: 0o700 });
    await writeFile(join(home, 'vault.bin'), legacy, { mode: 0o600 });

    const vault = await openVault({ dataDir: home, secretStore: noKeychain, passphraseFile: file });
    expect(vault.get('ci')).toEqual({ clientSecret: 'kept' });
    await vault.close();
    const bound = keyIdOf(key, await realpath(home));
    expect(parseHeader(await readFile(join(home, 'vault.bin'))).keyId.equals(bound)).toBe(true);
    expect(parseHeader(await readFile(join(home, 'vault.bin.bak'))).keyId.equals(bound)).toBe(true);
  });
});

describe('scrypt parameters from a header are bounded', () => {
  it('accepts the default and modest raises; refuses memory bombs and excessive work', () => {
    expect(acceptableScrypt(DEFAULT_SCRYPT)).toBe(true);
    expect(acceptableScrypt({ logN: 18, r: 8, p: 1 })).toBe(true);
    expect(acceptableScrypt({ logN: 17, r: 8, p: 4 })).toBe(true);
    for (const params of [
      { logN: 22, r: 8, p: 1 }, // 4 GiB
      { logN: 19, r: 8, p: 1 }, // 512 MiB
      { logN: 17, r: 32, p: 1 }, // 512 MiB
      { logN: 17, r: 8, p: 16 }, // 16× the work
      { logN: 13, r: 8, p: 1 }, // weak
    ]) {
      expect(acceptableScrypt(params), JSON.stringify(params)).toBe(false);
    }
  });

  it('a rewritten header (log2 N = 22, checksum fixed) is refused at once as VAULT_CORRUPT, file unchanged', async () => {
    const home = await tempDataDir();
    const file = await passphraseFile(join(home, '..'), 'p');
    const vault = await openVault({ dataDir: home, secretStore: noKeychain, passphraseFile: file });
    await vault.close();
    const bytes = await readFile(join(home, 'vault.bin'));
    bytes[6] = 22;
    createHash('sha256').update(bytes.subarray(0, 45)).digest().copy(bytes, 45, 0, 8);
    await writeFile(join(home, 'vault.bin'), bytes);
    const error = await rejectionOf(openVault({ dataDir: home, secretStore: noKeychain, passphraseFile: file }));
    expect(error).toMatchObject({ code: 'VAULT_CORRUPT' });
    expect(error.message).toContain('log2 N 22');
    expect((await readFile(join(home, 'vault.bin'))).equals(bytes)).toBe(true);
  });
});
