/**
 * The encrypted vault: every secret the broker holds, in `<dataDir>/vault.bin`.
 *
 * Opening takes the data-directory lock, gets the key (keychain item, or scrypt over the
 * passphrase file), decrypts and validates the file, and keeps the content in memory. Every
 * write re-encrypts the whole content with a fresh nonce and replaces the file atomically,
 * keeping the previous generation as `vault.bin.bak`. A vault that cannot be opened is never
 * written to. See docs/vault.md.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ACCOUNT_NAME_RULE, isAccountName } from '../../shared/accounts.js';
import { ensurePrivateDir } from '../data-dir.js';
import { BrokerError } from '../errors.js';
import { invalidInput } from '../issues.js';
import { BACKUP_SUFFIX, removeStaleTempFiles, writeFileAtomic } from '../fs/atomic-write.js';
import { acquireDirLock, type DirLock } from '../fs/dir-lock.js';
import type { SecretStore } from '../ports.js';
import {
  keyIdOf,
  openSealedVault,
  parseHeader,
  sealVault,
  VaultFormatError,
  type KeySource,
  type ScryptParams,
  type VaultHeader,
} from './format.js';
import {
  acceptableScrypt,
  createKeychainKey,
  DEFAULT_SCRYPT,
  deriveKey,
  KEYCHAIN_SERVICE,
  keychainAccountFor,
  newSalt,
  readKeychainKey,
  readPassphraseFile,
} from './key-source.js';
import { checkAccountSecrets, decodePayload, encodePayload, stripUndefined } from './payload.js';
import type { AccountSecrets, SecretVault } from './types.js';

export type { AccountSecrets, SecretVault } from './types.js';
export { createKeytarSecretStore, keychainRemedy } from './keychain.js';
export { DEFAULT_SCRYPT, KEYCHAIN_SERVICE, keychainAccountFor } from './key-source.js';

export const VAULT_FILE_NAME = 'vault.bin';

export interface OpenVaultOptions {
  /** The data directory (created 0700 if missing; refused if not private). */
  dataDir: string;
  /** The OS keychain (createKeytarSecretStore()); unused when `passphraseFile` is set. */
  secretStore: SecretStore;
  /**
   * Passphrase mode: derive the key from this 0600 file with scrypt instead of using the
   * keychain. Callers pass `env.TOKEN_BROKER_PASSPHRASE_FILE`; the vault does not read the env.
   */
  passphraseFile?: string;
}

/** How the key of an open vault is obtained, kept for writes and for messages. */
interface KeyMaterial {
  key: Buffer;
  keySource: KeySource;
  scrypt?: ScryptParams;
  salt?: Buffer;
  /** Passphrase vaults: the data directory (real path) the key id binds the vault to. */
  keyIdBinding?: string;
  /** The file still has a key id from before the binding: re-sealed (bound) once opened. */
  rebind?: boolean;
}

/**
 * Opens (or on first run creates) the vault in `dataDir`.
 *
 * @throws BrokerError
 *  - `VAULT_LOCKED` another process has the data directory open;
 *  - `KEYCHAIN_UNAVAILABLE` the keychain cannot be reached (message names the remedy);
 *  - `VAULT_KEY_MISMATCH` the vault was encrypted with another key than the keychain's, or the
 *    keychain item is missing while the vault exists, or the key source differs from the mode;
 *  - `PASSPHRASE_INVALID` the passphrase does not open this vault;
 *  - `VAULT_CORRUPT` the file is damaged (the message names the backup);
 *  - `CONFIG_INVALID` / `SOCKET_INSECURE` for an unusable passphrase file or data directory.
 */
export async function openVault(options: OpenVaultOptions): Promise<SecretVault> {
  const { dataDir } = options;
  await ensurePrivateDir(dataDir);
  const lock = await acquireDirLock(dataDir);
  let material: KeyMaterial | undefined;
  try {
    const path = join(dataDir, VAULT_FILE_NAME);
    await removeStaleTempFiles(path);
    const file = await readIfExists(path);
    let accounts: Map<string, AccountSecrets>;
    if (file === undefined) {
      if ((await readIfExists(path + BACKUP_SUFFIX)) !== undefined) {
        throw new BrokerError(
          'VAULT_CORRUPT',
          `The vault ${path} is missing but its backup ${path}${BACKUP_SUFFIX} exists. Nothing was changed. ` +
            `Restore it with: cp '${path}${BACKUP_SUFFIX}' '${path}' — or remove the backup to start an empty vault (you will have to sign in again).`,
        );
      }
      material =
        options.passphraseFile === undefined
          ? await newKeychainMaterial(options.secretStore, dataDir)
          : await newPassphraseMaterial(options.passphraseFile, await realpath(dataDir));
      accounts = new Map();
      await persist(path, material, accounts);
    } else {
      const hasBackup = (await stat(path + BACKUP_SUFFIX).catch(() => undefined))?.isFile() === true;
      const header = parseOrCorrupt(path, file, hasBackup);
      material = await existingKeyMaterial(options, path, header, hasBackup, file);
      accounts = decryptOrCorrupt(path, material.key, file, hasBackup);
      if (material.rebind === true) {
        // Both generations carry the bound key id from now on.
        await persist(path, material, accounts, true);
        material.rebind = false;
      }
    }
    return createOpenVault(path, lock, material, accounts);
  } catch (error) {
    material?.key.fill(0);
    await lock.release();
    throw error;
  }
}

async function newKeychainMaterial(store: SecretStore, dataDir: string): Promise<KeyMaterial> {
  const account = await keychainAccountFor(dataDir);
  // An item without a vault is reused: the vault may have been removed on purpose to start over.
  const key = (await readKeychainKey(store, account)) ?? (await createKeychainKey(store, account));
  return { key, keySource: 'keychain' };
}

async function newPassphraseMaterial(passphraseFile: string, keyIdBinding: string): Promise<KeyMaterial> {
  const salt = newSalt();
  const passphrase = await readPassphraseFile(passphraseFile);
  try {
    const key = await deriveKey(passphrase, salt, DEFAULT_SCRYPT);
    return { key, keySource: 'scrypt', scrypt: { ...DEFAULT_SCRYPT }, salt, keyIdBinding };
  } finally {
    passphrase.fill(0);
  }
}

async function existingKeyMaterial(
  options: OpenVaultOptions,
  path: string,
  header: VaultHeader,
  hasBackup: boolean,
  file: Buffer,
): Promise<KeyMaterial> {
  if (header.keySource === 'scrypt') {
    if (options.passphraseFile === undefined) {
      throw new BrokerError(
        'VAULT_KEY_MISMATCH',
        `The vault ${path} is protected by a passphrase, not by the OS keychain. Set TOKEN_BROKER_PASSPHRASE_FILE to the file holding that passphrase.`,
      );
    }
    const params = header.scrypt ?? DEFAULT_SCRYPT;
    if (!acceptableScrypt(params)) {
      throw corrupt(path, `its header has unsupported scrypt parameters (log2 N ${params.logN}, r ${params.r}, p ${params.p})`, hasBackup);
    }
    const passphrase = await readPassphraseFile(options.passphraseFile);
    let key: Buffer;
    try {
      key = await deriveKey(passphrase, header.salt, params);
    } finally {
      passphrase.fill(0);
    }
    const binding = await realpath(options.dataDir);
    const material: KeyMaterial = { key, keySource: 'scrypt', scrypt: params, salt: header.salt, keyIdBinding: binding };
    if (keyIdOf(key, binding).equals(header.keyId)) return material;
    // A vault written before key ids were bound to their directory: opened once, then bound.
    if (keyIdOf(key).equals(header.keyId)) return { ...material, rebind: true };
    // The right passphrase opens it but it is bound to another directory — copied or moved here
    // (the same passphrase in two data directories must not make their vaults interchangeable).
    const opensWithThisKey = (() => {
      try {
        openSealedVault(key, file).fill(0);
        return true;
      } catch {
        return false;
      }
    })();
    key.fill(0);
    if (opensWithThisKey) {
      throw new BrokerError(
        'VAULT_KEY_MISMATCH',
        `The vault ${path} belongs to another data directory: it was created (or last bound) elsewhere and copied or moved here. Nothing was changed. ` +
          `Use it from the directory it was created in, or move ${path} (and ${path}${BACKUP_SUFFIX}) away to start an empty vault here and sign in again.`,
      );
    }
    throw new BrokerError(
      'PASSPHRASE_INVALID',
      `The passphrase in ${options.passphraseFile} does not open the vault ${path}. Nothing was changed. Use the passphrase the vault was created with.`,
    );
  }

  if (options.passphraseFile !== undefined) {
    throw new BrokerError(
      'VAULT_KEY_MISMATCH',
      `The vault ${path} is protected by the OS keychain, but TOKEN_BROKER_PASSPHRASE_FILE is set. Unset it to use the keychain ` +
        '(a passphrase vault needs a new data directory: set TOKEN_BROKER_HOME too).',
    );
  }
  const account = await keychainAccountFor(options.dataDir);
  const key = await readKeychainKey(options.secretStore, account);
  if (key === undefined) {
    throw new BrokerError(
      'VAULT_KEY_MISMATCH',
      `The vault ${path} exists but the OS keychain has no key for it (${keychainItem(account)}). Nothing was changed. ` +
        'Was the keychain reset, or the data directory copied from another machine or user? Restore the keychain item, or move ' +
        `${path} (and ${path}${BACKUP_SUFFIX}) away to start an empty vault and sign in again.`,
    );
  }
  if (!keyIdOf(key).equals(header.keyId)) {
    key.fill(0);
    throw new BrokerError(
      'VAULT_KEY_MISMATCH',
      `The vault ${path} was encrypted with a different key than the one in the OS keychain (${keychainItem(account)}). Nothing was changed. ` +
        'It was probably copied from another machine or user. Restore the matching keychain item, or move ' +
        `${path} (and ${path}${BACKUP_SUFFIX}) away to start an empty vault and sign in again.`,
    );
  }
  return { key, keySource: 'keychain' };
}

function keychainItem(account: string): string {
  return `keychain item "${KEYCHAIN_SERVICE}" / "${account}"`;
}

function parseOrCorrupt(path: string, file: Buffer, hasBackup: boolean): VaultHeader {
  try {
    return parseHeader(file);
  } catch (error) {
    if (error instanceof VaultFormatError) throw corrupt(path, error.message, hasBackup, error);
    throw error;
  }
}

function decryptOrCorrupt(path: string, key: Buffer, file: Buffer, hasBackup: boolean): Map<string, AccountSecrets> {
  let plaintext: Buffer;
  try {
    plaintext = openSealedVault(key, file);
  } catch (error) {
    if (error instanceof VaultFormatError) throw corrupt(path, error.message, hasBackup, error);
    throw error;
  }
  try {
    const accounts = decodePayload(plaintext);
    if (accounts === undefined) throw corrupt(path, 'its decrypted content is not a valid vault payload', hasBackup);
    return accounts;
  } finally {
    plaintext.fill(0);
  }
}

function corrupt(path: string, reason: string, hasBackup: boolean, cause?: unknown): BrokerError {
  const backup = path + BACKUP_SUFFIX;
  const remedy = hasBackup
    ? `The previous generation is kept in ${backup}: stop token-broker and restore it with cp '${backup}' '${path}' ` +
      `(accounts changed since may need a new sign-in), or move ${path} away to start an empty vault.`
    : `There is no backup (${backup} does not exist): move ${path} away to start an empty vault and sign in again.`;
  return new BrokerError(
    'VAULT_CORRUPT',
    `The vault ${path} is damaged: ${reason}. It was left unchanged. ${remedy}`,
    cause === undefined ? {} : { cause },
  );
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EISDIR') throw corrupt(path, 'it is a directory, not a file', false, error);
    throw new BrokerError('INTERNAL', `Cannot read the vault ${path} (${code ?? 'error'}); check its permissions.`, { cause: error });
  }
}

/**
 * Whether `next` drops a secret that `previous` held: an account deleted, or its client secret,
 * private key or tokens removed (logout, remove, invalid_grant). Replacing a value (a rotated
 * token, a new client secret) does not count: the provider invalidates the old one.
 */
export function dropsSecrets(previous: ReadonlyMap<string, AccountSecrets>, next: ReadonlyMap<string, AccountSecrets>): boolean {
  for (const [name, before] of previous) {
    const after = next.get(name);
    if (after === undefined) return true;
    if (before.clientSecret !== undefined && after.clientSecret === undefined) return true;
    if (before.privateKeyPem !== undefined && after.privateKeyPem === undefined) return true;
    if (before.tokens !== undefined && after.tokens === undefined) return true;
  }
  return false;
}

/**
 * Seals and writes the vault. `scrubBackup`: the write removes secrets, so the previous
 * generation must not keep them in `vault.bin.bak` either — the backup is then rewritten from the
 * new generation, after the main file (so there is always a readable current file; a crash in
 * between leaves an older backup, as a crash during any write can).
 */
async function persist(
  path: string,
  material: KeyMaterial,
  accounts: ReadonlyMap<string, AccountSecrets>,
  scrubBackup = false,
): Promise<void> {
  const plaintext = encodePayload(accounts);
  let sealed: Buffer;
  try {
    sealed = sealVault(material.key, plaintext, {
      keySource: material.keySource,
      ...(material.scrypt === undefined ? {} : { scrypt: material.scrypt }),
      ...(material.salt === undefined ? {} : { salt: material.salt }),
      ...(material.keyIdBinding === undefined ? {} : { keyIdBinding: material.keyIdBinding }),
    });
  } finally {
    plaintext.fill(0);
  }
  await writeFileAtomic(path, sealed, { mode: 0o600, keepBackup: true });
  if (scrubBackup) await writeFileAtomic(path + BACKUP_SUFFIX, sealed, { mode: 0o600 });
}

type Change = (accounts: Map<string, AccountSecrets>) => void;

interface PendingWrite {
  change: Change;
  scrubBackup: boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The open vault. Writes queue up; whatever queued while a write was on disk is applied
 * together in the next write (group commit), and each caller's promise settles with the write
 * that carried its change. Memory is updated only after the file is durable.
 */
function createOpenVault(path: string, lock: DirLock, material: KeyMaterial, initial: Map<string, AccountSecrets>): SecretVault {
  let accounts = initial;
  let pending: PendingWrite[] = [];
  // `draining` flips synchronously with the queue, so a caller resumed by one write's promise
  // that enqueues the next write always finds an accurate flag.
  let draining = false;
  let idle: Promise<void> = Promise.resolve();
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new BrokerError('INTERNAL', 'The vault is closed.');
  };

  const drain = async (): Promise<void> => {
    try {
      while (pending.length > 0) {
        const batch = pending;
        pending = [];
        const next = new Map(accounts);
        for (const item of batch) item.change(next);
        try {
          await persist(path, material, next, dropsSecrets(accounts, next) || batch.some((item) => item.scrubBackup));
          accounts = next;
          for (const item of batch) item.resolve();
        } catch (error) {
          const failure = new BrokerError('INTERNAL', `Writing the vault ${path} failed; the previous content is unchanged.`, {
            cause: error,
          });
          for (const item of batch) item.reject(failure);
        }
      }
    } finally {
      draining = false;
    }
  };

  const enqueue = (change: Change, scrubBackup = false): Promise<void> => {
    assertOpen();
    const done = new Promise<void>((resolve, reject) => pending.push({ change, scrubBackup, resolve, reject }));
    if (!draining) {
      draining = true;
      idle = drain();
    }
    return done;
  };

  return {
    get(account) {
      assertOpen();
      const secrets = accounts.get(account);
      return secrets === undefined ? undefined : structuredClone(secrets);
    },
    set(account, secrets, options = {}) {
      try {
        assertOpen();
        assertAccountName(account);
        const checked = checkAccountSecrets(secrets);
        if (checked.problems.length > 0) {
          throw invalidInput('INVALID_REQUEST', `Secrets for account "${account}" are malformed`, checked.problems, { account });
        }
        const value = stripUndefined(checked.secrets);
        return enqueue((next) => next.set(account, value), options.scrubBackup === true);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    delete(account) {
      try {
        assertOpen();
        if (!accounts.has(account) && !draining) return Promise.resolve();
        return enqueue((next) => {
          next.delete(account);
        });
      } catch (error) {
        return Promise.reject(error);
      }
    },
    accounts() {
      assertOpen();
      return [...accounts.keys()].sort();
    },
    async close() {
      if (closed) return;
      closed = true;
      await idle;
      material.key.fill(0);
      accounts = new Map();
      await lock.release();
    },
  };
}

function assertAccountName(account: string): void {
  if (!isAccountName(account)) throw new BrokerError('INVALID_REQUEST', `Account names use ${ACCOUNT_NAME_RULE}.`);
}
