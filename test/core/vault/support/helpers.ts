/**
 * Shared helpers of the vault tests: temp data directories whose keychain items (in the real,
 * throwaway Secret Service) are deleted afterwards, and child scripts bundled with esbuild.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { createKeytarSecretStore } from '../../../../main/core/vault/keychain.js';
import { KEYCHAIN_SERVICE, keychainAccountFor } from '../../../../main/core/vault/key-source.js';
import type { SecretStore } from '../../../../main/core/ports.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

export const keychain: SecretStore = createKeytarSecretStore();

/** Temp data directories created by {@link tempDataDir}, for {@link cleanupDataDirs}. */
const created: string[] = [];

/** A fresh data directory path (not yet created, like a first run) under a private temp root. */
export async function tempDataDir(name = 'home'): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tb-vault-'));
  const dir = join(root, name);
  created.push(root);
  return dir;
}

/** Deletes the temp directories and the keychain items of every data directory in them. */
export async function cleanupDataDirs(): Promise<void> {
  for (const root of created.splice(0)) {
    for (const entry of await readdir(root).catch(() => [])) {
      const account = await keychainAccountFor(join(root, entry)).catch(() => undefined);
      if (account !== undefined) await keychain.deletePassword(KEYCHAIN_SERVICE, account).catch(() => false);
    }
    await rm(root, { recursive: true, force: true });
  }
}

/** Every file under `dir` (recursively) as raw bytes. */
export async function readAllFiles(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(path, await readFile(path));
    }
  }
  return files;
}

/**
 * Bundles a TypeScript child script with esbuild (keytar stays external, as in the product
 * bundles) into node_modules/.cache so that keytar resolves from the repository.
 */
export async function buildChildScript(entry: string): Promise<string> {
  const outDir = join(REPO_ROOT, 'node_modules', '.cache', 'token-broker-tests');
  await mkdir(outDir, { recursive: true });
  const outfile = join(outDir, `child-${randomBytes(6).toString('hex')}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['keytar'],
    // Children are started hundreds of times: a minified bundle parses noticeably faster.
    minify: true,
    logLevel: 'silent',
  });
  builtScripts.push(outfile);
  return outfile;
}

const builtScripts: string[] = [];

/** Deletes the bundles {@link buildChildScript} made. */
export async function removeChildScripts(): Promise<void> {
  await Promise.all(builtScripts.splice(0).map((file) => rm(file, { force: true })));
}

/** The value a promise rejects with (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the promise to reject');
}
