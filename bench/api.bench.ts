/**
 * Benchmarks of the local token API and the CLI (issue 5), against a real `token-broker serve`
 * child and the oidc-provider fixture (in a worker thread, so its work is not timed as the
 * measuring client's wait — see support/remote-auth-server.ts):
 *  - cached hand-out over the socket at 1/8/64 clients, new connection vs keep-alive, and the
 *    Node floor: a bare node:http server in its own process answering a fixed token-shaped body,
 *    loaded by the same client in the same run; at 8 keep-alive clients the broker's share of the
 *    floor's throughput, from CPU time per request (robust against a busy machine)
 *  - account B's latency while account A's refresh is held 1 s at the provider
 *  - provider refreshes for 50 concurrent requests on an expired token
 *  - the worst wait of a client fetching every 10 ms across a token's expiry, and (context only)
 *    the same paced client's worst wait at the bare node:http server
 * The one-shot CLI rows are in cli.bench.ts, memory in footprint.bench.ts (issue 15).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cliPath, createSandbox, startServe, type BrokerProcess } from '../test/integration/support/cli.js';
import { startBareHttpServer, type BareServer } from './support/bare-http.js';
import { addAccount, fetchJson, keyringEnv } from './support/broker.js';
import { runPacedClient } from './support/paced-client.js';
import { cpuMsOf } from './support/proc.js';
import { KeepAliveClient, driveClients, getRequest, requestOnce, runLoad, type LoadResult } from './support/raw-http.js';
import { startRemoteAuthServer } from './support/remote-auth-server.js';
import { median, percentile, round } from './support/stats.js';
import type { BenchRow } from './types.js';

const LOAD_MS = Number(process.env.BENCH_LOAD_MS ?? 2000);
/** The fixture's worker entry, bundled by scripts/bench.mjs next to this file. */
const FIXTURE_WORKER = new URL('./support/auth-server.worker.mjs', import.meta.url);

/**
 * The keep-alive N=8 share of the Node floor measured on main before issue 15's changes (commit
 * 8a8aef1; three runs of this bench: 62.1 %, 62.5 %, 59.6 %): the hand-out path must stay within
 * 5 % of it.
 */
const FLOOR_SHARE_BEFORE: number | undefined = 0.614;
/** Rounds of the floor comparison, and requests to each server in each. */
const FLOOR_ROUNDS = Number(process.env.BENCH_FLOOR_ROUNDS ?? 7);
const FLOOR_REQUESTS = Number(process.env.BENCH_FLOOR_REQUESTS ?? 20_000);

export default async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const [fixture, slowFixture, shortFixture, sandbox, herdSandbox] = await Promise.all([
    startRemoteAuthServer(FIXTURE_WORKER),
    startRemoteAuthServer(FIXTURE_WORKER),
    startRemoteAuthServer(FIXTURE_WORKER, { accessTokenTtlSeconds: 2 }),
    createSandbox(),
    createSandbox(),
    cliPath(),
  ]);
  const brokers: BrokerProcess[] = [];
  try {
    const broker = await startServe(sandbox, await keyringEnv(sandbox));
    brokers.push(broker);
    const socketPath = sandbox.socketPath;
    await addAccount(sandbox, 'b', fixture, 'client_credentials');
    await addAccount(sandbox, 'a', slowFixture, 'client_credentials');
    // 2-s tokens are refreshed on demand only unless the account asks for `always` (issue 15).
    await addAccount(sandbox, 'short', shortFixture, 'client_credentials', ['--refresh', 'always']);
    const tokenPath = '/v1/accounts/b/token';
    if ((await requestOnce(socketPath, getRequest(tokenPath, false))) !== 200) throw new Error('no token for b');

    // Warm-up (JIT, caches) before anything is measured.
    await runLoad(socketPath, tokenPath, 8, true, 500);

    // 1. Throughput and latency of the cached hand-out.
    for (const keepAlive of [false, true]) {
      for (const clients of [1, 8, 64]) {
        const result = await runLoad(socketPath, tokenPath, clients, keepAlive, LOAD_MS);
        const label = `cached hand-out, ${clients} client${clients === 1 ? '' : 's'}, ${keepAlive ? 'keep-alive' : 'new connection'}`;
        const target = clients === 8 ? (keepAlive ? 30_000 : 15_000) : undefined;
        rows.push({
          name: `${label}: throughput${result.errors > 0 ? ` (${result.errors} errors)` : ''}`,
          median: Math.round(result.rps),
          unit: 'req/s',
          target: target === undefined ? '—' : `≥ ${target} req/s`,
          pass: target === undefined ? null : result.rps >= target && result.errors === 0,
        });
        const p50 = percentile(result.latenciesMs, 50);
        const single = clients === 1 && keepAlive;
        rows.push({
          name: `${label}: latency`,
          median: round(p50, 3),
          p99: round(percentile(result.latenciesMs, 99), 3),
          unit: 'ms',
          target: single ? 'p50 ≤ 0.1 ms' : '—',
          pass: single ? p50 <= 0.1 : null,
        });
      }
    }

    // 1b. The Node floor: a bare node:http server in its own process, loaded by the same client.
    {
      const bareSocket = join(sandbox.dir, 'bare', 'bare.sock');
      await mkdir(join(sandbox.dir, 'bare'), { mode: 0o700 });
      const bare: BareServer = await startBareHttpServer(bareSocket);
      try {
        await runLoad(bareSocket, tokenPath, 8, true, 500);
        const row = (label: string, result: LoadResult): void => {
          rows.push({
            name: `Node floor (bare node:http, same client), ${label}: throughput`,
            median: Math.round(result.rps),
            unit: 'req/s',
            target: '—',
            pass: null,
          });
          rows.push({
            name: `Node floor (bare node:http, same client), ${label}: latency`,
            median: round(percentile(result.latenciesMs, 50), 3),
            p99: round(percentile(result.latenciesMs, 99), 3),
            unit: 'ms',
            target: '—',
            pass: null,
          });
        };
        row('8 clients, new connection', await runLoad(bareSocket, tokenPath, 8, false, LOAD_MS));
        row('1 client, keep-alive', await runLoad(bareSocket, tokenPath, 1, true, LOAD_MS));

        // The share of the floor: CPU time per request of the floor ÷ the broker's (all threads,
        // from /proc), at 8 keep-alive clients each, both loaded at the same time so a burst of
        // other work on the machine falls on both alike. A single-threaded server's saturated
        // throughput is 1 ÷ its CPU time per request, so this is the throughput share, without
        // the swings a shared machine puts into req/s (alternating 2-s rounds gave 100–286 %).
        const brokerPid = broker.child.pid as number;
        const floorPid = bare.child.pid as number;
        const shares: number[] = [];
        const perRequest = { broker: [] as number[], floor: [] as number[] };
        let errors = 0;
        const measure = async (socket: string, pid: number): Promise<number> => {
          const clients = await Promise.all(Array.from({ length: 8 }, () => KeepAliveClient.open(socket)));
          const cpu0 = await cpuMsOf(pid);
          errors += await driveClients(clients, getRequest(tokenPath, true), FLOOR_REQUESTS);
          const cpuMs = (await cpuMsOf(pid)) - cpu0;
          for (const client of clients) client.close();
          return cpuMs / FLOOR_REQUESTS;
        };
        for (let round_ = 0; round_ < FLOOR_ROUNDS; round_++) {
          const [ours, floor] = await Promise.all([measure(socketPath, brokerPid), measure(bareSocket, floorPid)]);
          perRequest.broker.push(ours);
          perRequest.floor.push(floor);
          shares.push(floor / ours);
        }
        const share = median(shares);
        const minimum = FLOOR_SHARE_BEFORE === undefined ? undefined : FLOOR_SHARE_BEFORE * 0.95;
        rows.push({
          name:
            `keep-alive, 8 clients each, share of the Node floor: CPU per request broker ${round(1000 * median(perRequest.broker), 1)} µs, ` +
            `floor ${round(1000 * median(perRequest.floor), 1)} µs (${FLOOR_ROUNDS} rounds of ${FLOOR_REQUESTS / 1000}k, both loaded at once: ` +
            `${shares.map((x) => `${round(100 * x, 1)} %`).join(', ')}${errors ? `; ${errors} errors` : ''})`,
          median: round(100 * share, 1),
          unit: '% of floor',
          target:
            FLOOR_SHARE_BEFORE === undefined || minimum === undefined
              ? '— (no figure from before yet)'
              : `≥ ${round(100 * minimum, 1)} % (within 5 % of ${round(100 * FLOOR_SHARE_BEFORE, 1)} % before issue 15)`,
          pass: minimum === undefined ? null : share >= minimum && errors === 0,
        });
      } finally {
        await bare.close();
      }
    }

    // 2. Account B while account A's refresh is held 1 s at the provider.
    {
      await slowFixture.setTokenDelay(1000);
      const client = await KeepAliveClient.open(socketPath);
      const request = getRequest(tokenPath, true);
      const refreshA = requestOnce(
        socketPath,
        Buffer.from('POST /v1/accounts/a/refresh HTTP/1.1\r\nHost: broker\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'),
      );
      const latencies: number[] = [];
      let aDone = false;
      const aTimed = refreshA.then((status) => {
        aDone = true;
        return status;
      });
      const t0 = performance.now();
      while (!aDone) {
        const s = performance.now();
        await client.send(request);
        latencies.push(performance.now() - s);
        await sleep(1);
      }
      const aMs = performance.now() - t0;
      client.close();
      await slowFixture.setTokenDelay(0);
      const p99 = percentile(latencies, 99);
      rows.push({
        name: `account B latency while A's refresh is held 1 s (A took ${Math.round(aMs)} ms, status ${await aTimed}, ${latencies.length} B requests)`,
        median: round(median(latencies), 3),
        p99: round(p99, 3),
        unit: 'ms',
        target: 'p99 ≤ 5 ms',
        pass: p99 <= 5,
      });
    }

    // 3. Worst wait of a client fetching every 10 ms across the 2-s token's expiry (`--refresh always`),
    //    from its own process (see support/paced-client.ts).
    {
      const { latenciesMs: latencies, errors } = await runPacedClient(socketPath, '/v1/accounts/short/token', 5000, 10); // crosses at least two expiries
      const worst = Math.max(...latencies);
      rows.push({
        name: `worst wait fetching every 10 ms across a 2-s token's expiry (${latencies.length} requests${errors ? `, ${errors} errors` : ''})`,
        median: round(worst, 3),
        p99: round(percentile(latencies, 99), 3),
        unit: 'ms',
        target: 'worst ≤ 5 ms',
        pass: worst <= 5 && errors === 0,
      });
      // Context, not a goal: the same paced client against the bare node:http server right after.
      // A 10-ms poller waits on the scheduler after every sleep, and on a shared machine the floor
      // itself misses 5 ms now and then; this row tells that apart from the broker's own work.
      const bareDir = join(sandbox.dir, 'bare-paced');
      await mkdir(bareDir, { mode: 0o700 });
      const bare = await startBareHttpServer(join(bareDir, 'bare.sock'));
      try {
        const floor = await runPacedClient(join(bareDir, 'bare.sock'), tokenPath, 5000, 10);
        rows.push({
          name: `Node floor (bare node:http, same paced client): worst wait fetching every 10 ms (${floor.latenciesMs.length} requests${floor.errors ? `, ${floor.errors} errors` : ''})`,
          median: round(Math.max(...floor.latenciesMs), 3),
          p99: round(percentile(floor.latenciesMs, 99), 3),
          unit: 'ms',
          target: '—',
          pass: null,
        });
      } finally {
        await bare.close();
      }
    }

    // 5. The herd: 50 concurrent requests on an expired token (proactive refresh off, so it does expire).
    {
      const herd = await startServe(herdSandbox, { ...(await keyringEnv(herdSandbox)), TOKEN_BROKER_PROACTIVE_REFRESH: 'off' });
      brokers.push(herd);
      await addAccount(herdSandbox, 'herd', shortFixture, 'password');
      const first = (await fetchJson(herdSandbox.socketPath, '/v1/accounts/herd/token')) as { expires_at: number };
      await sleep(Math.max(0, (first.expires_at + 1) * 1000 - Date.now()) + 50);
      await shortFixture.resetCounters();
      const request = getRequest('/v1/accounts/herd/token', false);
      const statuses = await Promise.all(Array.from({ length: 50 }, () => requestOnce(herdSandbox.socketPath, request)));
      const refreshes = (await shortFixture.tokenRequests()).refresh_token ?? 0;
      rows.push({
        name: `provider refreshes for 50 concurrent requests on an expired token (${statuses.filter((s) => s === 200).length}/50 answered 200)`,
        median: refreshes,
        unit: 'refreshes',
        target: 'exactly 1',
        pass: refreshes === 1 && statuses.every((s) => s === 200),
      });
    }
  } finally {
    await Promise.all(brokers.map((b) => b.stop()));
    await Promise.all([fixture.close(), slowFixture.close(), shortFixture.close()]);
    await Promise.all([sandbox.cleanup(), herdSandbox.cleanup()]);
  }
  return rows;
}
