/**
 * Careless input and small holes (issue 10 items 11 and 13) against the real daemon: a socket path
 * longer than the OS allows, a client claiming the app's name in another spelling, a passphrase
 * vault copied from another data directory, a rewritten scrypt header, a config.json gone while
 * its backup remains, and refused requests that leave no trace.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type AuthServer } from '../support/auth-server.js';
import { call } from '../core/api/support/http.js';
import { cliPath, createSandbox, runCli, startCli, startServe, type Running, type Sandbox } from './support/cli.js';

const PASSPHRASE = 'one passphrase for every directory';

let server: AuthServer;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  [server] = await Promise.all([startAuthServer(), cliPath()]);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await server?.close();
});

async function sandbox(): Promise<Sandbox> {
  const created = await createSandbox();
  cleanups.push(() => created.cleanup());
  return created;
}

async function withPassphrase(box: Sandbox): Promise<NodeJS.ProcessEnv> {
  const file = join(box.dir, 'passphrase');
  await writeFile(file, `${PASSPHRASE}\n`, { mode: 0o600 });
  return { ...box.env, TOKEN_BROKER_PASSPHRASE_FILE: file };
}

/** Starts `serve`; resolves 'listening', or 'exited' once it exits, or 'hung' after `ms`. */
async function serveOutcome(env: NodeJS.ProcessEnv, ms = 20_000): Promise<{ outcome: 'listening' | 'exited' | 'hung'; running: Running }> {
  const running = await startCli(['serve'], env);
  const outcome = await Promise.race([
    running.waitForStderr(/\[serve\] listening on/, ms + 1000).then(
      () => 'listening' as const,
      () => 'exited' as const,
    ),
    running.exited.then(() => 'exited' as const),
    sleep(ms).then(() => 'hung' as const),
  ]);
  if (outcome !== 'exited') {
    running.child.kill('SIGKILL');
    await running.exited;
  }
  return { outcome, running };
}

async function addClientCredentials(env: NodeJS.ProcessEnv, name: string): Promise<void> {
  const { clientId, clientSecret } = server.clients.basic;
  const added = await runCli(
    ['account', 'add', name, '--issuer', server.issuer, '--client-id', clientId, '--client-secret-stdin', '--grant', 'client_credentials'],
    env,
    `${clientSecret}\n`,
  );
  expect(added.code, added.stderr).toBe(0);
}

async function auditOf(home: string): Promise<Record<string, unknown>[]> {
  await sleep(100);
  return (await readFile(join(home, 'audit.log'), 'utf8').catch(() => ''))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('11. a socket path longer than the OS allows', () => {
  it('is refused up front with the limit in the message, exit 1, nothing left behind — twice', async () => {
    const box = await sandbox();
    const longDir = join(box.dir, `run-${'d'.repeat(110)}`);
    const socketPath = join(longDir, 'broker.sock');
    expect(Buffer.byteLength(socketPath)).toBeGreaterThan(108);
    const env = { ...box.env, TOKEN_BROKER_SOCKET: socketPath };
    for (const attempt of [1, 2]) {
      const { outcome, running } = await serveOutcome(env);
      expect(outcome, `attempt ${attempt}: ${running.stderr()}`).toBe('exited');
      expect((await running.exited).code).toBe(1);
      expect(running.stderr()).toContain('108');
      expect(running.stderr()).not.toContain('BROKER_ALREADY_RUNNING');
    }
    // No socket file anywhere: not at the path, nor at the path cut to the limit.
    const truncated = Buffer.from(socketPath).subarray(0, 107).toString();
    await expect(stat(truncated)).rejects.toThrow();
    const leftovers = await readdir(longDir).catch(() => []);
    expect(leftovers).toEqual([]);
  });
});

describe('13. small holes', () => {
  it('a client claiming the app’s own name in another spelling is relabelled in the audit log', async () => {
    const box = await sandbox();
    const broker = await startServe(box);
    cleanups.push(() => broker.stop());
    await addClientCredentials(box.env, 'cc');
    const claims = ['Token-Broker app', 'token_broker app', 'TOKEN.BROKER app', 'Token\tBroker app', 'T0ken Broker app', 'TokenBroker'];
    for (const claim of claims) {
      const answer = await call({ socketPath: box.socketPath }, 'GET', '/v1/accounts/cc/token', {
        headers: { 'X-Token-Broker-Client': claim },
      });
      expect(answer.status).toBe(200);
    }
    const clients = (await auditOf(box.home)).map((entry) => String(entry.client));
    const looksLikeTheApp = (name: string): boolean =>
      name
        .toLowerCase()
        .replace(/0/g, 'o')
        .replace(/[^a-z]/g, '')
        .startsWith('tokenbroker');
    expect(clients.filter(looksLikeTheApp), `audited client names: ${JSON.stringify(clients)}`).toEqual([]);
  });

  it('a passphrase vault copied from another data directory does not open silently', async () => {
    const first = await sandbox();
    const firstEnv = await withPassphrase(first);
    const broker = await startServe({ ...first, env: firstEnv });
    await addClientCredentials(firstEnv, 'cc');
    await broker.stop();

    const second = await sandbox();
    const secondEnv = await withPassphrase(second);
    await mkdir(second.home, { recursive: true, mode: 0o700 });
    await copyFile(join(first.home, 'vault.bin'), join(second.home, 'vault.bin'));
    await copyFile(join(first.home, 'config.json'), join(second.home, 'config.json'));
    const { outcome, running } = await serveOutcome(secondEnv);
    expect(outcome, running.stderr()).toBe('exited');
    expect((await running.exited).code).toBe(1);
    expect(running.stderr()).toContain('VAULT_KEY_MISMATCH');
    expect(running.stderr()).toMatch(/another data directory/);
  });

  it('a rewritten scrypt header (log2 N = 22) is refused at once instead of hanging start-up', async () => {
    const box = await sandbox();
    const env = await withPassphrase(box);
    const broker = await startServe({ ...box, env });
    await broker.stop();
    const path = join(box.home, 'vault.bin');
    const bytes = await readFile(path);
    bytes[6] = 22;
    // The unkeyed header check is recomputed, as anyone who can write the file can do.
    createHash('sha256').update(bytes.subarray(0, 45)).digest().copy(bytes, 45, 0, 8);
    await writeFile(path, bytes, { mode: 0o600 });
    const started = performance.now();
    const { outcome, running } = await serveOutcome(env, 20_000);
    expect(outcome, running.stderr()).toBe('exited');
    expect(performance.now() - started, 'start-up took too long to refuse').toBeLessThan(10_000);
    expect((await running.exited).code).toBe(1);
    expect(running.stderr()).toContain('VAULT_CORRUPT');
    expect(running.stderr()).toContain('scrypt');
  });

  it('a missing config.json beside a present config.json.bak is refused, as the vault does', async () => {
    const box = await sandbox();
    const broker = await startServe(box);
    await addClientCredentials(box.env, 'one');
    await addClientCredentials(box.env, 'two');
    await broker.stop();
    const backup = await readFile(join(box.home, 'config.json.bak'), 'utf8');
    await unlink(join(box.home, 'config.json'));
    const { outcome, running } = await serveOutcome(box.env);
    expect(outcome, `it started with an empty configuration: ${running.stderr()}`).toBe('exited');
    expect((await running.exited).code).toBe(1);
    expect(running.stderr()).toContain('CONFIG_INVALID');
    expect(running.stderr()).toContain('config.json.bak');
    expect(await readFile(join(box.home, 'config.json.bak'), 'utf8')).toBe(backup);
    await rm(join(box.home, 'config.json'), { force: true });
  });

  it('refused requests (unknown account, invalid request) are audited', async () => {
    const box = await sandbox();
    const broker = await startServe(box);
    cleanups.push(() => broker.stop());
    await addClientCredentials(box.env, 'cc');
    const socket = { socketPath: box.socketPath };
    expect((await call(socket, 'GET', '/v1/accounts/nope/token', { headers: { 'X-Token-Broker-Client': 'prober' } })).status).toBe(404);
    expect(
      (await call(socket, 'GET', '/v1/accounts/cc/token?min_ttl=soon', { headers: { 'X-Token-Broker-Client': 'prober' } })).status,
    ).toBe(400);
    const entries = await auditOf(box.home);
    expect(entries).toContainEqual(
      expect.objectContaining({ account: 'nope', client: 'prober', outcome: 'refused', code: 'ACCOUNT_NOT_FOUND' }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({ account: 'cc', client: 'prober', outcome: 'refused', code: 'INVALID_REQUEST' }),
    );
  });
});
