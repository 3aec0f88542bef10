#!/usr/bin/env node
// Builds every runtime bundle with esbuild:
//   dist/main/index.js       Electron main process (ESM; electron and keytar stay external)
//   dist/preload/index.cjs   sandboxed preload (CommonJS: sandboxed preloads cannot be ESM)
//   dist/renderer/           the React UI (index.html, app.js, app.css)
//   dist/cli/token-broker.js the `token-broker` bin: one CommonJS file for the commands scripts call
//                            on every use, and dist/cli/full/ (ESM, code-split) for the rest
//   dist/cli/docker-credential-token-broker.js   the docker credential helper (second bin, one CommonJS file)
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { buildCli, esmRequireBanner, readPackageVersion, sharedOptions } from './esbuild-settings.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
const version = await readPackageVersion(root);
const watchless = sharedOptions(root, version);

const nodeExternals = ['electron', 'keytar'];

await rm(out, { recursive: true, force: true });

const jobs = [];

jobs.push(
  build({
    ...watchless,
    entryPoints: { index: 'main/electron/main.ts' },
    outdir: join(out, 'main'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    external: nodeExternals,
    banner: { js: esmRequireBanner },
  }),
);

jobs.push(
  build({
    ...watchless,
    entryPoints: ['preload/index.ts'],
    outfile: join(out, 'preload/index.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'chrome140',
    external: ['electron'],
  }),
);

jobs.push(
  build({
    ...watchless,
    entryPoints: { app: 'renderer/index.tsx' },
    outdir: join(out, 'renderer'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'chrome140',
    jsx: 'automatic',
    loader: { '.svg': 'dataurl', '.png': 'dataurl' },
    define: { ...watchless.define, 'process.env.NODE_ENV': '"production"' },
    minify: true,
  }).then(async () => {
    await copyFile(join(root, 'renderer/index.html'), join(out, 'renderer/index.html'));
  }),
);

jobs.push(buildCli(root, version, join(out, 'cli')));

await mkdir(out, { recursive: true });
await Promise.all(jobs);
