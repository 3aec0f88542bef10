/**
 * The OS keychain through keytar (macOS Keychain, Windows Credential Manager, Linux Secret
 * Service via libsecret), as a {@link SecretStore}.
 *
 * keytar is a native module and external to the bundles, so it is loaded lazily with
 * createRequire: a missing or unbuildable keytar then surfaces as a clear
 * `KEYCHAIN_UNAVAILABLE` at first use instead of a crash at import. Every keytar failure is
 * translated here, in one place; there is no fallback to anything unencrypted.
 */
import { createRequire } from 'node:module';
import type Keytar from 'keytar';
import { BrokerError } from '../errors.js';
import type { SecretStore } from '../ports.js';

type KeytarModule = typeof Keytar;

const PASSPHRASE_ALTERNATIVE =
  'set TOKEN_BROKER_PASSPHRASE_FILE to a 0600 file holding a passphrase (the vault key is then derived with scrypt and no keychain is used)';

/** What to do when no keychain is reachable, per platform. */
export function keychainRemedy(platform: NodeJS.Platform = process.platform): string {
  const passphrase = `or ${PASSPHRASE_ALTERNATIVE}`;
  switch (platform) {
    case 'darwin':
      return `Unlock the login keychain (Keychain Access), ${passphrase}.`;
    case 'win32':
      return `Make sure Windows Credential Manager is available for your user, ${passphrase}.`;
    default:
      return (
        'Install and unlock a Secret Service provider — gnome-keyring (e.g. `sudo apt-get install gnome-keyring`, then log in to a ' +
        'desktop session or run `gnome-keyring-daemon --unlock`) or KeePassXC with Secret Service integration enabled — and make sure ' +
        `DBUS_SESSION_BUS_ADDRESS reaches your session bus; ${passphrase}.`
      );
  }
}

/**
 * A {@link SecretStore} backed by keytar. Construction never fails; every call either succeeds
 * or throws `BrokerError('KEYCHAIN_UNAVAILABLE')` naming the remedy (the original keytar error
 * is kept as `cause`, its message never includes the secret).
 */
export function createKeytarSecretStore(options: { load?: () => KeytarModule } = {}): SecretStore {
  let keytar: KeytarModule | undefined;
  const load = options.load ?? loadKeytar;

  const call = async <T>(operation: string, fn: (k: KeytarModule) => Promise<T>): Promise<T> => {
    try {
      keytar ??= load();
    } catch (error) {
      // In a source checkout the usual cause is `npm start`, which builds keytar for Electron.
      const abiMismatch = /NODE_MODULE_VERSION|compiled against a different/.test(firstLine(error));
      const remedy = abiMismatch
        ? 'keytar was built for another runtime (Electron vs Node): run `npm rebuild keytar` (in a source checkout: `node scripts/native-deps.mjs node`)'
        : 'Reinstall token-broker so its native module matches this Node/Electron version';
      throw new BrokerError(
        'KEYCHAIN_UNAVAILABLE',
        `The OS keychain module (keytar) could not be loaded: ${firstLine(error)}. ${remedy}, or ${PASSPHRASE_ALTERNATIVE}.`,
        { cause: error },
      );
    }
    try {
      return await fn(keytar);
    } catch (error) {
      throw new BrokerError(
        'KEYCHAIN_UNAVAILABLE',
        `The OS keychain is not available (${operation}: ${firstLine(error)}). ${keychainRemedy()}`,
        {
          cause: error,
        },
      );
    }
  };

  return {
    getPassword: (service, account) => call('read', (k) => k.getPassword(service, account)),
    setPassword: (service, account, password) => call('write', (k) => k.setPassword(service, account, password)),
    deletePassword: (service, account) => call('delete', (k) => k.deletePassword(service, account)),
  };
}

function loadKeytar(): KeytarModule {
  const require = createRequire(import.meta.url);
  const loaded = require('keytar') as KeytarModule & { default?: KeytarModule };
  return typeof loaded.getPassword === 'function' ? loaded : (loaded.default ?? loaded);
}

/** keytar/libsecret messages are short and never contain the secret; keep the first line only. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split('\n', 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line || 'unknown error';
}
