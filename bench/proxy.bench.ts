/**
 * Benchmarks of issue 14 against a real `token-broker serve` child, the oidc-provider fixture (in
 * a worker thread, with DPoP) and a bare node:http upstream in its own process:
 *  - the authenticating proxy's overhead: the same keep-alive client loads the upstream directly
 *    and through `token-broker proxy` (Bearer, and DPoP with a fresh proof per request), in
 *    alternating rounds of the same run, at 1 and 8 clients — added p50/p99 latency and the
 *    throughput ratio;
 *  - `POST /v1/accounts/NAME/dpop-proof` over the socket with a keep-alive client.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  cliPath,
  createSandbox,
  runCli,
  startCli,
  startServe,
  type BrokerProcess,
  type Running,
  type Sandbox,
} from '../test/integration/support/cli.js';
import { startRemoteAuthServer, type FixtureInfo } from './support/remote-auth-server.js';
import { percentile, round } from './support/stats.js';
import { runLoad, startBareProxy, startUpstream, type LoadResult, type Target } from './support/tcp-load.js';
import type { BenchRow } from './types.js';

const LOAD_MS = Number(process.env.BENCH_LOAD_MS ?? 2000);
const ROUNDS = 4;
const FIXTURE_WORKER = new URL('./support/auth-server.worker.mjs', import.meta.url);

async function keyringEnv(sandbox: Sandbox): Promise<NodeJS.ProcessEnv> {
  if (process.env.TOKEN_BROKER_TEST_KEYRING === '1') return {};
  const file = join(sandbox.dir, 'passphrase');
  await writeFile(file, 'bench-passphrase-not-secret\n', { mode: 0o600 });
  return { TOKEN_BROKER_PASSPHRASE_FILE: file };
}

async function addAccount(sandbox: Sandbox, name: string, fixture: FixtureInfo, dpop: 'on' | 'off'): Promise<void> {
  const { clientId, clientSecret } = fixture.clients.basic;
  const result = await runCli(
    [
      'account',
      'add',
      name,
      '--issuer',
      fixture.issuer,
      '--client-id',
      clientId,
      '--client-secret-stdin',
      '--grant',
      'client_credentials',
      '--scope',
      'api',
      '--dpop',
      dpop,
    ],
    sandbox.env,
    clientSecret,
  );
  if (result.code !== 0) throw new Error(`account add ${name} failed: ${result.stderr}`);
}

async function startProxyCli(
  sandbox: Sandbox,
  name: string,
  upstream: string,
): Promise<{ running: Running; target: { host: string; port: number } }> {
  const running = await startCli(['proxy', name, '--upstream', upstream], sandbox.env);
  await running.waitForStderr(/Proxy for .*\(Ctrl-C stops it\)\n/, 30_000);
  for (let waited = 0; !running.stdout().includes('\n') && waited < 30_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  const url = new URL(running.stdout().trim().split('\n')[0] as string);
  return { running, target: { host: url.hostname, port: Number(url.port) } };
}

function getRequest(target: { host: string; port: number }): Buffer {
  return Buffer.from(
    `GET /v1/items/42 HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nAccept: application/json\r\nConnection: keep-alive\r\n\r\n`,
  );
}

function merge(results: LoadResult[]): LoadResult {
  const latenciesMs = results.flatMap((result) => result.latenciesMs);
  const requests = results.reduce((sum, result) => sum + result.requests, 0);
  const errors = results.reduce((sum, result) => sum + result.errors, 0);
  const rps = results.reduce((sum, result) => sum + result.rps, 0) / results.length;
  return { requests, errors, rps, latenciesMs };
}

export default async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const [fixture, sandbox] = await Promise.all([startRemoteAuthServer(FIXTURE_WORKER, { dpop: true }), createSandbox(), cliPath()]);
  const upstream = await startUpstream();
  const bareProxy = await startBareProxy(upstream.port);
  const proxies: Running[] = [];
  let broker: BrokerProcess | undefined;
  try {
    broker = await startServe(sandbox, await keyringEnv(sandbox));
    await addAccount(sandbox, 'bearer', fixture, 'off');
    await addAccount(sandbox, 'bound', fixture, 'on');
    const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
    const direct = { host: '127.0.0.1', port: upstream.port };
    const bearer = await startProxyCli(sandbox, 'bearer', upstreamUrl);
    const bound = await startProxyCli(sandbox, 'bound', upstreamUrl);
    proxies.push(bearer.running, bound.running);
    const targets: Array<{ label: string; target: { host: string; port: number } }> = [
      { label: 'direct', target: direct },
      { label: 'context: a bare node:http proxy (no checks, no broker)', target: { host: '127.0.0.1', port: bareProxy.port } },
      { label: 'proxy (Bearer)', target: bearer.target },
      { label: 'proxy (DPoP, a proof per request)', target: bound.target },
    ];
    // Warm-up: tokens fetched, JIT, connection pools.
    for (const { target } of targets) await runLoad(target, getRequest(target), 8, 500);

    for (const clients of [1, 8]) {
      const results = new Map<string, LoadResult[]>(targets.map(({ label }) => [label, []]));
      // Alternating rounds: a load spike from elsewhere on the machine hits all three alike.
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const { label, target } of targets)
          results.get(label)?.push(await runLoad(target, getRequest(target), clients, LOAD_MS / ROUNDS));
      }
      const baseline = merge(results.get('direct') ?? []);
      const base50 = percentile(baseline.latenciesMs, 50);
      const base99 = percentile(baseline.latenciesMs, 99);
      const plural = `${clients} client${clients === 1 ? '' : 's'}`;
      rows.push({
        name: `small GET direct to the upstream, ${plural}, keep-alive (${Math.round(baseline.rps)} req/s)`,
        median: round(base50, 3),
        p99: round(base99, 3),
        unit: 'ms',
        target: '—',
        pass: null,
      });
      for (const { label } of targets.slice(1)) {
        const result = merge(results.get(label) ?? []);
        const added50 = percentile(result.latenciesMs, 50) - base50;
        const added99 = percentile(result.latenciesMs, 99) - base99;
        const ratio = result.rps / baseline.rps;
        const context = label.startsWith('context');
        rows.push({
          name: `${label}: added latency, ${plural}${result.errors > 0 ? ` (${result.errors} errors)` : ''}`,
          median: round(added50, 3),
          p99: round(added99, 3),
          unit: 'ms',
          target: context ? '—' : 'p50 ≤ 0.3 ms added',
          pass: context ? null : added50 <= 0.3 && result.errors === 0,
        });
        rows.push({
          name: `${label}: throughput vs direct, ${plural} (${Math.round(result.rps)} vs ${Math.round(baseline.rps)} req/s)`,
          median: `${round(ratio, 2)}×`,
          target: context ? '—' : '≥ 0.7×',
          pass: context ? null : ratio >= 0.7 && result.errors === 0,
        });
      }
    }

    // dpop-proof over the socket, keep-alive.
    {
      const body = JSON.stringify({ htm: 'GET', htu: 'https://api.example.test/v1/items/42' });
      const request = Buffer.from(
        `POST /v1/accounts/bound/dpop-proof HTTP/1.1\r\nHost: broker\r\nX-Token-Broker-Client: bench\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`,
      );
      const socket: Target = { path: sandbox.socketPath };
      await runLoad(socket, request, 1, 500);
      // Context: the cached token route on the same socket with the same client, just before.
      const tokenRequest = Buffer.from(
        'GET /v1/accounts/bound/token HTTP/1.1\r\nHost: broker\r\nX-Token-Broker-Client: bench\r\nConnection: keep-alive\r\n\r\n',
      );
      await runLoad(socket, tokenRequest, 1, 500);
      const tokens = await runLoad(socket, tokenRequest, 1, LOAD_MS);
      rows.push({
        name: `context: cached token route over the socket, 1 keep-alive client (${Math.round(tokens.rps)} req/s)`,
        median: round(percentile(tokens.latenciesMs, 50), 3),
        p99: round(percentile(tokens.latenciesMs, 99), 3),
        unit: 'ms',
        target: '—',
        pass: null,
      });
      for (const clients of [1, 8]) {
        const result = await runLoad(socket, request, clients, LOAD_MS);
        const p50 = percentile(result.latenciesMs, 50);
        rows.push({
          name: `dpop-proof over the socket, ${clients} keep-alive client${clients === 1 ? '' : 's'} (${Math.round(result.rps)} req/s${result.errors > 0 ? `, ${result.errors} errors` : ''})`,
          median: round(p50, 3),
          p99: round(percentile(result.latenciesMs, 99), 3),
          unit: 'ms',
          target: clients === 1 ? 'p50 ≤ 0.3 ms' : '—',
          pass: clients === 1 ? p50 <= 0.3 && result.errors === 0 : null,
        });
      }
    }
  } finally {
    for (const proxy of proxies) proxy.child.kill('SIGINT');
    await Promise.all(proxies.map((proxy) => proxy.exited));
    await broker?.stop();
    await bareProxy.close();
    await upstream.close();
    await fixture.close();
    await sandbox.cleanup();
  }
  return rows;
}
