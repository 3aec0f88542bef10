import { chmod, chown, mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../support/fixtures.js';
import { ensurePrivateDir, resolveDataDir } from '../../main/core/data-dir.js';
import { BrokerError } from '../../main/core/errors.js';

describe('resolveDataDir', () => {
  it('prefers TOKEN_BROKER_HOME on every platform', () => {
    expect(resolveDataDir({ TOKEN_BROKER_HOME: '/srv/tb', HOME: '/home/a' }, 'linux')).toBe('/srv/tb');
    expect(resolveDataDir({ TOKEN_BROKER_HOME: '/srv/tb/', HOME: '/Users/a' }, 'darwin')).toBe('/srv/tb');
    expect(resolveDataDir({ TOKEN_BROKER_HOME: 'D:\\tb', APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32')).toBe('D:\\tb');
  });

  it('uses $XDG_CONFIG_HOME/token-broker on Linux, else ~/.config/token-broker', () => {
    expect(resolveDataDir({ HOME: '/home/a', XDG_CONFIG_HOME: '/home/a/.cfg' }, 'linux')).toBe('/home/a/.cfg/token-broker');
    expect(resolveDataDir({ HOME: '/home/a' }, 'linux')).toBe('/home/a/.config/token-broker');
    // The XDG spec says relative paths are invalid and must be ignored.
    expect(resolveDataDir({ HOME: '/home/a', XDG_CONFIG_HOME: 'relative/cfg' }, 'linux')).toBe('/home/a/.config/token-broker');
    expect(resolveDataDir({ HOME: '/home/a', XDG_CONFIG_HOME: '' }, 'freebsd')).toBe('/home/a/.config/token-broker');
  });

  it('uses ~/Library/Application Support/Token Broker on macOS', () => {
    expect(resolveDataDir({ HOME: '/Users/a' }, 'darwin')).toBe('/Users/a/Library/Application Support/Token Broker');
  });

  it('uses %APPDATA%\\Token Broker on Windows', () => {
    expect(resolveDataDir({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32')).toBe('C:\\Users\\a\\AppData\\Roaming\\Token Broker');
    expect(resolveDataDir({ USERPROFILE: 'C:\\Users\\a' }, 'win32')).toBe('C:\\Users\\a\\AppData\\Roaming\\Token Broker');
  });
});

describe('ensurePrivateDir', () => {
  const temp = useTempDir('tb-datadir-');

  /** The rejection value of `promise` (or undefined when it resolves). */
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );

  it('creates a missing directory (and parents) with mode 0700', async () => {
    const dir = join(temp.path, 'a', 'b', 'token-broker');
    await ensurePrivateDir(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    await ensurePrivateDir(dir); // idempotent
  });

  it('accepts an existing private directory and leaves its mode alone', async () => {
    const dir = join(temp.path, 'mine');
    await mkdir(dir, { mode: 0o500 });
    await chmod(dir, 0o500);
    await ensurePrivateDir(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o500);
    await chmod(dir, 0o700);
    await ensurePrivateDir(dir);
  });

  it('follows a symlinked data directory', async () => {
    const target = join(temp.path, 'target');
    await mkdir(target, { mode: 0o700 });
    await symlink(target, join(temp.path, 'link'));
    await ensurePrivateDir(join(temp.path, 'link'));
  });

  it.each([
    [0o777, 'group and others'],
    [0o770, 'its group'],
    [0o702, 'others'],
    // docs/vault.md says 0700: read or search access for anyone else is refused too.
    [0o750, 'its group'],
    [0o755, 'group and others'],
    [0o701, 'others'],
  ])('refuses a directory with mode %o (accessible by %s) before writing anything, naming the fix', async (mode, who) => {
    const dir = join(temp.path, 'open');
    await mkdir(dir);
    await chmod(dir, mode);
    const error = await codeOf(ensurePrivateDir(dir));
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).code).toBe('SOCKET_INSECURE');
    expect((error as BrokerError).message).toContain(`accessible by ${who}`);
    expect((error as BrokerError).message).toContain(`chmod 700 '${dir}'`);
    expect((await stat(dir)).mode & 0o777).toBe(mode); // not silently changed
    expect(await readdir(dir)).toEqual([]);
  });

  it.runIf(process.getuid?.() === 0)('refuses a directory owned by another user', async () => {
    const dir = join(temp.path, 'theirs');
    await mkdir(dir, { mode: 0o700 });
    await chown(dir, 65534, 65534);
    const error = (await codeOf(ensurePrivateDir(dir))) as BrokerError;
    expect(error.code).toBe('SOCKET_INSECURE');
    expect(error.message).toMatch(/owned by another user \(uid 65534/);
  });

  it('refuses a path that is a file', async () => {
    const file = join(temp.path, 'file');
    await writeFile(file, 'x');
    const error = (await codeOf(ensurePrivateDir(file))) as BrokerError;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('not a directory');
  });
});
