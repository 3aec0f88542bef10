/**
 * The authenticating proxy through a real `token-broker serve`: `token-broker proxy` and a proxy
 * declared in config.json, in front of the test resource server (which checks DPoP proofs as
 * RFC 9449 §7 says), driven by curl, a WebSocket client and keep-alive load. The daemon's own
 * memory is read from /proc while 100 MB stream through it.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useAuthServer, useFixture } from '../support/fixtures.js';
import { downloadDigest, downloadPattern, startResourceServer } from '../support/resource-server.js';
import { runCli, startCli, useSandbox, useServe, type Running } from './support/cli.js';

const run = promisify(execFile);
const MB = 1024 * 1024;

const server = useAuthServer({ dpop: true });
const api = useFixture({
  name: 'resource server',
  scope: 'file',
  setup: () => startResourceServer({ introspect: (token) => server.introspect(token) }),
  teardown: (resource) => resource.close(),
});
const sandbox = useSandbox();
const broker = useServe(sandbox);

const cli = (args: string[], stdin?: string) => runCli(args, sandbox.env, stdin);
let proxy: Running;
let proxyUrl: string;

async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', ...args], { maxBuffer: 4 * MB });
  const at = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
}

/** Peak resident memory of the daemon so far, from the kernel (KiB → MB). */
async function daemonPeakMb(): Promise<number> {
  const status = await readFile(`/proc/${broker.child.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

async function startProxyCli(args: string[]): Promise<{ running: Running; url: string }> {
  const running = await startCli(['proxy', ...args], sandbox.env);
  await running.waitForStderr(/Proxy for .*\(Ctrl-C stops it\)\n/, 30_000);
  // The address goes to stdout right after the stderr line.
  for (let waited = 0; !running.stdout().includes('\n') && waited < 30_000; waited += 20) await sleep(20);
  return { running, url: running.stdout().trim().split('\n')[0] as string };
}

beforeAll(async () => {
  const { clientId, clientSecret } = server.clients.basic;
  const added = await cli(
    [
      'account',
      'add',
      'api',
      '--issuer',
      server.issuer,
      '--client-id',
      clientId,
      '--client-secret-stdin',
      '--grant',
      'client_credentials',
      '--scope',
      'api:read',
    ],
    `${clientSecret}\n`,
  );
  expect(added.code).toBe(0);
  ({ running: proxy, url: proxyUrl } = await startProxyCli(['api', '--upstream', api.url]));
});

afterAll(async () => {
  if (proxy.child.exitCode === null) proxy.child.kill('SIGINT');
  await proxy.exited;
});

describe('token-broker proxy', () => {
  it('forwards curl with a fresh DPoP-bound token and proof, dropping the client’s own Authorization', async () => {
    expect(proxyUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const answer = await curl(['-H', 'Authorization: Bearer not-a-real-token', '-H', 'X-Trace: 7', `${proxyUrl}/echo/items?page=2`]);
    expect(answer.status).toBe(200);
    const echoed = JSON.parse(answer.body) as {
      path: string;
      query: object;
      headers: Record<string, string>;
      auth: Record<string, unknown>;
    };
    expect(echoed).toMatchObject({
      path: '/echo/items',
      query: { page: '2' },
      auth: { scheme: 'dpop', client_id: server.clients.basic.clientId },
    });
    expect(echoed.headers['x-trace']).toBe('7');
    expect(echoed.auth.jkt).toEqual(expect.any(String));
  });

  it('streams a 100 MB upload and a 100 MB download without buffering them in the daemon', async () => {
    const file = join(sandbox.dir, 'upload.bin');
    const out = createWriteStream(file);
    const block = downloadPattern();
    for (let written = 0; written < 100 * MB; written += block.length) {
      if (!out.write(block)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    const before = await daemonPeakMb();
    const upload = await curl(['-T', file, `${proxyUrl}/upload`]);
    expect(upload.status).toBe(200);
    expect(JSON.parse(upload.body)).toEqual({ bytes: 100 * MB, sha256: downloadDigest(100 * MB) });

    const downloaded = join(sandbox.dir, 'download.bin');
    const download = await curl(['-o', downloaded, `${proxyUrl}/download?bytes=${100 * MB}`]);
    expect(download.status).toBe(200);
    expect((await stat(downloaded)).size).toBe(100 * MB);
    expect(
      createHash('sha256')
        .update(await readFile(downloaded))
        .digest('hex'),
    ).toBe(downloadDigest(100 * MB));
    const after = await daemonPeakMb();
    // A proxy that held either body would have grown by at least its 100 MB. What it does grow by
    // is garbage: every socket read is a new Buffer, which V8 collects only after tens of MB.
    expect(after - before).toBeLessThan(80);
    await rm(file);
    await rm(downloaded);
  }, 180_000);

  it('passes server-sent events through as they come (curl -N)', async () => {
    const child = spawn('curl', ['-s', '-N', `${proxyUrl}/sse`]);
    let received = '';
    const first = new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        received += chunk.toString('utf8');
        if (received.includes('data: first')) resolve();
      }),
    );
    await first;
    // The first event is through while the upstream still holds the stream open.
    expect(api.openStreams).toBe(1);
    expect(received).not.toContain('data: last');
    api.releaseStreams();
    await new Promise((resolve) => child.once('exit', resolve));
    expect(received).toContain('data: last');
  });

  it('passes a WebSocket upgrade through and echoes both ways', async () => {
    const socket = new WebSocket(`${proxyUrl.replace('http', 'ws')}/ws`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const echoed = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
    socket.send('ping through the broker');
    expect(await echoed).toBe('ping through the broker');
    socket.close();
    expect(api.requests.filter((entry) => entry.path === '/ws').at(-1)).toMatchObject({ status: 101, scheme: 'dpop' });
  });

  it('refreshes once and retries when the upstream says invalid_token', async () => {
    const token = (await cli(['token', 'api'])).stdout.trim();
    expect(await server.revokeAccessToken(token)).toBe(true);
    server.resetCounters();
    const answer = await curl([`${proxyUrl}/echo/after-revocation`]);
    expect(answer.status).toBe(200);
    expect(server.tokenRequests['client_credentials']).toBe(1);
    expect((await cli(['token', 'api'])).stdout.trim()).not.toBe(token);
  });

  it('refuses requests with an Origin, for a foreign Host, and from another user', async () => {
    const origin = await curl(['-H', 'Origin: https://evil.example', `${proxyUrl}/echo`]);
    expect(origin.status).toBe(403);
    expect(JSON.parse(origin.body).error.code).toBe('FORBIDDEN');
    expect((await curl(['-H', 'Host: evil.example', `${proxyUrl}/echo`])).status).toBe(403);
    const { stdout } = await run('setpriv', [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      'curl',
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      `${proxyUrl}/echo`,
    ]);
    expect(stdout).toBe('403');
  });

  it('serves 8 keep-alive clients under load', async () => {
    const agents = Array.from({ length: 8 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
    const target = new URL(proxyUrl);
    const get = (agent: Agent, path: string) =>
      new Promise<number>((resolve, reject) => {
        request({ host: target.hostname, port: target.port, path, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
          .on('error', reject)
          .end();
      });
    try {
      const statuses = await Promise.all(
        agents.map(async (agent, client) => {
          const seen: number[] = [];
          for (let i = 0; i < 40; i += 1) seen.push(await get(agent, `/echo/${client}/${i}`));
          return seen;
        }),
      );
      expect(statuses.flat().filter((status) => status !== 200)).toEqual([]);
    } finally {
      for (const agent of agents) agent.destroy();
    }
  }, 120_000);

  it('records proxied requests in the audit log per account (method, host, status), never a token', async () => {
    const token = (await cli(['token', 'api'])).stdout.trim();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const text = await readFile(join(sandbox.home, 'audit.log'), 'utf8');
    const entries = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.kind === 'proxy');
    const host = new URL(api.url).host;
    expect(entries.some((entry) => entry.account === 'api' && entry.method === 'PUT' && entry.host === host && entry.status === 200)).toBe(
      true,
    );
    const refusedOtherUser = entries.find(
      (entry) => entry.outcome === 'refused' && (entry.caller as { uid?: number } | undefined)?.uid === 65534,
    );
    expect(refusedOtherUser).toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
      caller: { verified: true, uid: 65534, pid: expect.any(Number), exe: expect.stringMatching(/curl$/) },
    });
    expect(entries.every((entry) => entry.client === `proxy ${host}`)).toBe(true);
    expect(text).not.toContain(token);
    expect(text).not.toContain('/echo');
  });

  it('stops when the command is interrupted', async () => {
    const { running, url } = await startProxyCli(['api', '--upstream', api.url, '--listen', '127.0.0.1:0']);
    expect((await curl([`${url}/echo`])).status).toBe(200);
    running.child.kill('SIGINT');
    expect((await running.exited).code).toBe(0);
    const after = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `${url}/echo`]).catch(
      (error: { stdout?: string }) => error,
    );
    expect((after as { stdout?: string }).stdout).toBe('000');
  });

  it('runs the proxies declared in config.json when serve starts', async () => {
    await broker.stop();
    const configFile = join(sandbox.home, 'config.json');
    const config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
    const socket = join(sandbox.dir, 'proxies', 'api.sock');
    await writeFile(configFile, JSON.stringify({ ...config, proxies: [{ account: 'api', upstream: `${api.url}/echo`, socket }] }, null, 2));
    await broker.start();
    const { stdout } = await run('curl', ['-s', '--unix-socket', socket, 'http://localhost/configured']);
    expect(JSON.parse(stdout)).toMatchObject({ path: '/echo/configured', auth: { scheme: 'dpop' } });
  });
});
