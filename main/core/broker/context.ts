/**
 * What the broker's modules share: the ports, the per-account state, and small helpers around
 * the config store, the vault and provider metadata. Built once by createBrokerService.
 */
import type { AccountConfig, BrokerConfig } from '../accounts/model.js';
import type { ConfigStore } from '../accounts/config-store.js';
import { BrokerError } from '../errors.js';
import type { ClientAuth, ProviderMetadata } from '../oauth/types.js';
import type { Clock, Logger } from '../ports.js';
import type { AccountSecrets, SecretVault } from '../vault/types.js';
import { createAccountState, type AccountState } from './account-state.js';
import { createSequencer } from './concurrency.js';
import { createDpopKeys, type DpopKeys } from './dpop-keys.js';
import type { EventEmitter } from './events.js';
import type { GrantPort, HttpClient } from './grant-port.js';
import type { BrokerEvent } from './types.js';

export interface BrokerContext {
  readonly configStore: ConfigStore;
  readonly vault: SecretVault;
  readonly http: HttpClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly grants: GrantPort;
  readonly events: EventEmitter<BrokerEvent>;
  /** Uniform [0, 1), for jitter. */
  readonly random: () => number;
  /** The account's config, or undefined. Hot path: a Map lookup in the broker's own index. */
  findAccount(name: string): AccountConfig | undefined;
  /** Every account, in config order (from the index; no copy of the config is made). */
  accounts(): readonly AccountConfig[];
  /**
   * Re-reads the accounts from the config store. The store hands out a deep copy on every
   * `get()`, far too slow for the hot path, so the broker indexes the config once and again after
   * each change it makes (account changes go through the broker).
   */
  reloadAccounts(config?: BrokerConfig): void;
  /** The account's config, or ACCOUNT_NOT_FOUND. */
  requireAccount(name: string): AccountConfig;
  /** The in-memory state of an account, created from the vault on first use. */
  state(name: string): AccountState;
  dropState(name: string): void;
  /** The in-memory state (tokens, refresh bookkeeping) follows a renamed account. */
  moveState(from: string, to: string): void;
  /**
   * Read-modify-write of one account's vault entry, serialized per account so concurrent
   * updates (a refresh and an edit) never lose each other's fields. `undefined` deletes it.
   */
  updateSecrets(
    name: string,
    mutate: (current: AccountSecrets | undefined) => AccountSecrets | undefined,
    options?: { scrubBackup?: boolean },
  ): Promise<void>;
  /** Provider metadata (memoized per account and provider config) and the client's auth. */
  providerFor(account: AccountConfig): Promise<{ metadata: ProviderMetadata; client: ClientAuth }>;
  forgetProvider(name: string): void;
  /** Called whenever an account's tokens or refresh schedule changed (re-arms the scheduler). */
  onScheduleChanged(): void;
  /** The accounts' DPoP keys and nonces (RFC 9449). */
  readonly dpop: DpopKeys;
}

export interface ContextOptions {
  configStore: ConfigStore;
  vault: SecretVault;
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  grants: GrantPort;
  events: EventEmitter<BrokerEvent>;
  random: () => number;
}

export function createBrokerContext(options: ContextOptions): BrokerContext & { setScheduleListener(listener: () => void): void } {
  const { configStore, vault, grants, http } = options;
  const states = new Map<string, AccountState>();
  const secretWrites = createSequencer<string>();
  const metadataCache = new Map<string, { key: string; metadata: Promise<ProviderMetadata> }>();
  let list: readonly AccountConfig[] = [];
  let index = new Map<string, AccountConfig>();
  let scheduleListener: () => void = () => {};

  function reloadAccounts(config: BrokerConfig = configStore.get()): void {
    list = config.accounts;
    index = new Map(list.map((account) => [account.name, account]));
  }
  reloadAccounts();

  function findAccount(name: string): AccountConfig | undefined {
    return index.get(name);
  }

  function updateSecrets(
    name: string,
    mutate: (current: AccountSecrets | undefined) => AccountSecrets | undefined,
    setOptions: { scrubBackup?: boolean } = {},
  ): Promise<void> {
    return secretWrites.queue(name, async () => {
      const current = vault.get(name);
      const next = mutate(current);
      if (next === undefined) {
        if (current !== undefined) await vault.delete(name);
      } else {
        await vault.set(name, next, setOptions);
      }
    });
  }

  const dpop = createDpopKeys({ clock: options.clock, readSecrets: (name) => vault.get(name), updateSecrets });

  return {
    ...options,
    dpop,
    findAccount,
    accounts: () => list,
    reloadAccounts,
    requireAccount(name) {
      const account = findAccount(name);
      if (account === undefined) {
        throw new BrokerError('ACCOUNT_NOT_FOUND', `No account named '${name}'.`, { account: name });
      }
      return account;
    },
    state(name) {
      let state = states.get(name);
      if (state === undefined) {
        const secrets = vault.get(name);
        state = createAccountState(secrets?.tokens, secrets?.signedOut === true, secrets?.identity);
        states.set(name, state);
      }
      return state;
    },
    dropState(name) {
      states.delete(name);
    },
    moveState(from, to) {
      const state = states.get(from);
      states.delete(from);
      states.delete(to);
      if (state !== undefined) {
        // A refresh that captured the old name must not write under it: its result is dropped.
        state.generation += 1;
        states.set(to, state);
      }
      dpop.forget(from);
    },
    updateSecrets,
    async providerFor(account) {
      const key = JSON.stringify(account.provider);
      let cached = metadataCache.get(account.name);
      if (cached === undefined || cached.key !== key) {
        const metadata = grants.resolveProviderMetadata(account.provider, http);
        cached = { key, metadata };
        metadataCache.set(account.name, cached);
        // A failed discovery is retried next time rather than remembered.
        metadata.catch(() => {
          if (metadataCache.get(account.name) === cached) metadataCache.delete(account.name);
        });
      }
      const metadata = await cached.metadata;
      const secrets = vault.get(account.name);
      const client = grants.toClientAuth(account.client, {
        ...(secrets?.clientSecret === undefined ? {} : { clientSecret: secrets.clientSecret }),
        ...(secrets?.privateKeyPem === undefined ? {} : { privateKeyPem: secrets.privateKeyPem }),
      });
      return { metadata, client };
    },
    forgetProvider(name) {
      metadataCache.delete(name);
    },
    onScheduleChanged() {
      scheduleListener();
    },
    setScheduleListener(listener) {
      scheduleListener = listener;
    },
  };
}
