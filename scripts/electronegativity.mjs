#!/usr/bin/env node
// Security gate: runs @doyensec/electronegativity over the desktop app's sources and bundles
// (main/electron, preload, renderer, dist/{main,preload,renderer}) and fails (exit 1) on any
// finding that security/electronegativity-allowlist.json does not justify. Electronegativity
// itself always exits 0, so its SARIF output is parsed here.
//
//   node scripts/electronegativity.mjs            # run the gate
//   node scripts/electronegativity.mjs --verbose  # also print the justified findings
//   --allow-list PATH   use another allow-list;  --sarif PATH   judge an existing SARIF file
//                       instead of scanning (both for the gate's own tests)
//
// Excluded check: AVAILABLE_SECURITY_FIXES_GLOBAL_CHECK downloads Electron's release list from
// GitHub, which build machines cannot reach; Electron updates are tracked through npm instead.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const verbose = process.argv.includes('--verbose');
const option = (name) => {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
};
const givenSarif = option('--sarif');
const cli = join(root, 'node_modules/@doyensec/electronegativity/dist/index.js');
const allowListPath = option('--allow-list') ?? join(root, 'security/electronegativity-allowlist.json');
const SCANNED = ['main/electron', 'preload', 'renderer', 'dist/main', 'dist/preload', 'dist/renderer'];

// One scan over a staging copy that mirrors the repository layout, so reported paths are repo paths.
const stage = mkdtempSync(join(tmpdir(), 'tb-electronegativity-'));

function fail(message) {
  console.error(`[electronegativity] ${message}`);
  rmSync(stage, { recursive: true, force: true });
  process.exit(1);
}

if (!existsSync(cli)) fail('@doyensec/electronegativity is not installed (npm install).');

const output = givenSarif ?? join(stage, 'results.sarif');
const scanRoot = join(stage, 'app');
const skipped = [];
try {
  if (givenSarif === undefined) {
    for (const dir of SCANNED) {
      const from = join(root, dir);
      if (!existsSync(from)) {
        skipped.push(dir);
        continue;
      }
      cpSync(from, join(scanRoot, dir), { recursive: true, filter: (path) => !path.endsWith('.map') });
    }
    const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')).version;
    const run = spawnSync(
      process.execPath,
      [cli, '-i', scanRoot, '-o', output, '-r', '-e', electronVersion, '-x', 'AvailableSecurityFixesGlobalCheck'],
      { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout: 120_000 },
    );
    if (run.error) fail(`could not run electronegativity: ${run.error.message}`);
    if (!existsSync(output)) fail(`electronegativity wrote no results (exit ${run.status}).\n${run.stderr}`);
  }

  const sarif = JSON.parse(readFileSync(output, 'utf8'));
  const findings = (sarif.runs?.[0]?.results ?? []).map((result) => {
    const location = result.locations?.[0]?.physicalLocation;
    const uri = location?.artifactLocation?.uri ?? 'N/A';
    return {
      check: result.ruleId,
      file: uri === 'N/A' ? uri : relative(scanRoot, join(scanRoot, uri)).split(sep).join('/'),
      line: location?.region?.startLine ?? 0,
      message: result.message?.text ?? '',
    };
  });

  const allowList = JSON.parse(readFileSync(allowListPath, 'utf8'));
  const entries = allowList.allow ?? [];
  for (const entry of entries) {
    if (
      typeof entry.check !== 'string' ||
      typeof entry.file !== 'string' ||
      typeof entry.justification !== 'string' ||
      entry.justification.trim().length < 20
    ) {
      fail(`allow-list entry ${JSON.stringify(entry)} needs check, file and a real justification.`);
    }
  }
  const isAllowed = (finding) => entries.some((entry) => entry.check === finding.check && entry.file === finding.file);
  const unjustified = findings.filter((finding) => !isAllowed(finding));
  const justified = findings.filter(isAllowed);
  const stale = entries.filter((entry) => !findings.some((finding) => finding.check === entry.check && finding.file === entry.file));

  if (skipped.length > 0) console.warn(`[electronegativity] not present, not scanned: ${skipped.join(', ')} (run the build first)`);
  if (verbose) for (const f of justified) console.log(`[electronegativity] justified  ${f.check}  ${f.file}:${f.line}`);
  for (const entry of stale) console.warn(`[electronegativity] allow-list entry no longer needed: ${entry.check} ${entry.file}`);
  for (const f of unjustified) console.error(`[electronegativity] FINDING  ${f.check}  ${f.file}:${f.line}  ${f.message}`);
  if (unjustified.length > 0) {
    fail(`${unjustified.length} finding(s) not justified in security/electronegativity-allowlist.json: fix them, or add a justification.`);
  }
  console.log(
    `[electronegativity] ok: ${findings.length} finding(s), all justified; scanned ${SCANNED.filter((d) => !skipped.includes(d)).join(', ')}`,
  );
} finally {
  rmSync(stage, { recursive: true, force: true });
}
