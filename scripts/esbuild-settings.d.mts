// Types of esbuild-settings.mjs for the TypeScript that imports it (the test support).
import type { BuildOptions, Plugin } from 'esbuild';

export function readPackageVersion(root: string): Promise<string>;
export const esmRequireBanner: string;
export function configSchemaDigest(root: string): string;
export function sharedOptions(root: string, version: string): BuildOptions;
export const leanDependencies: Plugin;
export const CLI_FULL_DIR: string;
export function cliBuilds(root: string, version: string, outdir: string): BuildOptions[];
export function buildCli(root: string, version: string, outdir: string, overrides?: BuildOptions): Promise<string>;
