// The esbuild settings of the shipped bundles, in one place: scripts/build.mjs builds dist/ with
// them, and the test support that builds the CLI on its own (test/integration/support/cli.ts)
// imports them, so the tests run the `token-broker` bin exactly as it ships.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The package version, compiled into every bundle as __TOKEN_BROKER_VERSION__. */
export async function readPackageVersion(root) {
  return JSON.parse(await readFile(join(root, 'package.json'), 'utf8')).version;
}

/** Bundled ESM still meets CommonJS dependencies that call require(); give them one. */
export const esmRequireBanner = [
  "import { createRequire as __tbCreateRequire } from 'node:module';",
  'const require = __tbCreateRequire(import.meta.url);',
].join('\n');

/** Options every bundle shares. */
export function sharedOptions(root, version) {
  return {
    logLevel: 'warning',
    absWorkingDir: root,
    sourcemap: 'linked',
    legalComments: 'none',
    define: { __TOKEN_BROKER_VERSION__: JSON.stringify(version) },
  };
}

/**
 * The `token-broker` bin: ESM for Node 20, code-split so the hot commands (`token`, `exec`,
 * `git-credential`, `kubectl-credential`) load only their own small chunk; keytar (native) stays
 * external and must resolve from `outdir`.
 */
export function cliOptions(root, version, outdir) {
  return {
    ...sharedOptions(root, version),
    entryPoints: { 'token-broker': 'main/cli/token-broker.ts' },
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['keytar'],
    chunkNames: 'chunks/[name]-[hash]',
    banner: { js: '#!/usr/bin/env node\n' + esmRequireBanner },
  };
}
