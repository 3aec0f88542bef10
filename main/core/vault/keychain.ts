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
      throw keytarLoadFailure(error);
    }
    try {
      return await fn(keytar);
    } catch (error) {
      if (error instanceof KeytarLoadError) throw keytarLoadFailure(error);
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

/** keytar could not be loaded: the message says why and what to do. */
function keytarLoadFailure(error: unknown): BrokerError {
  // In a source checkout the usual cause is `npm start`, which builds keytar for Electron.
  const abiMismatch = /NODE_MODULE_VERSION|compiled against a different/.test(firstLine(error));
  const remedy = abiMismatch
    ? 'keytar was built for another runtime (Electron vs Node): run `npm rebuild keytar` (in a source checkout: `node scripts/native-deps.mjs node`)'
    : 'Reinstall token-broker so its native module matches this Node/Electron version';
  return new BrokerError(
    'KEYCHAIN_UNAVAILABLE',
    `The OS keychain module (keytar) could not be loaded: ${firstLine(error)}. ${remedy}, or ${PASSPHRASE_ALTERNATIVE}.`,
    { cause: error },
  );
}

/** keytar failed to load in the helper process (so the remedy is the loading one). */
class KeytarLoadError extends Error {
  override readonly name = 'KeytarLoadError';
}

/**
 * The helper process: loads keytar from the path it is given, runs one operation (the password
 * to store arrives on stdin, never in argv or the environment) and prints one JSON answer.
 */
const HELPER_SOURCE = `
const [path, op, service, account] = process.argv.slice(1);
let input = '';
process.stdin.setEncoding('utf8').on('data', (chunk) => (input += chunk)).on('end', async () => {
  let keytar;
  try {
    keytar = require(path);
  } catch (error) {
    process.stdout.write(JSON.stringify({ ok: false, load: true, message: String((error && error.message) || error) }));
    return;
  }
  try {
    const value =
      op === 'get' ? await keytar.getPassword(service, account)
      : op === 'set' ? await keytar.setPassword(service, account, input)
      : await keytar.deletePassword(service, account);
    process.stdout.write(JSON.stringify({ ok: true, value: value === undefined ? null : value }));
  } catch (error) {
    process.stdout.write(JSON.stringify({ ok: false, message: String((error && error.message) || error) }));
  }
});
`;

/**
 * keytar run in a short-lived helper process (this Node binary), one process per operation.
 * For the headless daemon (issue 15): loading keytar maps libsecret, gio, glib, gcrypt … into
 * the process for the rest of its life (~6 MB resident) to read one key at start. The helper
 * answers over a pipe; the secret never appears in argv or the environment. Construction never
 * fails; a helper that cannot load keytar is reported like an in-process load failure.
 */
export function keytarInChildProcess(options: { keytarPath?: string; execPath?: string } = {}): KeytarModule {
  let path = options.keytarPath;
  const run = async (op: 'get' | 'set' | 'delete', service: string, account: string, input = ''): Promise<unknown> => {
    path ??= createRequire(import.meta.url).resolve('keytar');
    const { spawn } = await import('node:child_process');
    return new Promise((resolve, reject) => {
      const child = spawn(options.execPath ?? process.execPath, ['-e', HELPER_SOURCE, path as string, op, service, account], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      child.once('error', reject);
      child.once('close', (code) => {
        let answer: { ok?: unknown; load?: unknown; value?: unknown; message?: unknown } | undefined;
        try {
          answer = JSON.parse(out) as typeof answer;
        } catch {
          answer = undefined;
        }
        if (answer?.ok === true) resolve(answer.value);
        else if (answer !== undefined) {
          const message = typeof answer.message === 'string' ? answer.message : 'unknown error';
          reject(answer.load === true ? new KeytarLoadError(message) : new Error(message));
        } else reject(new Error(`the keychain helper exited with ${code ?? 'a signal'}: ${firstLine(err)}`));
      });
      child.stdin.end(input);
    });
  };
  const module = {
    getPassword: (service: string, account: string) => run('get', service, account) as Promise<string | null>,
    setPassword: async (service: string, account: string, password: string) => {
      await run('set', service, account, password);
    },
    deletePassword: (service: string, account: string) => run('delete', service, account) as Promise<boolean>,
  };
  return module as unknown as KeytarModule;
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
