/**
 * The vault's contract: every secret the broker holds, per account, encrypted at rest.
 */
import type { TokenSet } from '../oauth/types.js';

export interface AccountSecrets {
  clientSecret?: string;
  /** PEM private key for private_key_jwt client authentication. */
  privateKeyPem?: string;
  tokens?: TokenSet;
}

/**
 * An open vault. Reads come from memory; each write is encrypted and durably on disk (atomic
 * replace, fsynced) before its promise resolves. Writes are serialized.
 */
export interface SecretVault {
  get(account: string): AccountSecrets | undefined;
  /** Replaces the secrets of one account. */
  set(account: string, secrets: AccountSecrets): Promise<void>;
  delete(account: string): Promise<void>;
  /** Account names with secrets. */
  accounts(): string[];
  /** Waits for pending writes, releases the data-directory lock and drops the key. */
  close(): Promise<void>;
}
