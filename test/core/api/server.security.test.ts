/**
 * Defences of the local token API: socket permissions, the TCP listener's key/Origin/Host
 * checks and loopback-only bind, and misbehaving clients (garbage, oversized headers and bodies,
 * slowloris, connection floods) that must leave the broker serving.
 */
import { chmod, lstat, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useTempDir } from '../../support/fixtures.js';
import { startApiServer, type ApiServer } from '../../../main/core/api/server.js';
import { FakeBroker } from './support/fake-broker.js';
import { call, rawConnect, readUntilClose, sendLarge } from './support/http.js';

const temp = useTempDir('tb-apisec-');
let broker: FakeBroker;
const servers: ApiServer[] = [];

async function start(options: Partial<Parameters<typeof startApiServer>[0]> = {}): Promise<ApiServer> {
  const api = await startApiServer({ broker, socketPath: join(temp.path, 'run', 'broker.sock'), ...options });
  servers.push(api);
  return api;
}

async function healthy(api: ApiServer): Promise<void> {
  const res = await call({ socketPath: api.socketPath }, 'GET', '/v1/health');
  expect(res.status).toBe(200);
}

beforeEach(async () => {
  broker = new FakeBroker();
  broker.add('work', {
    token: { accessToken: 'at-work', tokenType: 'Bearer', expiresAt: Date.now() + 3_600_000 },
    refreshToken: 'rt-never-out',
  });
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('socket permissions', () => {
  it('creates the socket 0600 in a 0700 directory', async () => {
    const api = await start();
    expect((await stat(api.socketPath)).mode & 0o777).toBe(0o600);
    expect((await stat(join(temp.path, 'run'))).mode & 0o777).toBe(0o700);
  });

  it('refuses to start when the socket directory is group/world accessible (0755), naming the fix', async () => {
    await mkdir(join(temp.path, 'run'), { mode: 0o755 });
    await chmod(join(temp.path, 'run'), 0o755);
    await expect(start()).rejects.toMatchObject({ code: 'SOCKET_INSECURE', message: expect.stringContaining('chmod 700') });
  });

  it('replaces a stale socket nobody answers on', async () => {
    await mkdir(join(temp.path, 'run'), { mode: 0o700 });
    const path = join(temp.path, 'run', 'broker.sock');
    // A broker that crashed: killed with SIGKILL, its socket file left behind.
    const child = spawn(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`,
    ]);
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect((await lstat(path)).isSocket()).toBe(true);
    const api = await start();
    await healthy(api);
  });

  it('refuses to replace a live socket or a file that is not a socket', async () => {
    const first = await start();
    await expect(start()).rejects.toMatchObject({ code: 'BROKER_ALREADY_RUNNING' });
    await healthy(first);
    await writeFile(join(temp.path, 'run', 'other.sock'), 'data');
    await expect(start({ socketPath: join(temp.path, 'run', 'other.sock') })).rejects.toMatchObject({ code: 'SOCKET_INSECURE' });
    expect(await readFile(join(temp.path, 'run', 'other.sock'), 'utf8')).toBe('data');
  });

  it('removes the socket on close', async () => {
    const api = await start();
    await api.close();
    await expect(stat(api.socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.skipIf(process.platform === 'win32')('judges a symlinked socket directory by its real directory', async () => {
    const real = join(temp.path, 'real');
    await mkdir(real, { mode: 0o700 });
    await chmod(real, 0o700);
    await symlink(real, join(temp.path, 'run'));
    const api = await start();
    await healthy(api);
    expect((await lstat(join(real, 'broker.sock'))).isSocket()).toBe(true);
    await api.close();
    // The real directory open to others is refused, and the fix names the real directory.
    await chmod(real, 0o755);
    await expect(start()).rejects.toMatchObject({ code: 'SOCKET_INSECURE', message: expect.stringContaining(`chmod 700 '${real}'`) });
  });

  it.runIf(process.platform !== 'win32')(
    'treats a \\\\.\\pipe\\ path as an ordinary socket path off Windows (directory checks apply)',
    async () => {
      const cwd = process.cwd();
      const open = join(temp.path, 'cwd');
      await mkdir(open);
      await chmod(open, 0o755);
      const pipeLike = '\\\\.\\pipe\\tb-test';
      try {
        process.chdir(open);
        await expect(start({ socketPath: pipeLike })).rejects.toMatchObject({
          code: 'SOCKET_INSECURE',
          message: expect.stringContaining('chmod 700'),
        });
        await chmod(open, 0o700);
        const api = await start({ socketPath: pipeLike });
        await healthy(api);
        expect((await stat(join(open, pipeLike))).mode & 0o777).toBe(0o600);
        await api.close();
      } finally {
        process.chdir(cwd);
      }
    },
  );
});

describe('TCP listener', () => {
  async function tcp(): Promise<{ api: ApiServer; port: number; key: string; keyFile: string }> {
    const keyFile = join(temp.path, 'api-key');
    const api = await start({ tcp: { port: 0, keyFile } });
    const port = api.tcpAddress?.port ?? 0;
    return { api, port, key: (await readFile(keyFile, 'utf8')).trim(), keyFile };
  }
  const host = (port: number): Record<string, string> => ({ Host: `127.0.0.1:${port}` });

  it('binds 127.0.0.1 only and creates a 0600 key file of 32 random bytes', async () => {
    const { api, keyFile, key } = await tcp();
    expect(api.tcpAddress?.host).toBe('127.0.0.1');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(Buffer.from(key, 'base64url')).toHaveLength(32);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal);
    if (external !== undefined) {
      await expect(call({ host: external.address, port: api.tcpAddress?.port ?? 0 }, 'GET', '/v1/health')).rejects.toMatchObject({
        code: 'ECONNREFUSED',
      });
    }
  });

  it('needs the bearer key: none or wrong → 401, right → 200', async () => {
    const { port, key } = await tcp();
    const t = { host: '127.0.0.1', port };
    const none = await call(t, 'GET', '/v1/accounts/work/token', { headers: host(port) });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    const wrong = await call(t, 'GET', '/v1/accounts/work/token', {
      headers: { ...host(port), Authorization: `Bearer ${key.slice(0, -1)}x` },
    });
    expect(wrong.status).toBe(401);
    expect((await call(t, 'GET', '/v1/accounts/work/token', { headers: { ...host(port), Authorization: 'Basic abc' } })).status).toBe(401);
    const right = await call(t, 'GET', '/v1/accounts/work/token', { headers: { ...host(port), Authorization: `Bearer ${key}` } });
    expect(right.status).toBe(200);
    expect(right.json).toMatchObject({ access_token: 'at-work' });
    const local = await call(t, 'GET', '/v1/health', { headers: { Host: `localhost:${port}`, Authorization: `Bearer ${key}` } });
    expect(local.status).toBe(200);
  });

  it('refuses browser requests (Origin) and rebinding Hosts with 403, even with the key', async () => {
    const { port, key } = await tcp();
    const t = { host: '127.0.0.1', port };
    const auth = { Authorization: `Bearer ${key}` };
    expect((await call(t, 'GET', '/v1/health', { headers: { ...host(port), ...auth, Origin: 'http://127.0.0.1' } })).status).toBe(403);
    expect((await call(t, 'GET', '/v1/health', { headers: { ...auth, Host: 'evil.com' } })).status).toBe(403);
    expect((await call(t, 'GET', '/v1/health', { headers: { ...auth, Host: `evil.com:${port}` } })).status).toBe(403);
    expect((await call(t, 'GET', '/v1/health', { headers: { ...auth, Host: '127.0.0.1:1' } })).status).toBe(403);
  });

  it('does not offer the admin endpoints', async () => {
    const { port, key } = await tcp();
    const headers = { ...host(port), Authorization: `Bearer ${key}` };
    const t = { host: '127.0.0.1', port };
    expect((await call(t, 'POST', '/v1/accounts', { headers, body: '{"account":{"name":"x"}}' })).status).toBe(405);
    expect((await call(t, 'DELETE', '/v1/accounts/work', { headers })).status).toBe(404);
    expect((await call(t, 'POST', '/v1/accounts/work/login', { headers })).status).toBe(404);
    expect((await call(t, 'POST', '/v1/accounts/work/logout', { headers })).status).toBe(404);
    expect((await call(t, 'GET', '/v1/accounts/work', { headers })).status).toBe(404);
    expect((await call(t, 'PUT', '/v1/accounts/work', { headers, body: '{"account":{"name":"work"}}' })).status).toBe(404);
    expect((await call(t, 'POST', '/v1/accounts/work/rename', { headers, body: '{"name":"mine"}' })).status).toBe(404);
    expect((await call(t, 'GET', '/v1/audit', { headers })).status).toBe(404);
    expect(broker.accounts.has('work')).toBe(true);
  });

  it('refuses a key file other users can read', async () => {
    const keyFile = join(temp.path, 'api-key');
    await writeFile(keyFile, 'k'.repeat(43), { mode: 0o644 });
    await chmod(keyFile, 0o644);
    await expect(start({ tcp: { port: 0, keyFile } })).rejects.toMatchObject({ code: 'SOCKET_INSECURE' });
  });
});

describe('misbehaving clients leave the broker serving', () => {
  it('answers garbage bytes with 400', async () => {
    const api = await start();
    const socket = await rawConnect(api.socketPath);
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a, 0xde, 0xad, 0xbe, 0xef]));
    const { text, closed } = await readUntilClose(socket);
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(closed).toBe(true);
    await healthy(api);
  });

  it('answers a 1 MiB header with 431', async () => {
    const api = await start();
    const socket = await rawConnect(api.socketPath);
    const { text } = await sendLarge(socket, 'GET /v1/health HTTP/1.1\r\nHost: broker\r\nX-Big: ', 1024 * 1024);
    expect(text).toMatch(/^HTTP\/1\.1 431 /);
    await healthy(api);
  });

  it('refuses a 10 MiB body with 413 without buffering it', async () => {
    const api = await start();
    const socket = await rawConnect(api.socketPath);
    const { text, closed } = await sendLarge(
      socket,
      `POST /v1/accounts HTTP/1.1\r\nHost: broker\r\nContent-Type: application/json\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n`,
      10 * 1024 * 1024,
      0x20,
    );
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(closed).toBe(true);
    // Chunked, undeclared length: cut off at the limit too.
    const chunked = await rawConnect(api.socketPath);
    const framed = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 0x20), Buffer.from('\r\n')]);
    const chunkedAnswer = await sendLarge(
      chunked,
      'POST /v1/accounts HTTP/1.1\r\nHost: broker\r\nTransfer-Encoding: chunked\r\n\r\n',
      20 * framed.length,
      0x20,
      framed,
    );
    // Either we read the 413 or the server's close raced our write (EPIPE): both prove the cut-off.
    expect(chunkedAnswer.text).toMatch(/^HTTP\/1\.1 413 |^$/);
    expect(chunkedAnswer.closed).toBe(true);
    await healthy(api);
  });

  it('cuts a slowloris connection after the headers timeout while serving others', async () => {
    const api = await start({ limits: { headersTimeoutMs: 800, requestTimeoutMs: 800 } });
    const socket = await rawConnect(api.socketPath);
    const done = readUntilClose(socket, 10_000);
    const request = 'GET /v1/health HTTP/1.1\r\nHost: broker\r\nX-Slow: ' + 'a'.repeat(200);
    let i = 0;
    const timer = setInterval(() => {
      if (socket.writable && i < request.length) socket.write(request[i++] ?? '');
    }, 50);
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    await healthy(api);
    const { closed, text } = await done;
    clearInterval(timer);
    expect(closed).toBe(true);
    expect(text).toMatch(/^HTTP\/1\.1 408 |^$/);
    expect(Date.now() - started).toBeLessThan(5000);
    await healthy(api);
  });

  it('caps the number of connections and recovers when they go away', async () => {
    const api = await start({ limits: { maxConnections: 4 } });
    const idle = await Promise.all([1, 2, 3, 4].map(() => rawConnect(api.socketPath)));
    const extra = await rawConnect(api.socketPath);
    const { closed } = await readUntilClose(extra, 3000);
    expect(closed).toBe(true);
    for (const socket of idle) socket.destroy();
    await expect
      .poll(async () => (await call({ socketPath: api.socketPath }, 'GET', '/v1/health').catch(() => ({ status: 0 }))).status)
      .toBe(200);
  });
});
