import { once } from 'node:events';
import { gzipSync } from 'node:zlib';
import { createServer as createNetServer, connect, type Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BROKER_VERSION } from '../../../main/core/version.js';
import { createHttpClient } from '../../../main/core/oauth/http.js';
import { matchesNoProxy, proxyForUrl } from '../../../main/core/oauth/proxy-agent.js';
import { freePort, json, rejectionOf, startTestServer, type TestServer } from './helpers/http-util.js';

const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function server(handler: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const s = await startTestServer(handler);
  servers.push(s);
  return s;
}

describe('createHttpClient', () => {
  it('sends the User-Agent and a form body, and returns any status without throwing', async () => {
    const s = await server((_req, res) => json(res, 400, { error: 'invalid_request' }));
    const http = createHttpClient({ env: {} });
    const response = await http.request({ method: 'POST', url: `${s.url}/token`, form: { a: '1 2', b: 'x&y' } });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_request' });
    expect(s.requests[0]?.headers['user-agent']).toBe(`token-broker/${BROKER_VERSION}`);
    expect(s.requests[0]?.headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(new URLSearchParams(s.requests[0]?.body)).toEqual(new URLSearchParams({ a: '1 2', b: 'x&y' }));
  });

  it('refuses a 2 MiB body with INVALID_RESPONSE (streamed, no content-length)', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      for (let i = 0; i < 32; i += 1) res.write(chunk);
      res.end();
    });
    const error = await rejectionOf(
      createHttpClient({ env: {} }).request({ method: 'GET', url: `${s.url}/big`, purpose: 'discovery endpoint' }),
    );
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.message).toContain('larger than the limit');
  });

  it('refuses an announced oversized body before reading it', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) });
      res.write('{');
      // never finishes: the client must give up on the header alone
    });
    const error = await rejectionOf(createHttpClient({ env: {} }).request({ method: 'GET', url: `${s.url}/big` }));
    expect(error.code).toBe('INVALID_RESPONSE');
  });

  it('caps the decompressed size too (a gzip bomb is INVALID_RESPONSE)', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(bomb.length) });
      res.end(bomb);
    });
    const error = await rejectionOf(createHttpClient({ env: {} }).request({ method: 'GET', url: s.url }));
    expect(error.code).toBe('INVALID_RESPONSE');
  });

  it('turns an already aborted signal into CANCELLED', async () => {
    const s = await server((_req, res) => json(res, 200, {}));
    const controller = new AbortController();
    controller.abort();
    expect((await rejectionOf(createHttpClient({ env: {} }).request({ method: 'GET', url: s.url, signal: controller.signal }))).code).toBe(
      'CANCELLED',
    );
  });

  it('accepts a body just under the cap', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(Buffer.alloc(1024 * 1024, 'b'));
    });
    const response = await createHttpClient({ env: {} }).request({ method: 'GET', url: s.url });
    expect(response.body.length).toBe(1024 * 1024);
  });

  it('turns a slow response into TIMEOUT', async () => {
    const s = await server((_req, res) => {
      setTimeout(() => json(res, 200, {}), 2_000).unref();
    });
    const error = await rejectionOf(
      createHttpClient({ env: {}, responseTimeoutMs: 100 }).request({
        method: 'POST',
        url: `${s.url}/token`,
        form: {},
        purpose: 'token endpoint',
      }),
    );
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('token endpoint');
  });

  it('turns a closed port into PROVIDER_UNREACHABLE', async () => {
    const port = await freePort();
    const error = await rejectionOf(
      createHttpClient({ env: {}, connectRetries: 0 }).request({
        method: 'GET',
        url: `http://127.0.0.1:${port}/`,
        purpose: 'token endpoint',
      }),
    );
    expect(error.code).toBe('PROVIDER_UNREACHABLE');
    expect(error.message).toBe(`Could not reach the token endpoint at http://127.0.0.1:${port}/ (ECONNREFUSED).`);
  });

  it('retries a request whose connection was refused before anything was sent', async () => {
    const port = await freePort();
    const late = createHttpServer((_req, res) => json(res, 200, { ok: true }));
    servers.push({
      close: () =>
        new Promise((r) => {
          late.closeAllConnections();
          late.close(() => r());
        }),
    });
    const pending = createHttpClient({ env: {}, connectRetries: 1, retryDelayMs: 400 }).request({
      method: 'POST',
      url: `http://127.0.0.1:${port}/token`,
      form: { x: '1' },
    });
    // The first attempt is refused at once; the server is up before the retry.
    setTimeout(() => late.listen(port, '127.0.0.1'), 100);
    const response = await pending;
    expect(response.status).toBe(200);
  });

  it('does not retry a token POST once it reached the server', async () => {
    const s = await server((req) => {
      req.socket.destroy();
    });
    const error = await rejectionOf(
      createHttpClient({ env: {}, retryDelayMs: 1 }).request({ method: 'POST', url: `${s.url}/token`, form: { refresh_token: 'rt' } }),
    );
    expect(error.code).toBe('PROVIDER_UNREACHABLE');
    expect(s.requests).toHaveLength(1);
  });

  it('turns an abort into CANCELLED', async () => {
    const s = await server((_req, res) => {
      setTimeout(() => json(res, 200, {}), 2_000).unref();
    });
    const controller = new AbortController();
    const pending = createHttpClient({ env: {} }).request({ method: 'GET', url: s.url, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect((await rejectionOf(pending)).code).toBe('CANCELLED');
  });

  it('does not follow redirects for POST', async () => {
    const s = await server((req, res) => {
      if (req.url === '/token') {
        res.writeHead(307, { location: '/elsewhere' });
        res.end();
      } else json(res, 200, { access_token: 'x' });
    });
    const response = await createHttpClient({ env: {} }).request({ method: 'POST', url: `${s.url}/token`, form: { client_secret: 's' } });
    expect(response.status).toBe(307);
    expect(s.requests).toHaveLength(1);
  });

  it('reports an unreadable CA file as CONFIG_INVALID', () => {
    expect(() => createHttpClient({ env: { TOKEN_BROKER_CA_FILE: '/nonexistent/ca.pem' } })).toThrow(/CA file/);
  });
});

describe('proxy selection', () => {
  it('picks HTTPS_PROXY / HTTP_PROXY by scheme and honours NO_PROXY', () => {
    const env = {
      HTTPS_PROXY: 'http://proxy:3128',
      HTTP_PROXY: 'proxy2:8080',
      NO_PROXY: 'internal.example, .corp.example,10.0.0.1,api.example:8443',
    };
    expect(proxyForUrl(new URL('https://idp.example/token'), env)?.href).toBe('http://proxy:3128/');
    expect(proxyForUrl(new URL('http://idp.example/token'), env)?.href).toBe('http://proxy2:8080/');
    expect(proxyForUrl(new URL('https://internal.example/'), env)).toBeUndefined();
    expect(proxyForUrl(new URL('https://a.internal.example/'), env)).toBeUndefined();
    expect(proxyForUrl(new URL('https://x.corp.example/'), env)).toBeUndefined();
    expect(proxyForUrl(new URL('https://corp.example/'), env)).toBeUndefined();
    expect(proxyForUrl(new URL('http://10.0.0.1/'), env)).toBeUndefined();
    expect(proxyForUrl(new URL('https://api.example:8443/'), env)).toBeUndefined();
    expect(proxyForUrl(new URL('https://api.example/'), env)).toBeDefined();
    expect(proxyForUrl(new URL('https://idp.example/'), { https_proxy: 'http://p:1' })?.host).toBe('p:1');
    expect(proxyForUrl(new URL('https://idp.example/'), {})).toBeUndefined();
  });
  it('never proxies loopback, and * disables proxying', () => {
    const env = { HTTPS_PROXY: 'http://proxy:3128', HTTP_PROXY: 'http://proxy:3128' };
    expect(proxyForUrl(new URL('http://127.0.0.1:8080/'), env)).toBeUndefined();
    expect(proxyForUrl(new URL('http://localhost/'), env)).toBeUndefined();
    expect(proxyForUrl(new URL('http://[::1]/'), env)).toBeUndefined();
    expect(matchesNoProxy('anything.example', '443', '*')).toBe(true);
  });

  it('tunnels through a CONNECT proxy (with Proxy-Authorization) to the target', async () => {
    const target = await server((req, res) => json(res, 200, { via: 'target', host: req.headers.host }));
    const seen: Array<{ authority: string; auth: string | undefined }> = [];
    const tunnels: Socket[] = [];
    const proxy = createHttpServer();
    proxy.on('connect', (req, clientSocket: Socket, head: Buffer) => {
      tunnels.push(clientSocket);
      seen.push({ authority: req.url ?? '', auth: req.headers['proxy-authorization'] });
      // Whatever host was asked for, this test proxy connects to the local target.
      const upstream = connect(target.port, '127.0.0.1', () => {
        clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(clientSocket);
        clientSocket.pipe(upstream);
      });
      upstream.on('error', () => clientSocket.destroy());
      clientSocket.on('error', () => upstream.destroy());
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    servers.push({
      close: () =>
        new Promise((r) => {
          for (const t of tunnels) t.destroy();
          proxy.closeAllConnections();
          proxy.close(() => r());
        }),
    });
    const proxyPort = (proxy.address() as AddressInfo).port;

    const http = createHttpClient({ env: { HTTP_PROXY: `http://user:p%40ss@127.0.0.1:${proxyPort}` } });
    const response = await http.request({ method: 'GET', url: 'http://idp.invalid:8080/.well-known/openid-configuration' });
    expect(JSON.parse(response.body)).toEqual({ via: 'target', host: 'idp.invalid:8080' });
    expect(seen).toEqual([{ authority: 'idp.invalid:8080', auth: `Basic ${Buffer.from('user:p@ss').toString('base64')}` }]);
  });

  it('reports a proxy that refuses the tunnel as PROVIDER_UNREACHABLE', async () => {
    const proxy = createNetServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n'));
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    servers.push({ close: () => new Promise((r) => proxy.close(() => r())) });
    const proxyPort = (proxy.address() as AddressInfo).port;
    const http = createHttpClient({ env: { HTTPS_PROXY: `http://127.0.0.1:${proxyPort}` } });
    const error = await rejectionOf(http.request({ method: 'GET', url: 'https://idp.invalid/x' }));
    expect(error.code).toBe('PROVIDER_UNREACHABLE');
    expect(error.message).toContain('403');
  });
});
