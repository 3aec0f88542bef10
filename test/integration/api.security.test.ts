/**
 * Security properties of the real daemon (`token-broker serve` as a child process): socket
 * permissions, the optional TCP listener's defences, refresh tokens and credentials never
 * leaving the broker, and hostile clients leaving it serving.
 */
import { chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAuthServer } from '../support/fixtures.js';
import { call, rawConnect, readUntilClose, sendLarge } from '../core/api/support/http.js';
import { runCli, useSandbox, useServe } from './support/cli.js';

let tcpPort: number;
let proxy: Server;
let proxyUrl: string;
/** Every refresh token the provider issued, seen by a recording proxy in front of its token endpoint. */
const issuedRefreshTokens = new Set<string>();

/** Forwards /token to the fixture and records the refresh tokens in its answers. */
function startRecordingProxy(target: string): Promise<Server> {
  const proxyServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const upstream = httpRequest(
        `${target}${req.url ?? ''}`,
        { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
        (up) => {
          const body: Buffer[] = [];
          up.on('data', (c: Buffer) => body.push(c));
          up.on('end', () => {
            const text = Buffer.concat(body).toString('utf8');
            try {
              const json = JSON.parse(text) as { refresh_token?: string };
              if (json.refresh_token) issuedRefreshTokens.add(json.refresh_token);
            } catch {
              // not JSON: nothing to record
            }
            res.writeHead(up.statusCode ?? 502, up.headers);
            res.end(text);
          });
        },
      );
      upstream.end(Buffer.concat(chunks));
    });
  });
  return new Promise((resolve) => proxyServer.listen(0, '127.0.0.1', () => resolve(proxyServer)));
}

const server = useAuthServer();
const sandbox = useSandbox();
// Hooks run in this order: the proxy and the settings (TCP listener on) are ready before serve starts.
beforeAll(async () => {
  proxy = await startRecordingProxy(server.issuer);
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  await mkdir(sandbox.home, { recursive: true, mode: 0o700 });
  await writeFile(
    join(sandbox.home, 'config.json'),
    JSON.stringify({ version: 1, accounts: [], settings: { tcpListener: { enabled: true, port: 0 }, startAtLogin: false } }),
    { mode: 0o600 },
  );
});
afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
});
const broker = useServe(sandbox);
beforeAll(async () => {
  const [, port] = await broker.waitForStderr(/TCP listener on http:\/\/127\.0\.0\.1:(\d+)/);
  tcpPort = Number(port);
});

describe('socket permissions', () => {
  it('the socket is 0600 in a 0700 directory', async () => {
    expect((await stat(sandbox.socketPath)).mode & 0o777).toBe(0o600);
    expect((await stat(join(sandbox.dir, 'run'))).mode & 0o777).toBe(0o700);
  });

  it('serve refuses to start when the socket directory is 0755, and says how to fix it', async () => {
    const open = join(sandbox.dir, 'open');
    await mkdir(open, { mode: 0o755 });
    await chmod(open, 0o755);
    const other = { ...sandbox.env, TOKEN_BROKER_HOME: join(sandbox.dir, 'home2'), TOKEN_BROKER_SOCKET: join(open, 'broker.sock') };
    const result = await runCli(['serve'], other);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('SOCKET_INSECURE');
    expect(result.stderr).toContain(`chmod 700 '${open}'`);
    expect(await readdir(open)).toEqual([]);
  });

  it('a second serve on the same socket refuses and leaves the first one serving', async () => {
    const second = await runCli(['serve'], sandbox.env);
    expect(second.code).toBe(1);
    // The data directory lock or the live socket stops it, either way before touching anything.
    expect(second.stderr).toMatch(/cannot start the broker \((VAULT_LOCKED|BROKER_ALREADY_RUNNING)\)/);
    expect((await call({ socketPath: sandbox.socketPath }, 'GET', '/v1/health')).status).toBe(200);
  });
});

describe('TCP listener (127.0.0.1, bearer key)', () => {
  const t = () => ({ host: '127.0.0.1', port: tcpPort });
  const key = async () => (await readFile(join(sandbox.home, 'api-key'), 'utf8')).trim();

  it('keeps its key in a 0600 file', async () => {
    expect((await stat(join(sandbox.home, 'api-key'))).mode & 0o777).toBe(0o600);
  });

  it('no key → 401, wrong key → 401, right key → 200', async () => {
    const host = { Host: `127.0.0.1:${tcpPort}` };
    expect((await call(t(), 'GET', '/v1/accounts', { headers: host })).status).toBe(401);
    expect(
      (await call(t(), 'GET', '/v1/accounts', { headers: { ...host, Authorization: 'Bearer wrong-key-of-some-length-000000000000' } }))
        .status,
    ).toBe(401);
    expect((await call(t(), 'GET', '/v1/accounts', { headers: { ...host, Authorization: `Bearer ${await key()}` } })).status).toBe(200);
  });

  it('Origin header → 403, Host evil.com → 403', async () => {
    const auth = { Authorization: `Bearer ${await key()}` };
    expect(
      (await call(t(), 'GET', '/v1/health', { headers: { Host: `127.0.0.1:${tcpPort}`, Origin: 'https://evil.com', ...auth } })).status,
    ).toBe(403);
    expect((await call(t(), 'GET', '/v1/health', { headers: { Host: 'evil.com', ...auth } })).status).toBe(403);
  });

  it('has no admin endpoints', async () => {
    const headers = { Host: `localhost:${tcpPort}`, Authorization: `Bearer ${await key()}` };
    expect((await call(t(), 'POST', '/v1/accounts/x/login', { headers })).status).toBe(404);
    expect((await call(t(), 'DELETE', '/v1/accounts/x', { headers })).status).toBe(404);
  });
});

describe('secrets never leave the broker', () => {
  it('no refresh token, client secret or password in any API or CLI output, log or audit file', async () => {
    const { clientId, clientSecret } = server.clients.basic;
    const added = await runCli(
      [
        'account',
        'add',
        'pw',
        '--token-endpoint',
        `${proxyUrl}/token`,
        '--client-id',
        clientId,
        '--client-secret-stdin',
        '--grant',
        'password',
        '--allow-legacy',
        '--scope',
        'api',
      ],
      sandbox.env,
      `${clientSecret}\n`,
    );
    expect(added.code, added.stderr).toBe(0);
    const outputs: string[] = [added.stdout, added.stderr];
    const cli = async (args: string[], stdin?: string): Promise<void> => {
      const result = await runCli(args, sandbox.env, stdin);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      outputs.push(result.stdout, result.stderr);
    };
    await cli(['login', 'pw', '--username', server.user.username, '--password-stdin'], `${server.user.password}\n`);
    for (const format of ['raw', 'json', 'header', 'env']) await cli(['token', 'pw', '--format', format]);
    await cli(['account', 'list']);
    await cli(['account', 'list', '--json']);
    await cli(['kubectl-credential', 'pw']);
    await cli(['exec', 'pw', '--', process.execPath, '-e', 'process.stdout.write(Object.keys(process.env).join(","))']);
    const sock = { socketPath: sandbox.socketPath };
    for (const [method, path] of [
      ['GET', '/v1/accounts'],
      ['GET', '/v1/accounts/pw/token'],
      ['POST', '/v1/accounts/pw/refresh'],
      ['GET', '/v1/accounts/pw/token?min_ttl=99999'],
      ['GET', '/v1/health'],
    ] as const) {
      outputs.push((await call(sock, method, path)).text);
    }
    const login = await call(sock, 'POST', '/v1/accounts/pw/login', {
      body: JSON.stringify({ username: server.user.username, password: server.user.password }),
    });
    expect(login.text).toContain('"result":"ok"');
    outputs.push(login.text);

    expect(issuedRefreshTokens.size).toBeGreaterThanOrEqual(3);
    const files = await Promise.all(
      (await readdir(sandbox.home)).map(async (name) =>
        (await stat(join(sandbox.home, name))).isFile() ? readFile(join(sandbox.home, name), 'latin1') : '',
      ),
    );
    const everything = [...outputs, broker.stderr(), ...files].join('\n---\n');
    for (const rt of issuedRefreshTokens) expect(everything).not.toContain(rt);
    expect(everything).not.toContain(clientSecret);
    expect(everything).not.toContain(server.user.password);
  });
});

describe('hostile clients leave the daemon serving', () => {
  const healthy = async (): Promise<void> => {
    expect((await call({ socketPath: sandbox.socketPath }, 'GET', '/v1/health')).status).toBe(200);
  };

  it('garbage bytes → 400', async () => {
    const socket = await rawConnect(sandbox.socketPath);
    socket.write('\x00\xff garbage \r\n\r\n');
    expect((await readUntilClose(socket)).text).toMatch(/^HTTP\/1\.1 400 /);
    await healthy();
  });

  it('a 1 MiB header → 431', async () => {
    const socket = await rawConnect(sandbox.socketPath);
    const answer = await sendLarge(socket, 'GET /v1/health HTTP/1.1\r\nHost: b\r\nX-Big: ', 1 << 20);
    expect(answer.text).toMatch(/^HTTP\/1\.1 431 /);
    await healthy();
  });

  it('a 10 MiB body → 413', async () => {
    const socket = await rawConnect(sandbox.socketPath);
    const answer = await sendLarge(socket, `POST /v1/accounts HTTP/1.1\r\nHost: b\r\nContent-Length: ${10 << 20}\r\n\r\n`, 10 << 20, 0x7b);
    expect(answer.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer.closed).toBe(true);
    await healthy();
  });

  it('a slowloris client trickling its headers does not block others', async () => {
    const socket = await rawConnect(sandbox.socketPath);
    socket.on('error', () => {});
    const head = 'GET /v1/health HTTP/1.1\r\nHost: b\r\nX-Slow: ';
    let i = 0;
    const timer = setInterval(() => socket.writable && socket.write(head[i++ % head.length] ?? 'a'), 20);
    for (let n = 0; n < 5; n++) {
      await healthy();
      await new Promise((r) => setTimeout(r, 50));
    }
    clearInterval(timer);
    socket.destroy();
  });
});
