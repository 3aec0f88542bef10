/**
 * Where the vault key comes from: a random 256-bit key kept in the OS keychain (default), or a
 * key derived from a passphrase file with scrypt (the one alternative when no keychain exists).
 */
import { createHash, randomBytes, scrypt } from 'node:crypto';
import { constants } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { formatMode } from '../data-dir.js';
import { BrokerError } from '../errors.js';
import type { SecretStore } from '../ports.js';
import { KEY_LENGTH, SALT_LENGTH, type ScryptParams } from './format.js';

/** Keychain service name of every token-broker item. */
export const KEYCHAIN_SERVICE = 'token-broker';

/**
 * scrypt cost for passphrase-derived keys: N = 2^17, r = 8, p = 1 — 128 MiB and roughly a few
 * hundred milliseconds per derivation on a laptop, well above RFC 7914's interactive example
 * (N = 2^14) since it runs once per broker start. The parameters are stored in the vault header,
 * so they can be raised later without breaking existing vaults.
 * @see {@link https://www.rfc-editor.org/rfc/rfc7914.html#section-2 RFC 7914 §2}
 */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = Object.freeze({ logN: 17, r: 8, p: 1 });

/**
 * Bounds for parameters read from a header, which anyone who can write the file can rewrite (the
 * header check is unkeyed, and a key derived with other parameters is simply another key): refuse
 * trivially weak ones, and anything costing more than 256 MiB of memory or four times the default
 * work — log2 N = 22 would ask for 4 GiB and stall the start for minutes.
 */
const SCRYPT_LIMITS = { minLogN: 14, maxLogN: 20, maxR: 32, maxP: 16, maxMemoryBytes: 256 * 1024 * 1024, maxWork: 4 * 2 ** 17 * 8 };

/**
 * The keychain account for a data directory: `vault-key:` + SHA-256 of its real path, so every
 * data directory has its own item and moving the directory under a symlink does not change it.
 */
export async function keychainAccountFor(dataDir: string): Promise<string> {
  const real = await realpath(dataDir);
  return `vault-key:${createHash('sha256').update(real).digest('hex')}`;
}

/** Reads the key from the keychain; `undefined` when there is no item. */
export async function readKeychainKey(store: SecretStore, account: string): Promise<Buffer | undefined> {
  const encoded = await store.getPassword(KEYCHAIN_SERVICE, account);
  if (encoded === null) return undefined;
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== KEY_LENGTH || key.toString('base64') !== encoded.trim()) {
    key.fill(0);
    throw new BrokerError(
      'VAULT_KEY_MISMATCH',
      `The keychain item "${KEYCHAIN_SERVICE}" / "${account}" does not hold a valid vault key (expected ${KEY_LENGTH} bytes in base64). ` +
        'Restore the original item, or remove it together with vault.bin to start over (you will have to sign in again).',
    );
  }
  return key;
}

/** Creates a new random key, stores it in the keychain and reads it back to be sure it stuck. */
export async function createKeychainKey(store: SecretStore, account: string): Promise<Buffer> {
  const key = randomBytes(KEY_LENGTH);
  await store.setPassword(KEYCHAIN_SERVICE, account, key.toString('base64'));
  const stored = await readKeychainKey(store, account);
  const same = stored?.equals(key) === true;
  stored?.fill(0);
  if (!same) {
    key.fill(0);
    throw new BrokerError(
      'KEYCHAIN_UNAVAILABLE',
      `The OS keychain accepted the new vault key but did not return it (item "${KEYCHAIN_SERVICE}" / "${account}"). ` +
        'Check that the keychain is unlocked and persistent, or set TOKEN_BROKER_PASSPHRASE_FILE.',
    );
  }
  return key;
}

/**
 * Opens the passphrase file once, not following a symlink (O_NOFOLLOW where the OS has it) and
 * not blocking on a FIFO, so the checks and the read below see the same file: checking a path
 * and then reading it again could read a file swapped in between.
 */
async function openPassphraseFile(file: string): Promise<FileHandle> {
  const flags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
  try {
    return await open(file, flags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') {
      throw new BrokerError(
        'CONFIG_INVALID',
        `The passphrase file ${file} is a symbolic link; point TOKEN_BROKER_PASSPHRASE_FILE at the file itself.`,
        { cause: error },
      );
    }
    throw new BrokerError('CONFIG_INVALID', `Cannot read the passphrase file ${file} (TOKEN_BROKER_PASSPHRASE_FILE): ${code ?? 'error'}.`, {
      cause: error,
    });
  }
}

/**
 * Reads the passphrase from `file`: a regular file (not a symlink) owned by this user and not
 * readable or writable by anyone else (0600 or stricter); one trailing newline is ignored. The
 * checks and the read go through one open handle.
 * @throws BrokerError `CONFIG_INVALID` naming the file and the fix.
 */
export async function readPassphraseFile(file: string): Promise<Buffer> {
  const handle = await openPassphraseFile(file);
  try {
    return await readCheckedPassphrase(handle, file);
  } finally {
    await handle.close();
  }
}

async function readCheckedPassphrase(handle: FileHandle, file: string): Promise<Buffer> {
  const info = await handle.stat();
  if (!info.isFile()) throw new BrokerError('CONFIG_INVALID', `The passphrase file ${file} is not a regular file.`);
  if (process.platform !== 'win32') {
    if (typeof process.getuid === 'function' && info.uid !== process.getuid()) {
      throw new BrokerError(
        'CONFIG_INVALID',
        `The passphrase file ${file} is owned by another user (uid ${info.uid}); use a file you own with mode 0600.`,
      );
    }
    if ((info.mode & 0o077) !== 0) {
      throw new BrokerError(
        'CONFIG_INVALID',
        `The passphrase file ${file} is accessible by group or others (mode ${formatMode(info.mode)}); fix it with: chmod 600 '${file}'`,
      );
    }
  }
  const content = await handle.readFile();
  let end = content.length;
  if (content[end - 1] === 0x0a) end -= 1;
  if (content[end - 1] === 0x0d) end -= 1;
  const passphrase = Buffer.from(content.subarray(0, end));
  content.fill(0);
  if (passphrase.length === 0) throw new BrokerError('CONFIG_INVALID', `The passphrase file ${file} is empty.`);
  return passphrase;
}

export function newSalt(): Buffer {
  return randomBytes(SALT_LENGTH);
}

/** True when parameters read from a header are within the bounds this broker accepts. */
export function acceptableScrypt(params: ScryptParams): boolean {
  const withinRanges =
    Number.isInteger(params.logN) &&
    params.logN >= SCRYPT_LIMITS.minLogN &&
    params.logN <= SCRYPT_LIMITS.maxLogN &&
    params.r >= 1 &&
    params.r <= SCRYPT_LIMITS.maxR &&
    params.p >= 1 &&
    params.p <= SCRYPT_LIMITS.maxP;
  if (!withinRanges) return false;
  const n = 2 ** params.logN;
  return 128 * n * params.r <= SCRYPT_LIMITS.maxMemoryBytes && n * params.r * params.p <= SCRYPT_LIMITS.maxWork;
}

/** Derives the 256-bit vault key; `maxmem` is sized to the parameters (128·N·r plus slack). */
export function deriveKey(passphrase: Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.logN;
  const maxmem = 128 * N * params.r + 128 * params.r * params.p + 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(passphrase, salt, KEY_LENGTH, { N, r: params.r, p: params.p, maxmem }, (error, key) => {
      if (error) reject(new BrokerError('INTERNAL', 'Deriving the vault key from the passphrase failed.', { cause: error }));
      else resolve(key);
    });
  });
}
