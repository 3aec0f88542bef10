/**
 * Another local user against the real daemon and CLI (issue 10 items 2, 5 and 6), through a
 * second uid (setpriv): squatting the TCP listener's port, owning a directory above the socket or
 * the socket itself, and flooding the TCP listener with idle connections.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type AuthServer } from '../support/auth-server.js';
import {
  canActAsOtherUser,
  OTHER_UID,
  otherUsersDirectory,
  report,
  startAsOtherUser,
  type OtherUserProcess,
} from '../support/other-user.js';
import { call } from '../core/api/support/http.js';
import { cliPath, createSandbox, runCli, startCli, startServe, type Running, type Sandbox } from './support/cli.js';

let server: AuthServer;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  [server] = await Promise.all([startAuthServer(), cliPath()]);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await server?.close();
});

async function sandboxWith(settings?: Record<string, unknown>): Promise<Sandbox> {
  const sandbox = await createSandbox();
  cleanups.push(() => sandbox.cleanup());
  if (settings !== undefined) {
    await mkdir(sandbox.home, { recursive: true, mode: 0o700 });
    await writeFile(join(sandbox.home, 'config.json'), JSON.stringify({ version: 1, accounts: [], settings }), { mode: 0o600 });
  }
  return sandbox;
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Resolves 'listening' or 'exited' (with the process's output), whichever comes first. */
async function startOrRefuse(running: Running): Promise<'listening' | 'exited'> {
  const outcome = await Promise.race([
    running.waitForStderr(/\[serve\] listening on/, 30_000).then(() => 'listening' as const),
    running.exited.then(() => 'exited' as const),
  ]).catch(() => 'exited' as const);
  if (outcome === 'listening') cleanups.push(async () => running.child.kill('SIGTERM'));
  return outcome;
}

async function addClientCredentials(sandbox: Sandbox, name: string): Promise<void> {
  const { clientId, clientSecret } = server.clients.basic;
  const added = await runCli(
    ['account', 'add', name, '--issuer', server.issuer, '--client-id', clientId, '--client-secret-stdin', '--grant', 'client_credentials'],
    sandbox.env,
    `${clientSecret}\n`,
  );
  expect(added.code, added.stderr).toBe(0);
}

describe.skipIf(!canActAsOtherUser())('2. TCP port squatting (needs root for a second uid)', () => {
  let squatter: OtherUserProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    squatter = startAsOtherUser('squat-port.mjs', [String(port)]);
    cleanups.push(() => squatter.stop());
    await squatter.waitForLine(/"listening"/);
  });

  it('a taken port: the old key stops working, health and stderr say the listener is not running', async () => {
    const sandbox = await sandboxWith({ tcpListener: { enabled: true, port }, startAtLogin: false });
    const oldKey = 'k'.repeat(43);
    await writeFile(join(sandbox.home, 'api-key'), `${oldKey}\n`, { mode: 0o600 });
    const broker = await startServe(sandbox);
    cleanups.push(() => broker.stop());
    expect(broker.stderr()).toMatch(new RegExp(`TCP listener.*not running.*${port}`, 's'));
    const keyNow = await readFile(join(sandbox.home, 'api-key'), 'utf8').catch(() => '');
    expect(keyNow.trim(), 'the key clients may have sent to the squatter still exists').not.toBe(oldKey);
    const health = await call({ socketPath: sandbox.socketPath }, 'GET', '/v1/health');
    expect(health.json).toMatchObject({ status: 'ok', tcp_listener: { running: false, port } });
    await broker.stop();

    // Once the port is ours again, a key exists and works; the one from before does not.
    await squatter.stop();
    const again = await startServe(sandbox);
    cleanups.push(() => again.stop());
    const [, bound] = await again.waitForStderr(/TCP listener on http:\/\/127\.0\.0\.1:(\d+)/);
    expect(Number(bound)).toBe(port);
    const newKey = (await readFile(join(sandbox.home, 'api-key'), 'utf8')).trim();
    expect(newKey).not.toBe(oldKey);
    const target = { host: '127.0.0.1', port };
    const headers = (key: string) => ({ Host: `127.0.0.1:${port}`, Authorization: `Bearer ${key}` });
    expect((await call(target, 'GET', '/v1/health', { headers: headers(oldKey) })).status).toBe(401);
    expect((await call(target, 'GET', '/v1/health', { headers: headers(newKey) })).status).toBe(200);
    expect((await call({ socketPath: sandbox.socketPath }, 'GET', '/v1/health')).json).toMatchObject({
      tcp_listener: { running: true, port },
    });
    await again.stop();
    // Put the squatter back for the next test.
    squatter = startAsOtherUser('squat-port.mjs', [String(port)]);
    cleanups.push(() => squatter.stop());
    await squatter.waitForLine(/"listening"/);
  });

  it('serve --tcp-required (or settings.tcpListener.required) exits non-zero instead', async () => {
    const sandbox = await sandboxWith({ tcpListener: { enabled: true, port }, startAtLogin: false });
    const flag = await startCli(['serve', '--tcp-required'], sandbox.env);
    expect(await startOrRefuse(flag)).toBe('exited');
    expect((await flag.exited).code).toBe(1);
    expect(flag.stderr()).toContain(String(port));
    expect(flag.stderr()).toMatch(/in use/);

    const viaSettings = await sandboxWith({ tcpListener: { enabled: true, port, required: true }, startAtLogin: false });
    const setting = await startCli(['serve'], viaSettings.env);
    expect(await startOrRefuse(setting)).toBe('exited');
    expect((await setting.exited).code).toBe(1);
  });
});

describe.skipIf(!canActAsOtherUser())('5. socket paths another user controls (needs root for a second uid)', () => {
  it('serve refuses a socket below a directory another user owns or may write, naming it', async () => {
    const sandbox = await sandboxWith();
    for (const mode of [0o777, 0o755]) {
      const theirs = await otherUsersDirectory(mode);
      cleanups.push(() => rm(theirs, { recursive: true, force: true }));
      const privateDir = join(theirs, 'private');
      await mkdir(privateDir, { mode: 0o700 });
      const running = await startCli(['serve'], { ...sandbox.env, TOKEN_BROKER_SOCKET: join(privateDir, 'broker.sock') });
      expect(await startOrRefuse(running), `mode ${mode.toString(8)}: ${running.stderr()}`).toBe('exited');
      expect((await running.exited).code).toBe(1);
      expect(running.stderr()).toContain('SOCKET_INSECURE');
      expect(running.stderr()).toContain(theirs);
    }
  });

  describe('the CLI and a server of another uid', () => {
    let sticky: string;
    let fake: OtherUserProcess;
    let env: NodeJS.ProcessEnv;

    beforeAll(async () => {
      const sandbox = await sandboxWith();
      // A shared directory like /tmp: root's, sticky, writable by all — so only the socket itself is theirs.
      sticky = await mkdtemp(join(tmpdir(), 'tb-sticky-'));
      await chmod(sticky, 0o1777);
      cleanups.push(() => rm(sticky, { recursive: true, force: true }));
      const socketPath = join(sticky, 'broker.sock');
      fake = startAsOtherUser('fake-broker.mjs', [socketPath]);
      cleanups.push(() => fake.stop());
      await fake.waitForLine(/"listening"/);
      env = { ...sandbox.env, TOKEN_BROKER_SOCKET: socketPath };
    });

    const received = (): string => fake.stdout();

    it('token, git-credential and exec do not trust its tokens', async () => {
      const token = await runCli(['token', 'work'], env);
      expect(token.stdout).not.toContain('attacker-token');
      expect(token.code).toBe(1);
      expect(token.stderr).toContain(`uid ${OTHER_UID}`);
      const git = await runCli(['git-credential', 'get'], env, 'protocol=https\nhost=git.example.test\n\n');
      expect(git.stdout).not.toContain('attacker-token');
      const exec = await runCli(
        ['exec', 'work', '--', process.execPath, '-e', 'process.stdout.write(process.env.ACCESS_TOKEN ?? "")'],
        env,
      );
      expect(exec.stdout).not.toContain('attacker-token');
    });

    it('account add and login send it no client secret or password', async () => {
      const secret = 'victim-client-secret-0123456789';
      const add = await runCli(
        [
          'account',
          'add',
          'work',
          '--token-endpoint',
          'https://idp.example/token',
          '--client-id',
          'c',
          '--client-secret-stdin',
          '--grant',
          'client_credentials',
        ],
        env,
        `${secret}\n`,
      );
      expect(add.code).toBe(1);
      expect(add.stderr).toContain(`uid ${OTHER_UID}`);
      const password = 'victim-password-0123456789';
      await runCli(['login', 'work', '--username', 'me', '--password-stdin'], env, `${password}\n`);
      await sleep(100);
      expect(received()).not.toContain(secret);
      expect(received()).not.toContain(password);
    });
  });
});

describe.skipIf(!canActAsOtherUser())('6. unauthenticated TCP connections (needs root for a second uid)', () => {
  it('600 idle connections from another user do not lock the key holder out: a token within a second', async () => {
    const sandbox = await sandboxWith({ tcpListener: { enabled: true, port: 0 }, startAtLogin: false });
    const broker = await startServe(sandbox);
    cleanups.push(() => broker.stop());
    const [, port] = await broker.waitForStderr(/TCP listener on http:\/\/127\.0\.0\.1:(\d+)/);
    await addClientCredentials(sandbox, 'cc');
    const key = (await readFile(join(sandbox.home, 'api-key'), 'utf8')).trim();
    const target = { host: '127.0.0.1', port: Number(port) };
    const headers = { Host: `127.0.0.1:${port}`, Authorization: `Bearer ${key}` };
    expect((await call(target, 'GET', '/v1/accounts/cc/token', { headers })).status).toBe(200);

    const flood = startAsOtherUser('flood.mjs', [String(port), '600']);
    cleanups.push(() => flood.stop());
    report<{ opened: number }>(await flood.waitForLine(/"opened"/, 60_000));
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const started = performance.now();
      const answer = await Promise.race([
        call(target, 'GET', '/v1/accounts/cc/token', { headers }).then(
          (res) => res.status,
          (error: NodeJS.ErrnoException) => error.code ?? error.message,
        ),
        sleep(5000).then(() => 'no answer within 5 s'),
      ]);
      const elapsed = performance.now() - started;
      expect(answer, `attempt ${attempt + 1} under the flood`).toBe(200);
      expect(elapsed, `attempt ${attempt + 1} took ${Math.round(elapsed)} ms`).toBeLessThan(1000);
    }
    // And the socket API is untouched by it.
    expect((await call({ socketPath: sandbox.socketPath }, 'GET', '/v1/health')).status).toBe(200);
    await flood.stop();
  });
});
