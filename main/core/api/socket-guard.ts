/**
 * Pre-flight checks for the Unix socket the token API listens on.
 *
 * Access to the socket is access to every token, so the kernel's file permissions are the
 * authentication: the socket lives in a directory owned by the user with no group or world
 * access, and is itself 0600. We refuse to start rather than "fix" a directory someone else
 * may already be watching.
 */
import { connect } from 'node:net';
import { lstat, mkdir, realpath, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BrokerError } from '../errors.js';
import { assertTrustedPath } from '../fs/trusted-path.js';
import { socketPathTooLong } from '../socket-path.js';

export { isWindowsPipe, windowsPipeName } from '../socket-path.js';

/**
 * Refuses a socket path the kernel would cut short (sun_path: 108 bytes on Linux, 104 on macOS),
 * before anything is created: the socket would otherwise land at the truncated path, where the
 * next start finds it and takes it for a running broker.
 * @throws BrokerError `CONFIG_INVALID` naming the length, the limit and the remedy.
 */
export function assertSocketPathFits(socketPath: string): void {
  const problem = socketPathTooLong(socketPath);
  if (problem !== undefined) throw new BrokerError('CONFIG_INVALID', problem);
}

/**
 * Creates the socket's directory 0700 when missing, then insists it is a directory owned by
 * this user with no group/world bits. A symlinked directory (a symlinked TOKEN_BROKER_HOME, as
 * dotfile managers make) is judged by the directory it resolves to — the one the socket really
 * lands in — and the link itself must be the user's own. Every directory above it must be the
 * user's or root's and not writable by others unless sticky (OpenSSH's StrictModes,
 * fs/trusted-path.ts): whoever can rename an ancestor can put their own socket in its place.
 */
export async function assertPrivateSocketDir(socketPath: string): Promise<void> {
  const dir = dirname(socketPath);
  const remedy = 'set TOKEN_BROKER_SOCKET to a path in a private directory';
  // Before anything is created there, and again on what was created.
  assertTrustedPath(dir, { what: `The socket directory ${dir}`, remedy });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  assertTrustedPath(dir, { what: `The socket directory ${dir}`, remedy });
  const uid = process.getuid?.();
  const link = await lstat(dir);
  if (link.isSymbolicLink() && uid !== undefined && link.uid !== uid) {
    throw new BrokerError(
      'SOCKET_INSECURE',
      `The socket directory ${dir} is a symbolic link owned by another user (uid ${link.uid}). Set TOKEN_BROKER_SOCKET to a path in a private directory you own.`,
    );
  }
  const real = await realpath(dir);
  const info = await lstat(real);
  const shown = real === dir ? dir : `${dir} (${real})`;
  const fix = `Run: chmod 700 '${real}' (and make sure you own it), or set TOKEN_BROKER_SOCKET to a path in a private directory.`;
  if (!info.isDirectory()) {
    throw new BrokerError('SOCKET_INSECURE', `The socket directory ${shown} is not a directory. ${fix}`);
  }
  if (uid !== undefined && info.uid !== uid) {
    throw new BrokerError('SOCKET_INSECURE', `The socket directory ${shown} is owned by another user (uid ${info.uid}). ${fix}`);
  }
  if ((info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(3, '0');
    throw new BrokerError('SOCKET_INSECURE', `The socket directory ${shown} is accessible to other users (mode ${mode}). ${fix}`);
  }
}

/** Resolves true when something accepts a connection on the socket. */
function somethingListens(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A socket file left by a crashed broker is removed; a live broker or a file that is not a
 * socket makes us refuse (we never delete what we did not create).
 */
export async function removeStaleSocket(socketPath: string): Promise<void> {
  let info;
  try {
    info = await lstat(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!info.isSocket()) {
    throw new BrokerError(
      'SOCKET_INSECURE',
      `${socketPath} exists and is not a socket; refusing to replace it. Remove it or set TOKEN_BROKER_SOCKET elsewhere.`,
    );
  }
  if (await somethingListens(socketPath)) {
    throw new BrokerError(
      'BROKER_ALREADY_RUNNING',
      `A broker is already listening on ${socketPath}. Stop it first, or set TOKEN_BROKER_SOCKET to another path.`,
    );
  }
  await unlink(socketPath);
}
