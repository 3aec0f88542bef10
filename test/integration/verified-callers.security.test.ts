/**
 * Verified callers (issue 10 item 4): `X-Token-Broker-Client` is only a claim; on the Unix socket
 * the real daemon reads the peer's credentials from the kernel and the audit log records the
 * verified executable and pid beside the claimed name. TCP callers are recorded as unverified.
 */
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type AuthServer } from '../support/auth-server.js';
import { call } from '../core/api/support/http.js';
import { cliPath, createSandbox, runCli, startCli, startServe, type BrokerProcess, type Sandbox } from './support/cli.js';
import { mkdir, writeFile } from 'node:fs/promises';

interface AuditLine {
  account: string;
  client: string;
  outcome: string;
  caller?: { verified: boolean; uid?: number; pid?: number; exe?: string };
}

let server: AuthServer;
let sandbox: Sandbox;
let broker: BrokerProcess;
let tcpPort: number;
const node = realpathSync(process.execPath);

async function audit(): Promise<AuditLine[]> {
  await sleep(100);
  return (await readFile(join(sandbox.home, 'audit.log'), 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AuditLine);
}

beforeAll(async () => {
  [server, sandbox] = await Promise.all([startAuthServer(), createSandbox(), cliPath()]).then(([a, b]) => [a, b] as const);
  await mkdir(sandbox.home, { recursive: true, mode: 0o700 });
  await writeFile(
    join(sandbox.home, 'config.json'),
    JSON.stringify({ version: 1, accounts: [], settings: { tcpListener: { enabled: true, port: 0 }, startAtLogin: false } }),
    { mode: 0o600 },
  );
  broker = await startServe(sandbox);
  tcpPort = Number((await broker.waitForStderr(/TCP listener on http:\/\/127\.0\.0\.1:(\d+)/))[1]);
  const { clientId, clientSecret } = server.clients.basic;
  const added = await runCli(
    ['account', 'add', 'cc', '--issuer', server.issuer, '--client-id', clientId, '--client-secret-stdin', '--grant', 'client_credentials'],
    sandbox.env,
    `${clientSecret}\n`,
  );
  expect(added.code, added.stderr).toBe(0);
});

afterAll(async () => {
  await broker?.stop();
  await server?.close();
  await sandbox?.cleanup();
});

describe('the audit log records who really asked', () => {
  it('a CLI hand-out: the verified executable and pid of the CLI process beside its claimed name', async () => {
    const running = await startCli(['token', 'cc'], sandbox.env);
    const pid = running.child.pid;
    expect((await running.exited).code, running.stderr()).toBe(0);
    const entry = (await audit()).filter((line) => line.account === 'cc').at(-1);
    expect(entry).toMatchObject({
      client: 'token-broker token',
      outcome: 'granted',
      caller: { verified: true, uid: process.getuid?.(), pid, exe: node },
    });
  });

  it('a script claiming to be kubectl is recorded as the program it is', async () => {
    const answer = await call({ socketPath: sandbox.socketPath }, 'GET', '/v1/accounts/cc/token', {
      headers: { 'X-Token-Broker-Client': 'kubectl' },
    });
    expect(answer.status).toBe(200);
    const entry = (await audit()).filter((line) => line.account === 'cc').at(-1);
    expect(entry).toMatchObject({ client: 'kubectl', caller: { verified: true, pid: process.pid, exe: node } });
  });

  it('a TCP caller is recorded as unverified', async () => {
    const key = (await readFile(join(sandbox.home, 'api-key'), 'utf8')).trim();
    const answer = await call({ host: '127.0.0.1', port: tcpPort }, 'GET', '/v1/accounts/cc/token', {
      headers: { Host: `127.0.0.1:${tcpPort}`, Authorization: `Bearer ${key}`, 'X-Token-Broker-Client': 'container' },
    });
    expect(answer.status).toBe(200);
    const entry = (await audit()).filter((line) => line.account === 'cc').at(-1);
    expect(entry).toMatchObject({ client: 'container', caller: { verified: false } });
    expect(entry?.caller?.exe).toBeUndefined();
  });
});
