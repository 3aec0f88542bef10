#!/usr/bin/env node
// `npm run bench`: builds the product (scripts/build.mjs), bundles every bench/*.bench.ts (and the
// worker-thread entries bench/support/*.worker.ts) with esbuild into a temporary directory, runs
// each module's default export `run(): Promise<BenchRow[]>` (bench/types.ts), and prints one
// markdown table with the targets beside the figures.
//
//   node scripts/bench.mjs [--no-build] [FILTER]   FILTER picks bench files by substring
//
// Benchmarks are measurements, not tests: the exit status is 0 even when a target is missed.
// The machine's CPU steal (from /proc/stat) is printed per bench and for the whole run, so a run
// on a crowded host shows as one.
// With gnome-keyring available the run happens inside a throwaway Secret Service (the real
// keychain path); otherwise benches fall back to a passphrase file.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const noBuild = args.includes('--no-build');
const filter = args.find((a) => !a.startsWith('--'));

const hasKeyring = ['dbus-run-session', 'gnome-keyring-daemon'].every(
  (program) => spawnSync('sh', ['-c', `command -v ${program}`]).status === 0,
);
if (process.env.TOKEN_BROKER_TEST_KEYRING !== '1' && hasKeyring && !process.env.TOKEN_BROKER_BENCH_NO_KEYRING) {
  const child = spawn(
    process.execPath,
    [join(root, 'test/support/with-secret-service.mjs'), '--', process.execPath, ...process.argv.slice(1)],
    {
      stdio: 'inherit',
    },
  );
  child.on('exit', (code) => process.exit(code ?? 1));
} else {
  await main();
}

/** The aggregate `cpu` line of /proc/stat (jiffies); undefined where there is none. */
function cpuTimes() {
  try {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
      .split('\n', 1)[0]
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const busy = user + nice + system + irq + softirq;
    return { busy, steal, total: busy + idle + iowait + steal };
  } catch {
    return undefined;
  }
}

/** "steal 1.2 %, busy 63 %" between two cpuTimes() readings. */
function cpuShare(from, to) {
  if (from === undefined || to === undefined || to.total <= from.total) return undefined;
  const total = to.total - from.total;
  return { steal: (100 * (to.steal - from.steal)) / total, busy: (100 * (to.busy - from.busy)) / total };
}

async function main() {
  const runStart = cpuTimes();
  if (!noBuild) {
    const built = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }
  process.env.TOKEN_BROKER_IT_CLI ??= join(root, 'dist/cli/token-broker.js');

  // Worker-thread entries the benches start (e.g. a fixture kept off the measuring thread).
  const workers = (await readdir(join(root, 'bench/support'))).filter((f) => f.endsWith('.worker.ts')).map((f) => join('bench/support', f));
  const files = (await readdir(join(root, 'bench')))
    .filter((f) => f.endsWith('.bench.ts') && (filter === undefined || f.includes(filter)))
    .sort();
  if (files.length === 0) {
    process.stderr.write('[bench] no bench/*.bench.ts files\n');
    process.exit(1);
  }
  // Inside node_modules so the external packages resolve from the bundles.
  const outdir = join(root, 'node_modules/.cache/token-broker-bench', String(process.pid));
  await mkdir(outdir, { recursive: true });
  const sections = [];
  try {
    await build({
      absWorkingDir: root,
      entryPoints: [...files.map((f) => join('bench', f)), ...workers],
      outdir,
      outbase: 'bench',
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
      outExtension: { '.js': '.mjs' },
    });
    for (const file of files) {
      const name = file.replace(/\.bench\.ts$/, '');
      process.stderr.write(`[bench] running ${file}\n`);
      const started = Date.now();
      const cpuBefore = cpuTimes();
      try {
        const mod = await import(pathToFileURL(join(outdir, `${name}.bench.mjs`)).href);
        const run = mod.default ?? mod.run;
        const rows = await run();
        const share = cpuShare(cpuBefore, cpuTimes());
        if (share !== undefined) {
          rows.push({
            name: `CPU steal while this bench ran (${Math.round((Date.now() - started) / 1000)} s; all CPUs ${Math.round(share.busy)} % busy)`,
            median: Math.round(share.steal * 10) / 10,
            unit: '%',
            target: '—',
            pass: null,
          });
        }
        sections.push({ name, rows, seconds: (Date.now() - started) / 1000 });
      } catch (error) {
        process.stderr.write(`[bench] ${file} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
        sections.push({
          name,
          rows: [{ name: `FAILED: ${error instanceof Error ? error.message : String(error)}`, median: '—', target: '—', pass: false }],
        });
      }
    }
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }

  const fmt = (value, unit) =>
    value === undefined ? '—' : typeof value === 'number' ? `${value.toLocaleString('en-US')}${unit ? ` ${unit}` : ''}` : String(value);
  const runShare = cpuShare(runStart, cpuTimes());
  const lines = [
    `Token Broker benchmarks — ${new Date().toISOString()} — node ${process.version}, ${(await import('node:os')).cpus().length} CPUs` +
      (runShare === undefined
        ? ''
        : ` — CPU steal over the run ${runShare.steal.toFixed(1)} % (all CPUs ${Math.round(runShare.busy)} % busy)`),
    '',
    '| bench | measurement | median | p99 | target | meets |',
    '|---|---|---:|---:|---|:---:|',
  ];
  for (const section of sections) {
    for (const row of section.rows) {
      const meets = row.pass === null || row.pass === undefined ? '—' : row.pass ? '✅' : '❌';
      lines.push(`| ${section.name} | ${row.name} | ${fmt(row.median, row.unit)} | ${fmt(row.p99, row.unit)} | ${row.target} | ${meets} |`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  // The fixtures keep timers alive; the table is printed, so leave.
  process.exit(0);
}
