import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDirLock, LOCK_FILE_NAME } from '../../../main/core/fs/dir-lock.js';

/** A pid that is certainly not running: a child we started and reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid as number;
}

describe('acquireDirLock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tb-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes {pid, hostname, startedAt} with mode 0600 and removes it on release', async () => {
    const lock = await acquireDirLock(dir, { now: () => 1_700_000_000_000 });
    const path = join(dir, LOCK_FILE_NAME);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ pid: process.pid, hostname: hostname(), startedAt: 1_700_000_000_000 });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await lock.release();
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    await lock.release(); // idempotent
  });

  it('refuses a second holder in the same process', async () => {
    const lock = await acquireDirLock(dir);
    await expect(acquireDirLock(dir)).rejects.toMatchObject({
      code: 'VAULT_LOCKED',
      message: expect.stringContaining('already open in this process'),
    });
    await lock.release();
    await (await acquireDirLock(dir)).release();
  });

  it('refuses when a live process holds the lock, naming it', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      await writeFile(join(dir, LOCK_FILE_NAME), JSON.stringify({ pid: child.pid, hostname: hostname(), startedAt: Date.now() }));
      const error = await acquireDirLock(dir).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'VAULT_LOCKED' });
      expect((error as Error).message).toContain(`is in use by process ${child.pid}`);
      expect((error as Error).message).toContain('stop it or use another TOKEN_BROKER_HOME');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('treats a lock from another host as held (it cannot be checked)', async () => {
    await writeFile(join(dir, LOCK_FILE_NAME), JSON.stringify({ pid: 1, hostname: 'elsewhere.example', startedAt: 0 }));
    await expect(acquireDirLock(dir)).rejects.toMatchObject({
      code: 'VAULT_LOCKED',
      message: expect.stringContaining('on host elsewhere.example'),
    });
  });

  it('takes over a stale lock whose process is gone', async () => {
    const pid = await deadPid();
    await writeFile(join(dir, LOCK_FILE_NAME), JSON.stringify({ pid, hostname: hostname(), startedAt: 1 }));
    const lock = await acquireDirLock(dir);
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE_NAME), 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over an unreadable (damaged) lock file', async () => {
    await writeFile(join(dir, LOCK_FILE_NAME), '');
    const lock = await acquireDirLock(dir);
    await lock.release();
  });
});

describe('acquireDirLock housekeeping', () => {
  it('removes lock temp files left by a process killed while locking', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tb-lock-'));
    try {
      await writeFile(join(dir, `${LOCK_FILE_NAME}.0123456789ab.tmp`), '{}');
      await writeFile(join(dir, 'unrelated.tmp'), 'keep');
      const lock = await acquireDirLock(dir);
      expect((await readdir(dir)).sort()).toEqual([LOCK_FILE_NAME, 'unrelated.tmp']);
      await lock.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
