/**
 * Provider load (issue 15): refreshes of 1-second tokens over a fixed window under one use
 * pattern, for a broker as shipped and for one that refreshes only on demand
 * (TOKEN_BROKER_PROACTIVE_REFRESH=off), side by side in the same run:
 *  - account `busy`: a script asks for its token every USE_EVERY_MS for the first half of the
 *    window, then stops;
 *  - account `idle` (shipped broker only): signed in at the start, never asked for a token.
 * Both are password-grant accounts, so each refresh rotates a refresh token at the provider. Each
 * account has its own oidc-provider fixture, whose token endpoint counts the refresh_token grants.
 *
 *   BENCH_REFRESH_WINDOW_S (default 30), BENCH_REFRESH_USE_EVERY_MS (default 250)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cliPath, createSandbox, startServe, type BrokerProcess, type Sandbox } from '../test/integration/support/cli.js';
import { addAccount, keyringEnv } from './support/broker.js';
import { KeepAliveClient, getRequest } from './support/raw-http.js';
import { startRemoteAuthServer, type RemoteAuthServer } from './support/remote-auth-server.js';
import type { BenchRow } from './types.js';

const FIXTURE_WORKER = new URL('./support/auth-server.worker.mjs', import.meta.url);
const WINDOW_MS = Number(process.env.BENCH_REFRESH_WINDOW_S ?? 30) * 1000;
const USE_EVERY_MS = Number(process.env.BENCH_REFRESH_USE_EVERY_MS ?? 250);
/** Refreshes the two brokers may differ by when a request lands just before or after an expiry. */
const TIMING_SLACK = 1;

/** Asks for `path` every `everyMs` until `untilMs` (performance.now()); resolves with the non-200 count. */
async function useEvery(socketPath: string, path: string, everyMs: number, untilMs: number): Promise<number> {
  const client = await KeepAliveClient.open(socketPath);
  const request = getRequest(path, true);
  let errors = 0;
  try {
    for (let next = performance.now(); next < untilMs; next += everyMs) {
      if ((await client.send(request)) !== 200) errors++;
      await sleep(Math.max(0, next + everyMs - performance.now()));
    }
  } finally {
    client.close();
  }
  return errors;
}

const refreshesAt = async (fixture: RemoteAuthServer): Promise<number> => (await fixture.tokenRequests()).refresh_token ?? 0;

export default async function run(): Promise<BenchRow[]> {
  const [busyShipped, idleShipped, busyOnDemand, shippedBox, onDemandBox] = await Promise.all([
    startRemoteAuthServer(FIXTURE_WORKER, { accessTokenTtlSeconds: 1 }),
    startRemoteAuthServer(FIXTURE_WORKER, { accessTokenTtlSeconds: 1 }),
    startRemoteAuthServer(FIXTURE_WORKER, { accessTokenTtlSeconds: 1 }),
    createSandbox(),
    createSandbox(),
    cliPath(),
  ]);
  const brokers: BrokerProcess[] = [];
  const start = async (box: Sandbox, extra: NodeJS.ProcessEnv): Promise<void> => {
    brokers.push(await startServe(box, { ...(await keyringEnv(box)), ...extra }));
  };
  try {
    await Promise.all([start(shippedBox, {}), start(onDemandBox, { TOKEN_BROKER_PROACTIVE_REFRESH: 'off' })]);
    await Promise.all([
      addAccount(shippedBox, 'busy', busyShipped, 'password'),
      addAccount(shippedBox, 'idle', idleShipped, 'password'),
      addAccount(onDemandBox, 'busy', busyOnDemand, 'password'),
    ]);
    await Promise.all([busyShipped.resetCounters(), idleShipped.resetCounters(), busyOnDemand.resetCounters()]);

    const started = performance.now();
    const useUntil = started + WINDOW_MS / 2;
    const errors = (
      await Promise.all([
        useEvery(shippedBox.socketPath, '/v1/accounts/busy/token', USE_EVERY_MS, useUntil),
        useEvery(onDemandBox.socketPath, '/v1/accounts/busy/token', USE_EVERY_MS, useUntil),
      ])
    ).reduce((a, b) => a + b, 0);
    await sleep(Math.max(0, started + WINDOW_MS - performance.now()));
    const [shipped, onDemand, idle] = await Promise.all([refreshesAt(busyShipped), refreshesAt(busyOnDemand), refreshesAt(idleShipped)]);

    const pattern = `1-s tokens, ${WINDOW_MS / 1000} s window, used every ${USE_EVERY_MS} ms for the first ${WINDOW_MS / 2000} s`;
    return [
      {
        name: `provider refreshes of a used account (${pattern}): as shipped ${shipped}, on demand only ${onDemand}${errors ? `, ${errors} errors` : ''}`,
        median: shipped,
        unit: 'refreshes',
        target: `≤ on demand (${onDemand}) + ${TIMING_SLACK} for timing`,
        pass: shipped <= onDemand + TIMING_SLACK && errors === 0,
      },
      {
        name: `provider refreshes of an account signed in and never used (${WINDOW_MS / 1000} s window, as shipped)`,
        median: idle,
        unit: 'refreshes',
        target: '0 (refresh token untouched)',
        pass: idle === 0,
      },
    ];
  } finally {
    await Promise.all(brokers.map((b) => b.stop()));
    await Promise.all([busyShipped.close(), idleShipped.close(), busyOnDemand.close()]);
    await Promise.all([shippedBox.cleanup(), onDemandBox.cleanup()]);
  }
}
