/**
 * The vault's contract: every secret the broker holds, per account, encrypted at rest.
 */
import type { AccountIdentity } from '../../shared/accounts.js';
import type { TokenSet } from '../oauth/types.js';

export interface AccountSecrets {
  clientSecret?: string;
  /** PEM private key for private_key_jwt client authentication. */
  privateKeyPem?: string;
  tokens?: TokenSet;
  /**
   * The account's DPoP private key (PKCS#8 PEM, RFC 9449): made when the account first needs it,
   * kept with the tokens bound to it and forgotten with them. It never leaves the broker.
   */
  dpopKeyPem?: string;
  /**
   * Set by logout, cleared by the next sign-in: the account keeps its client secrets but hands
   * out nothing until a person signs in again — also client_credentials accounts, which could
   * otherwise fetch a token on their own. Kept here so it survives a restart.
   */
  signedOut?: true;
  /** Who the account was last signed in as; kept across logout (see AccountState.identity). */
  identity?: AccountIdentity;
}

/**
 * An open vault. Reads come from memory; each write is encrypted and durably on disk (atomic
 * replace, fsynced) before its promise resolves. Writes are serialized.
 */
export interface SecretVault {
  get(account: string): AccountSecrets | undefined;
  /** Replaces the secrets of one account. */
  /**
   * Replaces the secrets of one account. `scrubBackup`: the write replaces a secret that must not
   * outlive it in `vault.bin.bak` either (a grant replaced by a new sign-in), as removals never do.
   */
  set(account: string, secrets: AccountSecrets, options?: { scrubBackup?: boolean }): Promise<void>;
  delete(account: string): Promise<void>;
  /** Account names with secrets. */
  accounts(): string[];
  /** Waits for pending writes, releases the data-directory lock and drops the key. */
  close(): Promise<void>;
}
