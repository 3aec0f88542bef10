/**
 * The hot path stays small (issue 15): `token`, `exec`, `git-credential` and
 * `kubectl-credential` run on every script call from the bin itself, one CommonJS file that
 * requires only Node built-ins and holds a few KiB of our own code — no zod, got, keytar, jose or
 * oidc code, and not the broker; the docker credential helper (a second bin, run on every pull
 * and push) is built the same way. `serve` loads the broker but neither the OAuth engine (got,
 * jose), which comes with the first provider request, nor the schema code (zod), which comes with
 * the first change or a config.json the broker did not write.
 *
 * The bundles' contents are read from esbuild's metafile, built with the settings the shipped
 * bin is built with (scripts/esbuild-settings.mjs), so minification cannot hide a dependency.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBuilds, readPackageVersion } from '../../scripts/esbuild-settings.mjs';
import { cliPath } from '../integration/support/cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
let bin: Metafile;
let full: Metafile;
let shipped: string;

beforeAll(async () => {
  const [binOptions, fullOptions] = cliBuilds(root, await readPackageVersion(root), join(root, 'node_modules/.cache/tb-bundle-test'));
  const analyse = async (options: typeof binOptions): Promise<Metafile> =>
    (await build({ ...options, write: false, metafile: true, logLevel: 'error' })).metafile as Metafile;
  [bin, full] = await Promise.all([analyse(binOptions as typeof binOptions), analyse(fullOptions as typeof binOptions)]);
  shipped = await readFile(await cliPath(), 'utf8');
});

/** Inputs bundled into the output whose name ends with `suffix`. */
function inputsOf(meta: Metafile, suffix: string): string[] {
  const output = Object.entries(meta.outputs).find(([name]) => name.endsWith(`/${suffix}`));
  if (output === undefined) throw new Error(`no output ${suffix}`);
  return Object.keys(output[1].inputs);
}

/** Every input reachable from the chunk named `chunk`-HASH through static imports (dynamic `import()` not followed). */
function staticClosure(meta: Metafile, chunk: string): string[] {
  const outputs = meta.outputs;
  const start = Object.keys(outputs).find((name) => name.includes(`/${chunk}-`) && name.endsWith('.mjs'));
  if (start === undefined) throw new Error(`no chunk ${chunk}`);
  const seen = new Set<string>();
  const inputs = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const output = outputs[name];
    if (output === undefined) return;
    for (const input of Object.keys(output.inputs)) inputs.add(input);
    for (const imported of output.imports) if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
  };
  visit(start);
  return [...inputs];
}

// The broker's code stays out; core/api/peer-credentials.ts is the one exception (issue 10: the
// CLI asks the kernel who listens on the socket before it sends or trusts anything).
const HEAVY =
  /node_modules\/(zod|got|jose|keytar|oidc-provider)\/|main\/core\/(broker|oauth|vault|accounts)\/|main\/core\/api\/(?!peer-credentials\.ts$)/;

describe('the CLI bundle', () => {
  it('runs the hot commands from one CommonJS file of our own code and Node built-ins', () => {
    const inputs = inputsOf(bin, 'token-broker.js');
    for (const command of ['token', 'exec', 'git-credential', 'kubectl-credential']) {
      expect(inputs, `${command} is in the bin`).toContain(`main/cli/commands/${command}.ts`);
    }
    expect(inputs.filter((input) => input.includes('node_modules'))).toEqual([]);
    expect(inputs.filter((input) => HEAVY.test(input))).toEqual([]);
    const output = Object.entries(bin.outputs).find(([name]) => name.endsWith('/token-broker.js'))?.[1];
    expect(output?.imports.filter((i) => !i.external)).toEqual([]);
    // Most of it is the broker-peer check (issue 10: the broker must run as this user), output
    // escaping and the blocking libc exchange (main/cli/blocking-exchange.ts).
    expect(output?.bytes, 'bin size').toBeLessThan(28 * 1024);
  });

  it('builds the docker credential helper the same way: one CommonJS file of our own code', async () => {
    const inputs = inputsOf(bin, 'docker-credential-token-broker.js');
    expect(inputs).toContain('main/cli/docker-credential.ts');
    expect(inputs.filter((input) => input.includes('node_modules'))).toEqual([]);
    expect(inputs.filter((input) => HEAVY.test(input))).toEqual([]);
    const output = Object.entries(bin.outputs).find(([name]) => name.endsWith('/docker-credential-token-broker.js'))?.[1];
    expect(output?.imports.filter((i) => !i.external)).toEqual([]);
    expect(output?.bytes, 'helper size').toBeLessThan(24 * 1024);
    const helper = await readFile(join(dirname(await cliPath()), 'docker-credential-token-broker.js'), 'utf8');
    expect(helper.startsWith('#!/usr/bin/env node\n')).toBe(true);
    for (const [, spec] of helper.matchAll(/require\("([^"]+)"\)/g)) expect(spec, `the helper requires ${spec}`).toMatch(/^node:/);
    expect(helper).not.toMatch(/^\s*import\s/m);
  });

  it('ships that file: CommonJS, requiring only node: built-ins, importing the rest of the CLI at run time', () => {
    expect(shipped.startsWith('#!/usr/bin/env node\n')).toBe(true);
    const required = [...shipped.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1] as string);
    expect(required.length).toBeGreaterThan(0);
    for (const spec of required) expect(spec, `the bin requires ${spec}`).toMatch(/^node:/);
    expect(shipped).not.toMatch(/^\s*import\s/m);
    // What the hot path does without (each costs a CLI call 0.3–6 ms to load): the socket goes
    // through libc (blocking-exchange.ts); node:net (the fallback), node:os and node:module load
    // only where they are used, by `import()` or process.getBuiltinModule.
    for (const builtin of ['node:net', 'node:http', 'node:stream', 'node:os', 'node:module', 'node:crypto']) {
      expect(required, `the bin loads ${builtin} at start`).not.toContain(builtin);
    }
  });

  it('serve loads the broker, but not got or jose (they come with the first provider request) nor zod', () => {
    // serve imports the daemon when it starts; the daemon must not bring the OAuth engine along.
    const daemon = [...staticClosure(full, 'serve'), ...staticClosure(full, 'daemon')];
    expect(daemon.some((input) => input.includes('main/core/broker/'))).toBe(true);
    expect(
      daemon.filter((input) => /node_modules\/(got|jose|http2-wrapper|cacheable-request)\/|main\/core\/oauth\/http\.ts/.test(input)),
    ).toEqual([]);
    expect(daemon.filter((input) => input.includes('node_modules/zod/'))).toEqual([]);
    const everything = Object.values(full.outputs).flatMap((output) => Object.keys(output.inputs));
    expect(everything.some((input) => input.includes('node_modules/got/'))).toBe(true);
  });

  it('keeps the trims of got\u2019s dependencies (no http2-wrapper, no eager Intl.ListFormat)', () => {
    const everything = Object.values(full.outputs).flatMap((output) => Object.keys(output.inputs));
    expect(everything.filter((input) => input.includes('node_modules/http2-wrapper/'))).toEqual([]);
    expect(everything).toContain('lean-stub:http2-wrapper');
  });
});
