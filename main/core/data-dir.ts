/**
 * Where the broker keeps its state (config.json, vault.bin, the lock, the socket), and the
 * checks that keep that directory private.
 */
import type { Stats } from 'node:fs';
import { chmod, lstat, mkdir, stat } from 'node:fs/promises';
import { BrokerError } from './errors.js';
import { assertTrustedPath } from './fs/trusted-path.js';

export { resolveDataDir } from './data-dir-path.js';

/**
 * Makes sure `dir` exists and is private to this user: created (with any missing parents) as
 * 0700 when missing; an existing directory is accepted only if this user owns it and neither
 * group nor others have any access to it (0700 or stricter). It is never silently chmod-ed: a directory someone else can
 * write to may already hold planted files, so the user decides.
 *
 * @throws BrokerError `CONFIG_INVALID` when `dir` is not a directory; `SOCKET_INSECURE` when it
 *   is owned by another user or accessible by group/others (the message names the fix).
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  // Whoever can rename a directory above it can swap in their own config.json (and endpoints).
  assertTrustedPath(dir, { what: `The data directory ${dir}`, remedy: 'set TOKEN_BROKER_HOME to a directory only you and root control' });
  let info = await statOrUndefined(dir);
  if (info === undefined) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // mkdir's mode is filtered by the umask, which can only remove bits; make it exact anyway.
    if (process.platform !== 'win32') await chmod(dir, 0o700);
    info = await stat(dir);
  }
  if (!info.isDirectory()) {
    throw new BrokerError(
      'CONFIG_INVALID',
      `Data directory ${dir} exists but is not a directory. Remove it or set TOKEN_BROKER_HOME to another path.`,
    );
  }
  // Windows has no POSIX owner/mode bits; the per-user profile directory carries the ACLs.
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return;

  const uid = process.getuid();
  if (info.uid !== uid) {
    throw new BrokerError(
      'SOCKET_INSECURE',
      `Data directory ${dir} is owned by another user (uid ${info.uid}, you are uid ${uid}). ` +
        `Use a directory you own: set TOKEN_BROKER_HOME, or fix it with: chown "$(id -u)" '${dir}' && chmod 700 '${dir}'`,
    );
  }
  // docs/security.md: a 0700 directory. Read or search access alone already lets others see (and, for
  // the socket, reach) what is inside, so any group/other bit is refused, before anything is written.
  if ((info.mode & 0o077) !== 0) {
    throw new BrokerError(
      'SOCKET_INSECURE',
      `Data directory ${dir} is accessible by ${describeOthers(info.mode)} (mode ${formatMode(info.mode)}); ` +
        `it must be private to you. Fix it with: chmod 700 '${dir}'`,
    );
  }
}

/** `0755`-style rendering of the permission bits, for messages. */
export function formatMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

function describeOthers(mode: number): string {
  const group = (mode & 0o070) !== 0;
  const others = (mode & 0o007) !== 0;
  return group && others ? 'group and others' : group ? 'its group' : 'others';
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    // Follow a symlinked data directory (dotfile managers do that), but report a dangling one.
    return await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const link = await lstat(path).catch(() => undefined);
    if (link?.isSymbolicLink()) {
      throw new BrokerError(
        'CONFIG_INVALID',
        `Data directory ${path} is a symbolic link to a missing target. Create the target or remove the link.`,
      );
    }
    return undefined;
  }
}
