/**
 * A single-process lock on a directory: `<dir>/broker.lock` holding `{pid, hostname, startedAt}`.
 *
 * The lock file is written in full under a temp name and then hard-linked into place; link(2)
 * fails with EEXIST when the lock exists, exactly like O_CREAT|O_EXCL, but a reader can never see
 * a half-written lock. (Where hard links are unsupported it falls back to O_EXCL.)
 * A lock whose process is gone (same host, pid not alive) is stale and taken over.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BrokerError } from '../errors.js';

export const LOCK_FILE_NAME = 'broker.lock';

export interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: number;
}

export interface DirLock {
  readonly path: string;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/** Locks held by this process, so a second opener in the same process is refused too. */
const heldInProcess = new Set<string>();

/**
 * Acquires the lock on `dir` for this process.
 * @throws BrokerError `VAULT_LOCKED` naming the holder when another live process holds it.
 */
export async function acquireDirLock(dir: string, options: { now?: () => number } = {}): Promise<DirLock> {
  const path = join(dir, LOCK_FILE_NAME);
  if (heldInProcess.has(path)) {
    throw new BrokerError('VAULT_LOCKED', `Data directory ${dir} is already open in this process; close the other vault first.`);
  }
  const owner: LockOwner = { pid: process.pid, hostname: hostname(), startedAt: (options.now ?? Date.now)() };
  const content = `${JSON.stringify(owner)}\n`;

  // A few attempts: a stale lock is removed and creation retried.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (await tryCreate(path, content)) {
      heldInProcess.add(path);
      await removeStaleLockTemps(dir);
      return makeLock(path, content);
    }
    const holder = await readOwner(path);
    if (holder === 'gone') continue; // released between our attempt and the read: retry
    if (holder !== 'unreadable' && isHolderAlive(holder)) throw lockedError(dir, holder);
    if (holder === 'unreadable' && attempt === 0) {
      // Only a lock written by O_EXCL fallback can be empty, and only for an instant.
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
  throw new BrokerError(
    'VAULT_LOCKED',
    `Could not take the lock ${path}: another process keeps creating it. Stop the other token-broker and retry.`,
  );
}

function makeLock(path: string, content: string): DirLock {
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      heldInProcess.delete(path);
      // Remove only our own lock: if it was (wrongly) taken over, the new holder keeps it.
      const current = await readFile(path, 'utf8').catch(() => undefined);
      if (current === content) await unlink(path).catch(() => {});
    },
  };
}

/** Temp files of a process killed between writing its lock content and linking it. */
async function removeStaleLockTemps(dir: string): Promise<void> {
  const pattern = /^broker\.lock\.[0-9a-f]{12}\.tmp$/;
  for (const entry of await readdir(dir).catch(() => [])) {
    if (pattern.test(entry)) await unlink(join(dir, entry)).catch(() => {});
  }
}

async function tryCreate(path: string, content: string): Promise<boolean> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOENT: the holder that just won cleaned up our temp file as a crash leftover.
    if (code === 'EEXIST' || code === 'ENOENT') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
    return createExclusive(path, content);
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

async function createExclusive(path: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

async function readOwner(path: string): Promise<LockOwner | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && Number.isInteger(value.pid) && value.pid > 0 && typeof value.hostname === 'string') {
      return { pid: value.pid, hostname: value.hostname, startedAt: typeof value.startedAt === 'number' ? value.startedAt : 0 };
    }
  } catch {
    // fall through
  }
  return 'unreadable';
}

/**
 * A holder on another host cannot be checked, so it counts as alive (a data directory on a
 * shared home must not be opened twice). On this host: signal 0 probes the pid; EPERM means a
 * live process of another user. A lock with our own pid that this process does not hold was
 * left by an earlier process that had the same pid.
 */
function isHolderAlive(holder: LockOwner): boolean {
  if (holder.hostname !== hostname()) return true;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockedError(dir: string, holder: LockOwner): BrokerError {
  const where = holder.hostname === hostname() ? '' : ` on host ${holder.hostname}`;
  const since = holder.startedAt > 0 ? ` since ${new Date(holder.startedAt).toISOString()}` : '';
  return new BrokerError(
    'VAULT_LOCKED',
    `Data directory ${dir} is in use by process ${holder.pid}${where}${since} (token-broker serve or the app); ` +
      `stop it or use another TOKEN_BROKER_HOME.`,
  );
}
