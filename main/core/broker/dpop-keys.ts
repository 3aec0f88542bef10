/**
 * The accounts' DPoP keys (RFC 9449): when an account uses DPoP, its key pair, and the server
 * nonces remembered for it.
 *
 * - Whether an account uses DPoP is a pure rule ({@link usesDpop}): `on` always, `auto` when the
 *   provider advertises ES256 in `dpop_signing_alg_values_supported`, `off` never; never for a
 *   grant whose tokens cannot be bound (implicit).
 * - The key is made when the account first needs it and written to the vault (inside the
 *   account's serialized vault update, so two first uses cannot make two keys) before any proof
 *   is signed with it. It lives as long as the tokens bound to it: forgetting the tokens (logout,
 *   invalid_grant) forgets the key, and the next sign-in makes a new one.
 * - Parsed keys are kept in memory per account and PEM, so a proof costs one signature.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-5 RFC 9449 §5}, {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-5.1 §5.1}
 */
import { GRANT_TRAITS } from '../../shared/grants.js';
import type { AccountConfig } from '../accounts/model.js';
import { BrokerError } from '../errors.js';
import {
  DPOP_ALG,
  DpopNonceStore,
  exportDpopPrivateKey,
  generateDpopKey,
  importDpopPrivateKey,
  type DpopBinding,
  type DpopKey,
} from '../oauth/dpop.js';
import type { ProviderMetadata, TokenSet } from '../oauth/types.js';
import type { Clock } from '../ports.js';
import type { AccountSecrets } from '../vault/types.js';

/**
 * Whether the account's token requests carry DPoP proofs with this provider.
 * @see {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-5.1 RFC 9449 §5.1}
 */
export function usesDpop(account: AccountConfig, metadata: ProviderMetadata): boolean {
  if (!GRANT_TRAITS[account.grant].senderConstrainable) return false;
  if (account.dpop === 'on') return true;
  if (account.dpop === 'off') return false;
  return metadata.dpopSigningAlgValuesSupported?.includes(DPOP_ALG) === true;
}

/**
 * `dpop: on` promises sender-constrained tokens: a provider that answers a proof with a Bearer
 * token (it ignored the proof) is refused rather than silently downgraded.
 * @throws BrokerError `INVALID_RESPONSE`
 */
export function requireBound<T extends TokenSet>(account: AccountConfig, dpop: DpopBinding | undefined, tokens: T): T {
  if (dpop !== undefined && account.dpop === 'on' && tokens.tokenType.toLowerCase() !== 'dpop') {
    throw new BrokerError(
      'INVALID_RESPONSE',
      `The provider issued a ${tokens.tokenType} token for '${account.name}', which requires DPoP (dpop: on). Enable DPoP for the client at the provider, or set dpop to auto.`,
      { account: account.name },
    );
  }
  return tokens;
}

export interface DpopKeys {
  /**
   * The binding for the account's provider requests, making and storing its key on first use;
   * undefined when the account does not use DPoP with this provider.
   */
  bindingFor(account: AccountConfig, metadata: ProviderMetadata): Promise<DpopBinding | undefined>;
  /** The account's stored key, if it has one (never makes one). Hot path: a Map lookup. */
  keyOf(name: string): DpopKey | undefined;
  /** The server nonces remembered for the account, per origin (RFC 9449 §8, §9). */
  nonces(name: string): DpopNonceStore;
  /** Forgets what is kept in memory for the account (its nonces; the parsed key follows the vault). */
  forget(name: string): void;
}

export interface DpopKeysDeps {
  clock: Clock;
  readSecrets(name: string): AccountSecrets | undefined;
  updateSecrets(name: string, mutate: (current: AccountSecrets | undefined) => AccountSecrets | undefined): Promise<void>;
}

export function createDpopKeys(deps: DpopKeysDeps): DpopKeys {
  const parsed = new Map<string, { pem: string; key: DpopKey }>();
  const nonceStores = new Map<string, DpopNonceStore>();

  function keyOf(name: string): DpopKey | undefined {
    const pem = deps.readSecrets(name)?.dpopKeyPem;
    if (pem === undefined) return undefined;
    const known = parsed.get(name);
    if (known !== undefined && known.pem === pem) return known.key;
    const key = importDpopPrivateKey(pem);
    parsed.set(name, { pem, key });
    return key;
  }

  function nonces(name: string): DpopNonceStore {
    let store = nonceStores.get(name);
    if (store === undefined) {
      store = new DpopNonceStore();
      nonceStores.set(name, store);
    }
    return store;
  }

  return {
    async bindingFor(account, metadata) {
      if (!usesDpop(account, metadata)) return undefined;
      let key = keyOf(account.name);
      if (key === undefined) {
        // Made inside the serialized vault update: a concurrent first use finds this one.
        await deps.updateSecrets(account.name, (current) => {
          if (current?.dpopKeyPem !== undefined) return current;
          return { ...current, dpopKeyPem: exportDpopPrivateKey(generateDpopKey()) };
        });
        key = keyOf(account.name);
        if (key === undefined)
          throw new BrokerError('INTERNAL', `Could not keep a DPoP key for '${account.name}'.`, { account: account.name });
      }
      return { key, nonces: nonces(account.name), clock: deps.clock };
    },
    keyOf,
    nonces,
    forget(name) {
      parsed.delete(name);
      nonceStores.delete(name);
    },
  };
}
