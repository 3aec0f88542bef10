/**
 * Where the token API listens. Kept free of heavy imports: the CLI's `token` path loads it on
 * every script call.
 */
import { join } from 'node:path';

/** The per-user named pipe on Windows (named pipes have no directory to protect). */
export function windowsPipeName(username: string): string {
  const safe = username.replace(/[^A-Za-z0-9._-]/g, '_') || 'user';
  return `\\\\.\\pipe\\token-broker-${safe}`;
}

export function isWindowsPipe(path: string): boolean {
  return path.startsWith('\\\\.\\pipe\\') || path.startsWith('\\\\?\\pipe\\');
}

/**
 * `TOKEN_BROKER_SOCKET` when set, else `<dataDir>/broker.sock`; on Windows the per-user pipe
 * `\\.\pipe\token-broker-<user>`.
 */
export function defaultSocketPath(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  const override = env.TOKEN_BROKER_SOCKET;
  if (override !== undefined && override !== '') return override;
  // node:os loaded where it is needed (~0.3 ms of each CLI call elsewhere).
  if (platform === 'win32') return windowsPipeName(process.getBuiltinModule('node:os').userInfo().username);
  return join(dataDir, 'broker.sock');
}

/**
 * The size of `sockaddr_un.sun_path` (Linux 108 bytes, macOS and the BSDs 104), the terminating
 * NUL included: a longer path is cut by the kernel, so the socket would land at another path.
 */
export function socketPathLimit(platform: NodeJS.Platform = process.platform): number | undefined {
  if (platform === 'win32') return undefined;
  return platform === 'linux' || platform === 'android' ? 108 : 104;
}

/**
 * Why `path` cannot be a Unix socket path on this platform (too long), or undefined when it fits.
 * The message names the limit and the remedy.
 */
export function socketPathTooLong(path: string, platform: NodeJS.Platform = process.platform): string | undefined {
  const limit = socketPathLimit(platform);
  if (limit === undefined || isWindowsPipe(path)) return undefined;
  const length = Buffer.byteLength(path);
  if (length < limit) return undefined;
  return (
    `The socket path ${path} is ${length} bytes long; ${platform === 'linux' ? 'Linux' : platform} allows at most ${limit - 1} ` +
    `(sun_path holds ${limit} bytes, the final NUL included). Set TOKEN_BROKER_SOCKET to a shorter path (or TOKEN_BROKER_HOME to a shorter directory).`
  );
}
