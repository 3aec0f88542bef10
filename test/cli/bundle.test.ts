/**
 * The hot path stays small: `token`, `exec`, `git-credential`, `kubectl-credential` and the docker credential helper run on
 * every script call, so the modules they load (statically, from the entry and their command
 * chunk) must be a few KiB of our own code plus Node built-ins — no zod, got, keytar, jose or
 * oidc code, and not the broker.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliPath } from '../integration/support/cli.js';

let entry: string;

const HEAVY = ['// node_modules/zod', '// node_modules/got', 'keytar', 'oidc-provider', '// node_modules/jose', 'main/core/broker/'];

/** Static imports of a built ESM file (dynamic `import()` calls are not followed). */
function staticImports(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/^\s*(?:import|export)\s+(?:[^'"()]*?\s+from\s+)?["']([^"']+)["']/gm)) found.push(match[1] as string);
  return found;
}

async function closure(file: string): Promise<{ files: Map<string, string>; builtins: Set<string> }> {
  const files = new Map<string, string>();
  const builtins = new Set<string>();
  const visit = async (path: string): Promise<void> => {
    if (files.has(path)) return;
    const source = await readFile(path, 'utf8');
    files.set(path, source);
    for (const spec of staticImports(source)) {
      if (spec.startsWith('.')) await visit(join(dirname(path), spec));
      else builtins.add(spec);
    }
  };
  await visit(file);
  return { files, builtins };
}

beforeAll(async () => {
  entry = await cliPath();
});

describe('the CLI bundle', () => {
  it.each(['token', 'exec', 'git-credential', 'kubectl-credential'])(
    'the %s path loads only small local chunks and Node built-ins',
    async (command) => {
      const source = await readFile(entry, 'utf8');
      const chunk = new RegExp(`['"]?${command}['"]?: \\(\\) => import\\("([^"]+)"\\)`).exec(source)?.[1];
      expect(chunk, `dynamic import for ${command}`).toBeDefined();
      const entryClosure = await closure(entry);
      const commandClosure = await closure(join(dirname(entry), chunk as string));
      const builtins = new Set([...entryClosure.builtins, ...commandClosure.builtins]);
      for (const spec of builtins) expect(spec, `${command} imports ${spec}`).toMatch(/^node:/);
      const all = [...entryClosure.files.values(), ...commandClosure.files.values()].join('\n');
      expect(all.length, `${command} path size`).toBeLessThan(40 * 1024);
      for (const marker of HEAVY) expect(all, `${command} path contains ${marker}`).not.toContain(marker);
    },
  );

  it('the docker credential helper (a second bin) loads only small local chunks and Node built-ins', async () => {
    const helper = join(dirname(entry), 'docker-credential-token-broker.js');
    const { files, builtins } = await closure(helper);
    for (const spec of builtins) expect(spec, `the helper imports ${spec}`).toMatch(/^node:/);
    const all = [...files.values()].join('\n');
    expect(all.length, 'helper path size').toBeLessThan(40 * 1024);
    for (const marker of HEAVY) expect(all, `the helper path contains ${marker}`).not.toContain(marker);
    // Shares the token path's socket client rather than bundling its own copy.
    expect([...files.keys()].some((file) => file.includes('/chunks/'))).toBe(true);
  });
});
