import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../support/fixtures.js';

const ROOT = join(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/electronegativity.mjs');
const work = useTempDir('tb-eng-test-', 'file');

const gate = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 110_000 });

const sarifWith = (results: Array<{ ruleId: string; uri: string }>) => ({
  version: '2.1.0',
  runs: [
    {
      results: results.map(({ ruleId, uri }) => ({
        ruleId,
        message: { text: 'finding' },
        locations: [{ physicalLocation: { artifactLocation: { uri }, region: { startLine: 3 } } }],
      })),
    },
  ],
});

describe('electronegativity security gate', () => {
  it('passes on the app: every finding is justified in the allow-list', { timeout: 120_000 }, () => {
    const run = gate();
    expect(run.stderr).not.toContain('FINDING');
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/ok: \d+ finding\(s\), all justified/);
  });

  it('fails on a finding that is not justified', async () => {
    const sarif = join(work.path, 'one.sarif');
    await writeFile(sarif, JSON.stringify(sarifWith([{ ruleId: 'NODE_INTEGRATION_JS_CHECK', uri: 'main/electron/window.ts' }])));
    const run = gate('--sarif', sarif);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('FINDING  NODE_INTEGRATION_JS_CHECK  main/electron/window.ts:3');
  });

  it('an allow-list entry covers only its own check and file, and needs a justification', async () => {
    const sarif = join(work.path, 'two.sarif');
    await writeFile(sarif, JSON.stringify(sarifWith([{ ruleId: 'OPEN_EXTERNAL_JS_CHECK', uri: 'preload/index.ts' }])));
    expect(gate('--sarif', sarif).status).toBe(1);
    const lazy = join(work.path, 'lazy.json');
    await writeFile(lazy, JSON.stringify({ allow: [{ check: 'OPEN_EXTERNAL_JS_CHECK', file: 'preload/index.ts', justification: 'ok' }] }));
    expect(gate('--sarif', sarif, '--allow-list', lazy).status).toBe(1);
    const good = join(work.path, 'good.json');
    await writeFile(
      good,
      JSON.stringify({
        allow: [{ check: 'OPEN_EXTERNAL_JS_CHECK', file: 'preload/index.ts', justification: 'reviewed: only opens URLs built in main' }],
      }),
    );
    expect(gate('--sarif', sarif, '--allow-list', good).status).toBe(0);
  });
});
