/**
 * OpenSSH-StrictModes-style checks of the directories above a path: whoever can rename or
 * replace any ancestor of the socket can put their own socket (or their own directory) where
 * ours is expected, and every client that connects hands them its secrets and trusts their
 * tokens. So every directory from `/` down to the path must be owned by root or by the user,
 * and must not be writable by group or others — unless it has the sticky bit (as /tmp has),
 * where others cannot rename or remove what is ours; the next component must then be ours or
 * root's. Symbolic links on the way are followed, and the link itself and every directory its
 * target lives in pass the same checks.
 *
 * Synchronous on purpose: a few `lstat` calls, run once at start (server) or once per command
 * (CLI), where a thread-pool round trip each would cost more than the calls themselves.
 *
 * @see https://man.openbsd.org/sshd_config#StrictModes
 * @see OpenSSH misc.c safe_path()
 */
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { BrokerError } from '../errors.js';

export interface TrustOptions {
  /** The user whose path it is; default this process's uid. */
  uid?: number;
  /** What the path is, for messages: "the socket directory". */
  what?: string;
  /** Remedy appended to the message. */
  remedy?: string;
}

/** Why an ancestor is unsafe; undefined when it is fine. */
export type TrustProblem = { path: string; reason: string; fix: string } | undefined;

const MAX_LINKS = 40;
const STICKY = 0o1000;

function mode(stats: Stats): string {
  return `0${(stats.mode & 0o7777).toString(8).padStart(3, '0')}`;
}

/** The problem with one directory component (or symlink) as an ancestor, if any. */
export function judgeAncestor(path: string, stats: Stats, uid: number, parentSticky: boolean): TrustProblem {
  if (stats.uid !== 0 && stats.uid !== uid) {
    return {
      path,
      reason: `${path} is owned by uid ${stats.uid}, neither you (uid ${uid}) nor root${parentSticky ? '' : ', so that user can replace what is inside'}`,
      fix: `use a path whose directories are all yours or root's`,
    };
  }
  if (stats.isSymbolicLink()) return undefined;
  if (!stats.isDirectory()) return { path, reason: `${path} is not a directory`, fix: 'point the path at a directory' };
  if ((stats.mode & 0o022) !== 0 && (stats.mode & STICKY) === 0) {
    return {
      path,
      reason: `${path} is writable by ${(stats.mode & 0o002) !== 0 ? 'others' : 'its group'} (mode ${mode(stats)}) without the sticky bit, so another user can rename what is inside and put their own in its place`,
      fix: `chmod go-w '${path}' (or chmod +t '${path}' for a shared directory like /tmp)`,
    };
  }
  return undefined;
}

/** The components of a path, `.` and `..` kept (they are resolved against real directories below). */
function components(path: string): string[] {
  return path.split(sep).filter((part) => part !== '');
}

/**
 * Finds the first unsafe directory on the way to `dir` (every ancestor and `dir` itself),
 * following symbolic links the way the kernel does: a link's target replaces it, and `..` goes
 * up from the real directory reached so far. A missing component ends the walk: what does not
 * exist yet will be created by us under a checked parent.
 */
export function findUntrustedAncestor(dir: string, uid: number): TrustProblem {
  const root = resolve(sep);
  const rootStats = lstatSync(root);
  const rootProblem = judgeAncestor(root, rootStats, uid, false);
  if (rootProblem !== undefined) return rootProblem;
  const queue = components(resolve(dir));
  // `base` only ever holds real (non-link) directories that passed the checks.
  let base = root;
  let parentSticky = (rootStats.mode & STICKY) !== 0;
  let links = 0;
  while (queue.length > 0) {
    const part = queue.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      base = dirname(base);
      parentSticky = false;
      continue;
    }
    const current = join(base, part);
    let stats: Stats;
    try {
      stats = lstatSync(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      return { path: current, reason: `${current} cannot be checked (${code ?? 'error'})`, fix: 'fix its permissions' };
    }
    const problem = judgeAncestor(current, stats, uid, parentSticky);
    if (problem !== undefined) return problem;
    if (stats.isSymbolicLink()) {
      if (++links > MAX_LINKS) return { path: current, reason: `too many symbolic links under ${current}`, fix: 'use a plain path' };
      const target = readlinkSync(current);
      queue.unshift(...components(target));
      if (isAbsolute(target)) base = root;
      parentSticky = false;
      continue;
    }
    base = current;
    parentSticky = (stats.mode & STICKY) !== 0;
  }
  return undefined;
}

/**
 * Refuses (SOCKET_INSECURE, naming the ancestor and the fix) a path another user could redirect:
 * every directory above `target`, and `target` itself when it is a symbolic link (who owns the
 * link can point it elsewhere). `target`'s own ownership and mode are the caller's to judge — its
 * rules for it are stricter (0700) and its messages more specific. No-op on Windows, which has no
 * POSIX owners or modes.
 * @throws BrokerError `SOCKET_INSECURE`
 */
export function assertTrustedPath(target: string, options: TrustOptions = {}): void {
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return;
  const uid = options.uid ?? process.getuid();
  const absolute = resolve(target);
  let isLink = false;
  try {
    isLink = lstatSync(absolute).isSymbolicLink();
  } catch {
    // Missing: created by the caller under the checked parents.
  }
  const problem = findUntrustedAncestor(isLink ? absolute : dirname(absolute), uid);
  if (problem === undefined) return;
  const what = options.what ?? target;
  throw new BrokerError(
    'SOCKET_INSECURE',
    `${what} is not safe: ${problem.reason}. Fix: ${problem.fix}${options.remedy === undefined ? '.' : `, or ${options.remedy}.`}`,
  );
}
