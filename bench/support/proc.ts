/**
 * What Linux says about a process and the machine: resident memory from /proc/PID/status and CPU
 * time (including steal) from /proc/stat. Linux only, like the benches.
 */
import { readdir, readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';

export interface Resident {
  /** VmRSS, MB. */
  rss: number;
  /** RssAnon (heap, stacks, V8 pages), MB. */
  anon: number;
  /** RssFile (the node binary's touched pages, shared libraries), MB. */
  file: number;
}

const MB = 1024;

/** Resident memory of `pid`, in MB. */
export async function residentOf(pid: number): Promise<Resident> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { rss: kb('VmRSS') / MB, anon: kb('RssAnon') / MB, file: kb('RssFile') / MB };
}

/** The aggregate `cpu` line of /proc/stat, in jiffies. */
export interface CpuTimes {
  busy: number;
  idle: number;
  steal: number;
  total: number;
}

export function cpuTimes(): CpuTimes {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const idleAll = idle + iowait;
  const busy = user + nice + system + irq + softirq;
  return { busy, idle: idleAll, steal, total: busy + idleAll + steal };
}

/** Steal and busy time between two readings, as percentages of all CPU time. */
export function cpuShare(from: CpuTimes, to: CpuTimes): { stealPct: number; busyPct: number } {
  const total = to.total - from.total;
  if (total <= 0) return { stealPct: 0, busyPct: 0 };
  return { stealPct: (100 * (to.steal - from.steal)) / total, busyPct: (100 * (to.busy - from.busy)) / total };
}

/**
 * Time all threads of `pid` have spent on a CPU so far, in ms (the sum of
 * /proc/PID/task/TID/schedstat, nanosecond resolution). Unlike throughput, CPU time per request
 * barely moves when other processes load the machine: it is the cost, not the share of cores.
 */
export async function cpuMsOf(pid: number): Promise<number> {
  const tids = await readdir(`/proc/${pid}/task`);
  let ns = 0;
  for (const tid of tids) {
    const text = await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').catch(() => '0');
    ns += Number(text.split(' ')[0]);
  }
  return ns / 1e6;
}
