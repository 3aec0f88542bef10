/**
 * The daemon's memory (issue 15), against a real `token-broker serve` child:
 *  - resident memory when idle, next to a bare node:http server on a Unix socket (the Node floor
 *    every daemon here starts from) driven by the same requests: once after a restart with the
 *    token cached in the vault (nothing refreshed yet), once after a refresh;
 *  - a soak: 1M cached hand-outs over 8 keep-alive clients with RSS and V8 heap sampled every
 *    10k requests; the rows give the warm-up value (100k), the end value and the slope of a
 *    least-squares line through the samples after warm-up.
 *
 * The plateau goal (≤ 3 % growth after warm-up) is judged on RSS — the issue's own figure — and on
 * the live V8 heap after a full GC, which is what would grow if the hand-out path leaked. The V8
 * heap *as sampled* is printed with its slope but not judged: it includes whatever garbage waits
 * for the next scavenge, a sawtooth of about ±1 MB on ~7 MB (e.g. 8.5 7 7.4 7 7.5 7.8 7.3 7.9 7.5
 * 8.1 MB, every 100k), so a line fitted through it says where the samples fell in that sawtooth,
 * not whether the heap grows: that run fitted +14.1 % while its end value (8.1 MB) was below its
 * warm-up value (8.5 MB), and its live heap grew 1.4 %.
 *
 *   BENCH_SOAK_REQUESTS (default 1000000), BENCH_SOAK_SAMPLE_EVERY (default 10000)
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cliPath, createSandbox, startServe, type BrokerProcess } from '../test/integration/support/cli.js';
import { startBareHttpServer } from './support/bare-http.js';
import { addAccount, fetchJson, keyringEnv, requestJson } from './support/broker.js';
import { createHeapProbe, type MemorySample } from './support/heap-probe.js';
import { residentOf, type Resident } from './support/proc.js';
import { KeepAliveClient, driveClients, getRequest } from './support/raw-http.js';
import { startRemoteAuthServer } from './support/remote-auth-server.js';
import { linearFit, round } from './support/stats.js';
import type { BenchRow } from './types.js';

const FIXTURE_WORKER = new URL('./support/auth-server.worker.mjs', import.meta.url);
const SOAK_REQUESTS = Number(process.env.BENCH_SOAK_REQUESTS ?? 1_000_000);
const SAMPLE_EVERY = Number(process.env.BENCH_SOAK_SAMPLE_EVERY ?? 10_000);
const WARM_UP = Math.min(100_000, SOAK_REQUESTS / 10);
/** The goals of issue 15. */
const IDLE_BUDGET_MB = 8;
const PLATEAU_PCT = 3;
/** Requests before an idle reading, and the pause that makes it idle. */
const IDLE_REQUESTS = 2_000;
const IDLE_PAUSE_MS = 2_000;

const TOKEN_PATH = '/v1/accounts/b/token';

async function openClients(socketPath: string, n: number): Promise<KeepAliveClient[]> {
  return Promise.all(Array.from({ length: n }, () => KeepAliveClient.open(socketPath)));
}

/** Drives `count` requests over 8 keep-alive clients, pauses, and reads the resident memory of `pid`. */
async function idleResident(socketPath: string, pid: number, path: string): Promise<Resident> {
  const clients = await openClients(socketPath, 8);
  const errors = await driveClients(clients, getRequest(path, true), IDLE_REQUESTS);
  for (const client of clients) client.close();
  if (errors > 0) throw new Error(`${errors} errors while warming up ${path}`);
  await sleep(IDLE_PAUSE_MS);
  return residentOf(pid);
}

const mb = (bytes: number): number => bytes / 1024 / 1024;
const fmtMb = (value: number): string => `${round(value, 1)} MB`;

export default async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const [fixture, sandbox] = await Promise.all([startRemoteAuthServer(FIXTURE_WORKER), createSandbox(), cliPath()]);
  const brokers: BrokerProcess[] = [];
  const stop = async (broker: BrokerProcess): Promise<void> => {
    await broker.stop();
    brokers.splice(brokers.indexOf(broker), 1);
  };
  try {
    const keyring = await keyringEnv(sandbox);

    // The floor: a bare node:http server answering a token-shaped body, in its own process.
    await mkdir(join(sandbox.dir, 'bare'), { mode: 0o700 });
    const bareSocket = join(sandbox.dir, 'bare', 'bare.sock');
    const bare = await startBareHttpServer(bareSocket);
    let floor: Resident;
    try {
      floor = await idleResident(bareSocket, bare.child.pid as number, TOKEN_PATH);
    } finally {
      await bare.close();
    }
    rows.push({
      name: `bare node:http server on a Unix socket, idle after ${IDLE_REQUESTS} requests (anon ${fmtMb(floor.anon)}, file ${fmtMb(floor.file)})`,
      median: round(floor.rss, 1),
      unit: 'MB',
      target: '—',
      pass: null,
    });

    // Set up: one account whose token lands in the vault.
    const first = await startServe(sandbox, keyring);
    brokers.push(first);
    await addAccount(sandbox, 'b', fixture, 'client_credentials');
    await fetchJson(sandbox.socketPath, TOKEN_PATH);
    await stop(first);

    // A restarted daemon hands out the cached token: nothing has needed the provider yet.
    const daemon = await startServe(sandbox, keyring);
    brokers.push(daemon);
    const pid = daemon.child.pid as number;
    const budget = floor.rss + IDLE_BUDGET_MB;
    const idleRow = (label: string, value: Resident): BenchRow => ({
      name: `daemon RSS idle, ${label} (anon ${fmtMb(value.anon)}, file ${fmtMb(value.file)}; +${round(value.rss - floor.rss, 1)} MB over bare)`,
      median: round(value.rss, 1),
      unit: 'MB',
      target: `≤ bare + ${IDLE_BUDGET_MB} MB (${round(budget, 1)} MB)`,
      pass: value.rss <= budget,
    });
    rows.push(
      idleRow(`restarted, ${IDLE_REQUESTS} cached hand-outs, no refresh yet`, await idleResident(sandbox.socketPath, pid, TOKEN_PATH)),
    );
    const refreshed = await requestJson(sandbox.socketPath, 'POST', '/v1/accounts/b/refresh');
    if (refreshed.status !== 200) throw new Error(`refresh answered ${refreshed.status}`);
    rows.push(idleRow(`after a provider refresh and ${IDLE_REQUESTS} hand-outs`, await idleResident(sandbox.socketPath, pid, TOKEN_PATH)));
    await stop(daemon);

    // The soak, on a daemon with the heap probe preloaded.
    const probe = await createHeapProbe(sandbox.dir);
    const soaked = await startServe(sandbox, { ...keyring, ...probe.env });
    brokers.push(soaked);
    const soakPid = soaked.child.pid as number;
    const clients = await openClients(sandbox.socketPath, 8);
    const request = getRequest(TOKEN_PATH, true);
    const at: number[] = [];
    const rss: number[] = [];
    const heap: number[] = [];
    let errors = 0;
    let warmGc: MemorySample | undefined;
    const started = performance.now();
    for (let done = 0; done < SOAK_REQUESTS;) {
      const batch = Math.min(SAMPLE_EVERY, SOAK_REQUESTS - done);
      errors += await driveClients(clients, request, batch);
      done += batch;
      const sample = await probe.sample(soakPid);
      at.push(done);
      rss.push(mb(sample.rss));
      heap.push(mb(sample.heapUsed));
      if (done === WARM_UP) warmGc = await probe.sample(soakPid, true);
    }
    const seconds = (performance.now() - started) / 1000;
    for (const client of clients) client.close();
    const endGc = await probe.sample(soakPid, true);

    const after = at.map((n, i) => [n, i] as const).filter(([n]) => n >= WARM_UP);
    const xs = after.map(([n]) => n);
    const plateau = (series: number[], label: string, extra: string, judged = true): BenchRow => {
      const ys = after.map(([, i]) => series[i] as number);
      const { slope, intercept } = linearFit(xs, ys);
      const fittedWarm = intercept + slope * WARM_UP;
      const growth = (100 * slope * (SOAK_REQUESTS - WARM_UP)) / fittedWarm;
      const warm = series[at.indexOf(WARM_UP)] as number;
      const end = series[series.length - 1] as number;
      return {
        name:
          `soak, ${label}: ${round(warm, 1)} MB at ${WARM_UP / 1000}k (warm-up) → ${round(end, 1)} MB at ${SOAK_REQUESTS / 1000}k, ` +
          `slope ${round(slope * 100_000 * 1024, 1)} KB per 100k${extra}`,
        median: round(growth, 2),
        unit: '% growth',
        target: judged ? `≤ ${PLATEAU_PCT} % after warm-up` : '— (judged on RSS and the live heap: see the header)',
        pass: judged ? growth <= PLATEAU_PCT && errors === 0 : null,
      };
    };
    const every = (series: number[]): string =>
      series
        .filter((_, i) => (at[i] as number) % (SOAK_REQUESTS / 10) === 0)
        .map((v) => round(v, 1))
        .join(' ');
    rows.push(
      plateau(
        rss,
        `daemon RSS over ${SOAK_REQUESTS / 1000}k cached hand-outs, 8 keep-alive clients`,
        ` (${Math.round(SOAK_REQUESTS / seconds)} req/s${errors ? `, ${errors} errors` : ''}; every ${SOAK_REQUESTS / 10000}k: ${every(rss)})`,
      ),
    );
    rows.push(plateau(heap, 'V8 heap used (as sampled, garbage included)', ` (every ${SOAK_REQUESTS / 10000}k: ${every(heap)})`, false));
    if (warmGc !== undefined) {
      const growth = (100 * (endGc.heapUsed - warmGc.heapUsed)) / warmGc.heapUsed;
      rows.push({
        name: `soak, live V8 heap after a full GC: ${fmtMb(mb(warmGc.heapUsed))} at ${WARM_UP / 1000}k → ${fmtMb(mb(endGc.heapUsed))} at ${SOAK_REQUESTS / 1000}k (+${Math.round((endGc.heapUsed - warmGc.heapUsed) / 1024)} KB)`,
        median: round(growth, 2),
        unit: '% growth',
        target: `≤ ${PLATEAU_PCT} % after warm-up`,
        pass: growth <= PLATEAU_PCT,
      });
    }
  } finally {
    await Promise.all(brokers.map((b) => b.stop()));
    await fixture.close();
    await sandbox.cleanup();
  }
  return rows;
}
