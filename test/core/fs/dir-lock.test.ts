import { spawn } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../support/fixtures.js';
import { acquireDirLock, LOCK_FILE_NAME } from '../../../main/core/fs/dir-lock.js';

/** A pid that is certainly not running: a child we started and reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid as number;
}

const temp = useTempDir('tb-lock-');

describe('acquireDirLock', () => {
  it('writes {pid, hostname, startedAt} with mode 0600 and removes it on release', async () => {
    const lock = await acquireDirLock(temp.path, { now: () => 1_700_000_000_000 });
    const path = join(temp.path, LOCK_FILE_NAME);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ pid: process.pid, hostname: hostname(), startedAt: 1_700_000_000_000 });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await lock.release();
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    await lock.release(); // idempotent
  });

  it('refuses a second holder in the same process', async () => {
    const lock = await acquireDirLock(temp.path);
    await expect(acquireDirLock(temp.path)).rejects.toMatchObject({
      code: 'VAULT_LOCKED',
      message: expect.stringContaining('already open in this process'),
    });
    await lock.release();
    await (await acquireDirLock(temp.path)).release();
  });

  it('refuses when a live process holds the lock, naming it', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      await writeFile(join(temp.path, LOCK_FILE_NAME), JSON.stringify({ pid: child.pid, hostname: hostname(), startedAt: Date.now() }));
      const error = await acquireDirLock(temp.path).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'VAULT_LOCKED' });
      expect((error as Error).message).toContain(`is in use by process ${child.pid}`);
      expect((error as Error).message).toContain('stop it or use another TOKEN_BROKER_HOME');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('treats a lock from another host as held (it cannot be checked)', async () => {
    await writeFile(join(temp.path, LOCK_FILE_NAME), JSON.stringify({ pid: 1, hostname: 'elsewhere.example', startedAt: 0 }));
    await expect(acquireDirLock(temp.path)).rejects.toMatchObject({
      code: 'VAULT_LOCKED',
      message: expect.stringContaining('on host elsewhere.example'),
    });
  });

  it('takes over a stale lock whose process is gone', async () => {
    const pid = await deadPid();
    await writeFile(join(temp.path, LOCK_FILE_NAME), JSON.stringify({ pid, hostname: hostname(), startedAt: 1 }));
    const lock = await acquireDirLock(temp.path);
    expect(JSON.parse(await readFile(join(temp.path, LOCK_FILE_NAME), 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over an unreadable (damaged) lock file', async () => {
    await writeFile(join(temp.path, LOCK_FILE_NAME), '');
    const lock = await acquireDirLock(temp.path);
    await lock.release();
  });
});

describe('acquireDirLock housekeeping', () => {
  it('removes lock temp files left by a process killed while locking', async () => {
    await writeFile(join(temp.path, `${LOCK_FILE_NAME}.0123456789ab.tmp`), '{}');
    await writeFile(join(temp.path, 'unrelated.tmp'), 'keep');
    const lock = await acquireDirLock(temp.path);
    expect((await readdir(temp.path)).sort()).toEqual([LOCK_FILE_NAME, 'unrelated.tmp']);
    await lock.release();
  });
});
