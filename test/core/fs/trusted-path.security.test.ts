/**
 * The StrictModes-style ancestor check on a real file system: directories owned by another user,
 * writable by others without the sticky bit, and symbolic links that lead through either.
 */
import { chmod, chown, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertTrustedPath, findUntrustedAncestor } from '../../../main/core/fs/trusted-path.js';
import { isBrokerError } from '../../../main/core/errors.js';

const uid = process.getuid?.() ?? 0;
const OTHER = 4242;
let base: string;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'tb-trust-'));
  await chmod(base, 0o755);
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function dir(path: string, mode: number, owner?: number): Promise<string> {
  const full = join(base, path);
  await mkdir(full, { recursive: true });
  await chmod(full, mode);
  if (owner !== undefined) await chown(full, owner, owner);
  return full;
}

describe.runIf(process.platform !== 'win32')('findUntrustedAncestor', () => {
  it('accepts a private directory under root-owned and sticky world-writable ancestors (/tmp)', async () => {
    const mine = await dir('ok/private', 0o700);
    expect(findUntrustedAncestor(mine, uid)).toBeUndefined();
    // What does not exist yet is created by us under checked parents.
    expect(findUntrustedAncestor(join(mine, 'not/yet'), uid)).toBeUndefined();
  });

  it('refuses an ancestor writable by others without the sticky bit, naming it and the fix', async () => {
    const open = await dir('open', 0o777);
    const inner = await dir('open/private', 0o700);
    const problem = findUntrustedAncestor(inner, uid);
    expect(problem?.path).toBe(open);
    expect(problem?.reason).toContain('writable by others (mode 0777) without the sticky bit');
    expect(problem?.fix).toContain(`chmod go-w '${open}'`);
  });

  it('refuses a group-writable ancestor, and accepts it once sticky', async () => {
    const group = await dir('group', 0o775);
    const inner = await dir('group/private', 0o700);
    expect(findUntrustedAncestor(inner, uid)?.path).toBe(group);
    await chmod(group, 0o1775);
    expect(findUntrustedAncestor(inner, uid)).toBeUndefined();
  });

  it.runIf(uid === 0)('refuses an ancestor owned by another user, even one that others cannot write', async () => {
    const theirs = await dir('theirs', 0o755, OTHER);
    const inner = await dir('theirs/private', 0o700);
    const problem = findUntrustedAncestor(inner, uid);
    expect(problem?.path).toBe(theirs);
    expect(problem?.reason).toContain(`owned by uid ${OTHER}, neither you (uid ${uid}) nor root`);
  });

  it.runIf(uid === 0)('in a sticky directory, refuses a component owned by another user', async () => {
    const shared = await dir('shared', 0o1777);
    const planted = await dir('shared/planted', 0o700, OTHER);
    expect(findUntrustedAncestor(join(planted, 'broker.sock'), uid)?.path).toBe(planted);
    expect(findUntrustedAncestor(join(shared, 'mine'), uid)).toBeUndefined();
  });

  it('follows symbolic links: the target and its ancestors are judged too', async () => {
    const open = await dir('open2', 0o777);
    const target = await dir('open2/target', 0o700);
    const safe = await dir('safe', 0o755);
    await symlink(target, join(safe, 'link'));
    expect(findUntrustedAncestor(join(safe, 'link'), uid)?.path).toBe(open);
    // A relative link with `..` resolves from the real directory it sits in.
    await symlink('../open2/target', join(safe, 'relative'));
    expect(findUntrustedAncestor(join(safe, 'relative'), uid)?.path).toBe(open);
    const fine = await dir('safe/real', 0o700);
    await symlink('real', join(safe, 'to-real'));
    expect(findUntrustedAncestor(join(safe, 'to-real'), uid)).toBeUndefined();
    expect(fine).toBeDefined();
  });

  it.runIf(uid === 0)('refuses a symbolic link owned by another user', async () => {
    const safe = await dir('links', 0o1777);
    const target = await dir('links-target', 0o700);
    const link = join(safe, 'their-link');
    await symlink(target, link);
    const { lchown } = await import('node:fs/promises');
    await lchown(link, OTHER, OTHER);
    expect(findUntrustedAncestor(link, uid)?.path).toBe(link);
  });

  it('refuses a loop of links instead of spinning', async () => {
    const loops = await dir('loops', 0o755);
    await symlink(join(loops, 'b'), join(loops, 'a'));
    await symlink(join(loops, 'a'), join(loops, 'b'));
    expect(findUntrustedAncestor(join(loops, 'a', 'x'), uid)?.reason).toContain('too many symbolic links');
  });
});

describe.runIf(process.platform !== 'win32')('assertTrustedPath', () => {
  it('throws SOCKET_INSECURE with what, why and the remedy', async () => {
    const open = await dir('open3', 0o777);
    const inner = await dir('open3/private', 0o700);
    let thrown: unknown;
    try {
      assertTrustedPath(inner, {
        what: `The socket directory ${inner}`,
        remedy: 'set TOKEN_BROKER_SOCKET to a path in a private directory',
      });
    } catch (error) {
      thrown = error;
    }
    expect(isBrokerError(thrown, 'SOCKET_INSECURE')).toBe(true);
    expect((thrown as Error).message).toBe(
      `The socket directory ${inner} is not safe: ${open} is writable by others (mode 0777) without the sticky bit, so another user can rename what is inside and put their own in its place. ` +
        `Fix: chmod go-w '${open}' (or chmod +t '${open}' for a shared directory like /tmp), or set TOKEN_BROKER_SOCKET to a path in a private directory.`,
    );
    expect(() => assertTrustedPath(base)).not.toThrow();
  });
});
