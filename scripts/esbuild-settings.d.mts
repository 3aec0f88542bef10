// Types of esbuild-settings.mjs for the TypeScript that imports it (the test support).
import type { BuildOptions } from 'esbuild';

export function readPackageVersion(root: string): Promise<string>;
export const esmRequireBanner: string;
export function sharedOptions(root: string, version: string): BuildOptions;
export function cliOptions(root: string, version: string, outdir: string): BuildOptions;
