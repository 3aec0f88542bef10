/**
 * Where the token API listens. Kept free of heavy imports: the CLI's `token` path loads it on
 * every script call.
 */
import { userInfo } from 'node:os';
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
  if (platform === 'win32') return windowsPipeName(userInfo().username);
  return join(dataDir, 'broker.sock');
}
