/**
 * The authenticating proxy against real parts: the fixture authorization server's tokens, the
 * test resource server (RFC 9449 §7 checks, streams, SSE, WebSocket), curl, and another uid
 * through setpriv.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BrokerError } from '../../../main/core/errors.js';
import { createHttpClient, discoverProvider, type HttpClient, type ProviderMetadata } from '../../../main/core/oauth/index.js';
import { startProxy, type ProxyRequestRecord, type RunningProxy } from '../../../main/core/proxy/index.js';
import { startAuthServer, type AuthServer } from '../../support/auth-server.js';
import { downloadDigest, downloadPattern, startResourceServer, type ResourceServer } from '../../support/resource-server.js';
import { clientAuthFor } from '../oauth/helpers/fixture.js';
import { fixtureCredentials, type FixtureCredentials } from './support/fixture-credentials.js';

const run = promisify(execFile);
const MB = 1024 * 1024;

let auth: AuthServer;
let http: HttpClient;
let metadata: ProviderMetadata;
let api: ResourceServer;
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  auth = await startAuthServer({ dpop: true });
  http = createHttpClient({ env: {} });
  metadata = await discoverProvider(auth.issuer, http);
  api = await startResourceServer({ introspect: (token) => auth.introspect(token) });
});
afterAll(async () => {
  await api.close();
  await auth.close();
});
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Readable; socketPath?: string; agent?: Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        ...(options.socketPath === undefined ? {} : { socketPath: options.socketPath }),
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body instanceof Readable) options.body.pipe(req);
    else req.end(options.body);
  });
}

async function proxyFor(
  credentials: FixtureCredentials,
  extra: Partial<Parameters<typeof startProxy>[0]> = {},
  upstream = api,
): Promise<{ proxy: RunningProxy; records: ProxyRequestRecord[] }> {
  const records: ProxyRequestRecord[] = [];
  const proxy = await startProxy({
    upstream: upstream.url,
    listen: { host: '127.0.0.1', port: 0 },
    credentials,
    onRequest: (r) => records.push(r),
    ...extra,
  });
  open.push(proxy);
  return { proxy, records };
}

// Garbage Buffers count in `arrayBuffers` until collected; collecting before each sample leaves
// mostly what is really held by the client, the proxy and the upstream together. V8 frees the
// backing stores on a background thread, so a sample can still include up to ~30 MB of garbage
// (at this rate of churn); the bound below is far under the 100 MB a buffering proxy would hold.
// The daemon-level test (test/integration) measures the proxy's process alone.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Largest growth of this process's live Buffer memory while `work` runs, sampled every 100 ms. */
async function peakBufferGrowth(work: () => Promise<void>): Promise<number> {
  collectGarbage();
  const base = process.memoryUsage().arrayBuffers;
  let peak = base;
  const timer = setInterval(() => {
    collectGarbage();
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }, 100);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage().arrayBuffers) - base;
}

describe('proxy: requests get fresh credentials', () => {
  it('replaces the client’s Authorization with a Bearer token and forwards method, path, query, headers and body', async () => {
    const credentials = fixtureCredentials(http, metadata, clientAuthFor(auth, 'basic'));
    const { proxy, records } = await proxyFor(credentials);
    const reply = await send(`${proxy.url}/echo/items?id=7`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer client-made-up-token',
        'x-custom': 'kept',
        'content-type': 'text/plain',
        connection: 'keep-alive, x-hop',
        'x-hop': 'dropped',
      },
      body: 'hello',
    });
    expect(reply.status).toBe(200);
    const echoed = JSON.parse(reply.body) as {
      method: string;
      path: string;
      query: object;
      headers: Record<string, string>;
      bodyBytes: number;
      auth: Record<string, unknown>;
    };
    expect(echoed).toMatchObject({ method: 'POST', path: '/echo/items', query: { id: '7' }, bodyBytes: 5 });
    expect(echoed.auth).toMatchObject({ scheme: 'bearer', client_id: auth.clients.basic.clientId });
    expect(echoed.headers['x-custom']).toBe('kept');
    expect(echoed.headers['x-hop']).toBeUndefined();
    expect(echoed.headers.host).toBe(new URL(api.url).host);
    expect(records.at(-1)).toEqual({
      method: 'POST',
      host: new URL(api.url).host,
      status: 200,
      outcome: 'granted',
      caller: { verified: true, uid: process.getuid?.() },
    });
    expect(JSON.stringify(records)).not.toContain(String(credentials.current()?.split(' ')[1]));
  });

  it('adds a DPoP proof per request, answers the upstream’s nonce challenge once and remembers the nonce', async () => {
    const strict = await startResourceServer({ introspect: (token) => auth.introspect(token), requireNonce: true });
    open.push(strict);
    const credentials = fixtureCredentials(http, metadata, clientAuthFor(auth, 'jwt'), { dpop: true });
    const { proxy } = await proxyFor(credentials, {}, strict);
    const first = await send(`${proxy.url}/echo`);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body).auth).toMatchObject({ scheme: 'dpop', jkt: credentials.key?.thumbprint });
    expect(strict.requests.map((r) => r.status)).toEqual([401, 200]);
    await send(`${proxy.url}/echo`);
    expect(strict.requests.map((r) => r.status)).toEqual([401, 200, 200]);
    strict.rotateNonce();
    expect((await send(`${proxy.url}/echo`)).status).toBe(200);
    expect(strict.requests.map((r) => r.status)).toEqual([401, 200, 200, 401, 200]);
  });

  it('refreshes once and retries an idempotent request after 401 invalid_token, and passes a second 401 through', async () => {
    const credentials = fixtureCredentials(http, metadata, clientAuthFor(auth, 'basic'));
    const { proxy } = await proxyFor(credentials);
    expect((await send(`${proxy.url}/echo`)).status).toBe(200);
    expect(credentials.fetches).toBe(1);
    // The provider revokes the token: the upstream answers invalid_token, the proxy gets a new one.
    expect(await auth.revokeAccessToken(String(credentials.current()?.split(' ')[1]))).toBe(true);
    const retried = await send(`${proxy.url}/echo`);
    expect(retried.status).toBe(200);
    expect(credentials.fetches).toBe(2);

    api.failNext(2);
    const twice = await send(`${proxy.url}/echo`);
    expect(twice.status).toBe(401);
    expect(twice.headers['www-authenticate']).toMatch(/invalid_token/);
    expect(credentials.fetches).toBe(3);
  });

  it('does not repeat a request with a body or a non-idempotent one', async () => {
    const credentials = fixtureCredentials(http, metadata, clientAuthFor(auth, 'basic'));
    const { proxy } = await proxyFor(credentials);
    api.failNext(1);
    expect((await send(`${proxy.url}/echo`, { method: 'PUT', body: 'data' })).status).toBe(401);
    api.failNext(1);
    expect((await send(`${proxy.url}/echo`, { method: 'POST' })).status).toBe(401);
    expect(credentials.fetches).toBe(1);
  });

  it('reports credential and upstream failures as typed JSON errors', async () => {
    const failing = await startProxy({
      upstream: api.url,
      listen: { host: '127.0.0.1', port: 0 },
      credentials: { authorize: () => Promise.reject(new BrokerError('NEEDS_LOGIN', 'Sign in first: token-broker login work')) },
    });
    open.push(failing);
    const needsLogin = await send(`${failing.url}/echo`);
    expect(needsLogin.status).toBe(409);
    expect(JSON.parse(needsLogin.body).error).toEqual({ code: 'NEEDS_LOGIN', message: 'Sign in first: token-broker login work' });

    const credentials = fixtureCredentials(http, metadata, clientAuthFor(auth, 'basic'));
    const { proxy, records } = await proxyFor(credentials, { upstream: 'http://127.0.0.1:9' });
    const unreachable = await send(`${proxy.url}/echo`);
    expect(unreachable.status).toBe(502);
    expect(JSON.parse(unreachable.body).error.code).toBe('PROVIDER_UNREACHABLE');
    expect(records.at(-1)).toMatchObject({ status: 502, outcome: 'error', code: 'PROVIDER_UNREACHABLE' });
  });
});

describe('proxy: streams, SSE and WebSocket', () => {
  let credentials: FixtureCredentials;
  let proxy: RunningProxy;
  beforeAll(async () => {
    credentials = fixtureCredentials(http, metadata, clientAuthFor(auth, 'basic'), { dpop: true });
    proxy = await startProxy({ upstream: api.url, listen: { host: '127.0.0.1', port: 0 }, credentials });
  });
  afterAll(() => proxy.close());

  it('streams a 100 MB upload through without buffering it', async () => {
    const block = downloadPattern();
    const total = 100 * MB;
    let reply: Reply | undefined;
    const growth = await peakBufferGrowth(async () => {
      let sent = 0;
      const body = Readable.from(
        (function* chunks() {
          while (sent < total) {
            sent += block.length;
            yield block;
          }
        })(),
      );
      reply = await send(`${proxy.url}/upload`, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(total) },
        body,
      });
    });
    expect(reply?.status).toBe(200);
    expect(JSON.parse(reply?.body ?? '{}')).toEqual({ bytes: total, sha256: downloadDigest(total) });
    expect(growth).toBeLessThan(50 * MB);
  }, 120_000);

  it('streams a 100 MB download through without buffering it', async () => {
    const total = 100 * MB;
    let digest = '';
    let received = 0;
    const growth = await peakBufferGrowth(
      () =>
        new Promise<void>((resolve, reject) => {
          const hash = createHash('sha256');
          request(`${proxy.url}/download?bytes=${total}`, { agent: false }, (res) => {
            expect(res.headers['content-length']).toBe(String(total));
            res.on('data', (chunk: Buffer) => {
              received += chunk.length;
              hash.update(chunk);
            });
            res.on('end', () => {
              digest = hash.digest('hex');
              resolve();
            });
            res.on('error', reject);
          })
            .on('error', reject)
            .end();
        }),
    );
    expect(received).toBe(total);
    expect(digest).toBe(downloadDigest(total));
    expect(growth).toBeLessThan(50 * MB);
  }, 120_000);

  it('passes server-sent events through as they come', async () => {
    const chunks: string[] = [];
    await new Promise<void>((resolve, reject) => {
      request(`${proxy.url}/sse`, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
        expect(res.headers['content-type']).toBe('text/event-stream');
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          chunks.push(chunk);
          // The first event reached us while the upstream still holds the stream open.
          if (chunks.length === 1) {
            expect(api.openStreams).toBe(1);
            api.releaseStreams();
          }
        });
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
    expect(chunks[0]).toBe('id: 0\ndata: first\n\n');
    expect(chunks.join('')).toContain('data: last');
  });

  it('passes a WebSocket upgrade through (authenticated with DPoP) and echoes messages both ways', async () => {
    const socket = new WebSocket(`${proxy.url.replace('http', 'ws')}/ws`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const replies: string[] = [];
    const three = new Promise<void>((resolve) =>
      socket.on('message', (data) => {
        replies.push(String(data));
        if (replies.length === 3) resolve();
      }),
    );
    for (const message of ['one', 'two', 'x'.repeat(100_000)]) socket.send(message);
    await three;
    expect(replies.map((r) => r.length)).toEqual([3, 3, 100_000]);
    socket.close();
    expect(api.requests.filter((r) => r.path === '/ws').at(-1)).toMatchObject({
      status: 101,
      scheme: 'dpop',
      jkt: credentials.key?.thumbprint,
    });
  });
});

describe('proxy: only the user', () => {
  it('refuses requests with an Origin, a foreign Host or an absolute-form target', async () => {
    const credentials = fixtureCredentials(http, metadata, clientAuthFor(auth, 'basic'));
    const { proxy, records } = await proxyFor(credentials);
    expect((await send(`${proxy.url}/echo`, { headers: { origin: 'https://evil.example' } })).status).toBe(403);
    expect((await send(`${proxy.url}/echo`, { headers: { host: 'evil.example' } })).status).toBe(403);
    const socket = new WebSocket(`${proxy.url.replace('http', 'ws')}/ws`, { origin: 'https://evil.example' });
    const failure = await new Promise<string>((resolve) =>
      socket.once('unexpected-response', (_req, res) => resolve(String(res.statusCode))),
    );
    expect(failure).toBe('403');
    expect(records.filter((r) => r.outcome === 'refused')).toHaveLength(3);
    expect(credentials.fetches).toBe(0);
    const { stdout } = await run('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--request-target',
      `${api.url}/echo`,
      `${proxy.url}/`,
    ]);
    expect(stdout).toBe('400');
  });

  it('serves curl as this user and refuses another uid (setpriv), unless it has the API key', async () => {
    const credentials = fixtureCredentials(http, metadata, clientAuthFor(auth, 'basic'));
    const { proxy, records } = await proxyFor(credentials, { apiKey: 'proxy-api-key-0123456789' });
    const curl = ['-s', '-o', '/dev/null', '-w', '%{http_code}', `${proxy.url}/echo`];
    expect((await run('curl', curl)).stdout).toBe('200');
    const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups', 'curl'];
    expect((await run('setpriv', [...asNobody, ...curl])).stdout).toBe('403');
    expect(records.at(-1)).toMatchObject({
      outcome: 'refused',
      caller: { verified: true, uid: 65534, pid: expect.any(Number), exe: expect.stringMatching(/curl$/) },
    });
    expect((await run('setpriv', [...asNobody, '-H', 'Proxy-Authorization: Bearer proxy-api-key-0123456789', ...curl])).stdout).toBe('200');
  });

  it('requires the API key where the kernel cannot name the peer', async () => {
    const credentials = fixtureCredentials(http, metadata, clientAuthFor(auth, 'basic'));
    const { proxy } = await proxyFor(credentials, { apiKey: 'proxy-api-key-0123456789', tcpPeer: async () => undefined });
    expect((await send(`${proxy.url}/echo`)).status).toBe(403);
    expect((await send(`${proxy.url}/echo`, { headers: { 'proxy-authorization': 'Bearer wrong-key-0123456789' } })).status).toBe(403);
    const withKey = await send(`${proxy.url}/echo`, { headers: { authorization: 'Bearer proxy-api-key-0123456789' } });
    expect(withKey.status).toBe(200);
    // The key is a credential of the proxy: it is not forwarded; the upstream gets the account's token.
    expect(JSON.parse(withKey.body).auth.scheme).toBe('bearer');
  });

  it('listens on a private Unix socket (0600) that curl can use', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tb-proxy-'));
    try {
      const credentials = fixtureCredentials(http, metadata, clientAuthFor(auth, 'basic'));
      const proxy = await startProxy({ upstream: api.url, listen: { path: join(dir, 'sock', 'api.sock') }, credentials });
      open.push(proxy);
      expect((await stat(proxy.url)).mode & 0o777).toBe(0o600);
      const { stdout } = await run('curl', ['-s', '--unix-socket', proxy.url, 'http://localhost/echo/unix']);
      expect(JSON.parse(stdout)).toMatchObject({ path: '/echo/unix', auth: { scheme: 'bearer' } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('checks a Unix-socket peer by its kernel credentials: another uid is refused even where the file would let it in', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tb-proxy-'));
    try {
      const credentials = fixtureCredentials(http, metadata, clientAuthFor(auth, 'basic'));
      const records: ProxyRequestRecord[] = [];
      const proxy = await startProxy({
        upstream: api.url,
        listen: { path: join(dir, 'sock', 'api.sock') },
        credentials,
        onRequest: (record) => records.push(record),
      });
      open.push(proxy);
      // Opened up on purpose, as a careless chmod would: the peer's credentials still decide.
      await chmod(dir, 0o755);
      await chmod(join(dir, 'sock'), 0o755);
      await chmod(proxy.url, 0o666);
      const curl = ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--unix-socket', proxy.url, 'http://localhost/echo/unix'];
      expect((await run('curl', curl)).stdout).toBe('200');
      expect((await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'curl', ...curl])).stdout).toBe('403');
      expect(records.at(-1)).toMatchObject({
        outcome: 'refused',
        caller: { verified: true, uid: 65534, pid: expect.any(Number), exe: expect.stringMatching(/curl$/) },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a non-loopback listen address and a bad upstream', async () => {
    const credentials = fixtureCredentials(http, metadata, clientAuthFor(auth, 'basic'));
    await expect(startProxy({ upstream: api.url, listen: { host: '0.0.0.0', port: 0 }, credentials })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    for (const upstream of ['ftp://x.example', 'https://u:p@x.example', 'https://x.example/?q=1', 'not a url']) {
      await expect(startProxy({ upstream, listen: { host: '127.0.0.1', port: 0 }, credentials })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
      });
    }
  });
});

describe('proxy: concurrency', () => {
  it('serves 8 keep-alive clients × 100 requests with one token fetch', async () => {
    const credentials = fixtureCredentials(http, metadata, clientAuthFor(auth, 'basic'));
    const plain = await startResourceServer();
    open.push(plain);
    const { proxy, records } = await proxyFor(credentials, {}, plain);
    const clients = Array.from({ length: 8 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
    try {
      const statuses = await Promise.all(
        clients.map(async (agent, index) => {
          const seen: number[] = [];
          for (let i = 0; i < 100; i += 1) seen.push((await send(`${proxy.url}/echo/${index}/${i}`, { agent })).status);
          return seen;
        }),
      );
      expect(statuses.flat().every((status) => status === 200)).toBe(true);
      expect(credentials.fetches).toBe(1);
      expect(records).toHaveLength(800);
    } finally {
      for (const agent of clients) agent.destroy();
    }
  });
});
