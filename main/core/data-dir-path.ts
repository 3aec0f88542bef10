/**
 * Where the data directory is — a pure path computation, apart from data-dir.ts's checks so the
 * CLI's hot path (which only needs the path to find the socket) loads nothing else.
 */
import { posix, win32 } from 'node:path';

/**
 * The data directory: `TOKEN_BROKER_HOME` when set, else the OS's per-user app-data directory.
 *
 * - Linux and other Unixes: `$XDG_CONFIG_HOME/token-broker`, else `~/.config/token-broker`
 *   (XDG Base Directory: a relative `XDG_CONFIG_HOME` is invalid and ignored).
 * - macOS: `~/Library/Application Support/Token Broker`.
 * - Windows: `%APPDATA%\Token Broker`.
 *
 * Pure: reads only the `env` and `platform` it is given (defaults: this process), so every
 * platform's answer is testable anywhere.
 * @see https://specifications.freedesktop.org/basedir-spec/latest/
 */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const path = platform === 'win32' ? win32 : posix;
  const explicit = env.TOKEN_BROKER_HOME?.trim();
  if (explicit) return path.resolve(explicit);

  // node:os only when the environment does not say (it costs ~0.3 ms of each CLI call to load).
  const home = (platform === 'win32' ? env.USERPROFILE : env.HOME)?.trim() || process.getBuiltinModule('node:os').homedir();
  switch (platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Token Broker');
    case 'win32': {
      const appData = env.APPDATA?.trim() || path.join(home, 'AppData', 'Roaming');
      return path.join(appData, 'Token Broker');
    }
    default: {
      const xdg = env.XDG_CONFIG_HOME?.trim();
      const configHome = xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.config');
      return path.join(configHome, 'token-broker');
    }
  }
}
