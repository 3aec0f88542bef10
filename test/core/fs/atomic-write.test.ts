import { link, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../support/fixtures.js';
import { removeStaleTempFiles, writeFileAtomic } from '../../../main/core/fs/atomic-write.js';

describe('writeFileAtomic', () => {
  const temp = useTempDir('tb-atomic-');

  it('creates the file with mode 0600 by default and leaves no temp file', async () => {
    const path = join(temp.path, 'a.json');
    await writeFileAtomic(path, '{"a":1}');
    expect(await readFile(path, 'utf8')).toBe('{"a":1}');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(temp.path)).toEqual(['a.json']);
  });

  it('honours an explicit mode exactly, regardless of the umask', async () => {
    const path = join(temp.path, 'b');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]), { mode: 0o640 });
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    expect([...(await readFile(path))]).toEqual([1, 2, 3]);
  });

  it('replaces the file by rename: a reader holding the old inode keeps the old content', async () => {
    const path = join(temp.path, 'c');
    await writeFileAtomic(path, 'one');
    const before = await stat(path);
    await writeFileAtomic(path, 'two');
    const after = await stat(path);
    expect(after.ino).not.toBe(before.ino);
    expect(await readFile(path, 'utf8')).toBe('two');
  });

  it('keeps the previous generation as .bak when asked', async () => {
    const path = join(temp.path, 'vault.bin');
    await writeFileAtomic(path, 'gen-1', { keepBackup: true });
    expect(await readdir(temp.path)).toEqual(['vault.bin']); // first write: no previous generation
    await writeFileAtomic(path, 'gen-2', { keepBackup: true });
    await writeFileAtomic(path, 'gen-3', { keepBackup: true });
    expect(await readFile(path, 'utf8')).toBe('gen-3');
    expect(await readFile(`${path}.bak`, 'utf8')).toBe('gen-2');
    expect((await stat(`${path}.bak`)).mode & 0o777).toBe(0o600);
    expect((await readdir(temp.path)).sort()).toEqual(['vault.bin', 'vault.bin.bak']);
  });

  it('fails without touching the target when the directory is missing', async () => {
    await expect(writeFileAtomic(join(temp.path, 'missing', 'x'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('removeStaleTempFiles removes only temp files of that target', async () => {
    const path = join(temp.path, 'vault.bin');
    await writeFile(path, 'keep');
    await writeFile(join(temp.path, '.vault.bin.0123456789ab.tmp'), 'crashed');
    await link(path, join(temp.path, '.vault.bin.ba9876543210.tmp'));
    await writeFile(join(temp.path, '.config.json.0123456789ab.tmp'), 'other target');
    expect(await removeStaleTempFiles(path)).toBe(2);
    expect((await readdir(temp.path)).sort()).toEqual(['.config.json.0123456789ab.tmp', 'vault.bin']);
    expect(await readFile(path, 'utf8')).toBe('keep');
  });
});
