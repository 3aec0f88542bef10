/**
 * Durable, atomic file replacement: after a crash at any instant the file holds either its old
 * or its new content in full, never a mix, and it always exists once it has been written once.
 *
 * The sequence (all in the target's directory, so every rename stays on one file system):
 *   1. write the new content to `.<name>.<random>.tmp` (O_CREAT|O_EXCL, mode 0600), fsync it;
 *   2. with `keepBackup`: hard-link the current file to a temp name and rename that over
 *      `<name>.bak` — the current file is never moved away, so there is no window without it;
 *   3. rename the temp file over `<name>` (atomic on POSIX; MoveFileEx REPLACE_EXISTING on Windows);
 *   4. fsync the directory so the renames themselves survive a power loss.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode for the new file; default 0600. */
  mode?: number;
  /** Keep the replaced content as `<path>.bak` (the previous generation). */
  keepBackup?: boolean;
}

/** Suffix of the previous generation kept by {@link writeFileAtomic} with `keepBackup`. */
export const BACKUP_SUFFIX = '.bak';

/**
 * Replaces `path` with `data` atomically and durably (see the module comment for the steps).
 * Concurrent calls for the same path must be serialized by the caller; each uses its own temp file.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const mode = options.mode ?? 0o600;
  const dir = dirname(path);
  const tmp = tempName(path);

  const handle = await open(tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, mode);
  try {
    try {
      // The umask can only have cleared bits; set the mode exactly (e.g. 0640 when asked).
      if (process.platform !== 'win32') await handle.chmod(mode);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.keepBackup === true) await keepPreviousGeneration(path);
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw error;
  }
  await fsyncDirectory(dir);
}

/**
 * Removes temp files a crashed {@link writeFileAtomic} for `path` may have left behind. Call it
 * only while holding whatever lock serializes the writers of `path`.
 */
export async function removeStaleTempFiles(path: string): Promise<number> {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let removed = 0;
  for (const entry of await readdir(dir)) {
    if (entry.startsWith(prefix) && entry.endsWith('.tmp')) {
      await unlink(join(dir, entry)).then(
        () => (removed += 1),
        () => {},
      );
    }
  }
  return removed;
}

/** fsync a directory so that renames/creates in it are durable. A no-op where unsupported (Windows). */
export async function fsyncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems (and network mounts) refuse fsync on directories; nothing more to do there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EPERM') throw error;
  } finally {
    await handle.close();
  }
}

function tempName(path: string, tag = 'tmp'): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.${tag}`);
}

/**
 * Makes `<path>.bak` another name for the current `<path>` without ever removing `<path>`:
 * link (or, where hard links are unsupported, copy + fsync) to a temp name, then rename that
 * over the old backup, so the backup too is replaced atomically.
 */
async function keepPreviousGeneration(path: string): Promise<void> {
  const backupTmp = tempName(path);
  try {
    await link(path, backupTmp);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // first write: there is no previous generation yet
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'EMLINK') throw error;
    await copyFile(path, backupTmp, constants.COPYFILE_EXCL);
    const handle = await open(backupTmp, constants.O_RDWR);
    await handle.sync().finally(() => handle.close());
  }
  try {
    await rename(backupTmp, `${path}${BACKUP_SUFFIX}`);
  } catch (error) {
    await unlink(backupTmp).catch(() => {});
    throw error;
  }
}
