/**
 * A memory probe preloaded into the soak's daemon (`NODE_OPTIONS=--require <file>`): on SIGUSR2
 * it appends `process.memoryUsage()` as one JSON line to `$TB_BENCH_PROBE_FILE`; on SIGURG it
 * runs a full GC first (the daemon gets `--expose-gc`), so live heap can be told from garbage
 * waiting for collection. The probe keeps nothing between samples and only the soak's daemon has
 * it; the idle RSS figures come from a daemon without it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const PROBE_SOURCE = `
const { appendFileSync } = require('node:fs');
const out = process.env.TB_BENCH_PROBE_FILE;
const sample = (afterGc) => {
  if (afterGc && typeof globalThis.gc === 'function') globalThis.gc();
  const m = process.memoryUsage();
  appendFileSync(out, JSON.stringify({ afterGc, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external }) + '\\n');
};
process.on('SIGUSR2', () => sample(false));
process.on('SIGURG', () => sample(true));
`;

export interface MemorySample {
  afterGc: boolean;
  /** Bytes. */
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

export interface HeapProbe {
  /** Environment for the probed process. */
  env: NodeJS.ProcessEnv;
  /** Signals `pid` and resolves with its answer. */
  sample(pid: number, afterGc?: boolean): Promise<MemorySample>;
}

export async function createHeapProbe(dir: string): Promise<HeapProbe> {
  const script = join(dir, 'heap-probe.cjs');
  const out = join(dir, 'heap-probe.jsonl');
  await writeFile(script, PROBE_SOURCE);
  await writeFile(out, '');
  let seen = 0;
  return {
    env: { NODE_OPTIONS: `--expose-gc --require ${script}`, TB_BENCH_PROBE_FILE: out },
    async sample(pid, afterGc = false) {
      process.kill(pid, afterGc ? 'SIGURG' : 'SIGUSR2');
      for (let waited = 0; waited < 5000; waited += 2) {
        // Complete lines only: a read can land in the middle of the daemon's append.
        const text = await readFile(out, 'utf8');
        const lines = text
          .slice(0, text.lastIndexOf('\n') + 1)
          .split('\n')
          .filter((l) => l !== '');
        if (lines.length > seen) {
          seen = lines.length;
          return JSON.parse(lines[lines.length - 1] as string) as MemorySample;
        }
        await sleep(2);
      }
      throw new Error('the heap probe did not answer within 5 s');
    },
  };
}
