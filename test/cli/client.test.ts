import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useTempDir } from '../support/fixtures.js';
import { answerComplete, getJson } from '../../main/cli/client.js';
import { callApi } from '../../main/cli/client-http.js';

const temp = useTempDir('tb-client-');
let server: Server;
let seen: { url?: string; client?: string | string[] | undefined };

function env(socket = join(temp.path, 's.sock')): NodeJS.ProcessEnv {
  return { TOKEN_BROKER_SOCKET: socket };
}

beforeEach(async () => {
  seen = {};
  server = createServer((req, res) => {
    seen = { url: req.url ?? '', client: req.headers['x-token-broker-client'] };
    if (req.url === '/chunked') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"a":');
      setTimeout(() => res.end('1}'), 5);
    } else if (req.url === '/needs-login') {
      res.writeHead(409, { 'Content-Type': 'application/json' });
      res.end('{"error":{"code":"NEEDS_LOGIN","message":"Sign in to x first."}}');
    } else if (req.url === '/oauth') {
      res.writeHead(502, { 'Content-Type': 'application/json' });
      res.end('{"error":{"code":"OAUTH_ERROR","message":"Refused.","oauth_error":"invalid_client","oauth_error_description":"bad"}}');
    } else if (req.url === '/oauth-named') {
      res.writeHead(502, { 'Content-Type': 'application/json' });
      res.end(
        '{"error":{"code":"OAUTH_ERROR","message":"The provider refused: invalid_grant (expired).","oauth_error":"invalid_grant","oauth_error_description":"expired"}}',
      );
    } else if (req.url === '/html') {
      res.end('<html>');
    } else {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ ok: true }));
    }
  });
  await new Promise<void>((resolve) => server.listen(join(temp.path, 's.sock'), resolve));
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('CLI client (raw GET on node:net)', () => {
  it('gets JSON and names the client', async () => {
    expect(await getJson('/v1/x?y=1', { env: env(), client: 'token-broker token\u0001' })).toEqual({ ok: true });
    expect(seen).toEqual({ url: '/v1/x?y=1', client: 'token-broker token' });
  });

  it('decodes chunked bodies', async () => {
    expect(await getJson('/chunked', { env: env() })).toEqual({ a: 1 });
  });

  it('turns API errors into exit codes and readable messages', async () => {
    await expect(getJson('/needs-login', { env: env() })).rejects.toMatchObject({
      exitCode: 3,
      code: 'NEEDS_LOGIN',
      message: 'Sign in to x first.',
    });
    await expect(getJson('/oauth', { env: env() })).rejects.toMatchObject({ exitCode: 1, message: 'Refused. (invalid_client: bad)' });
    // Not said twice when the broker's message already names the provider's error.
    await expect(getJson('/oauth-named', { env: env() })).rejects.toMatchObject({
      message: 'The provider refused: invalid_grant (expired).',
    });
    await expect(getJson('/html', { env: env() })).rejects.toMatchObject({ exitCode: 1 });
  });

  it('says no broker is running when the socket is absent', async () => {
    await expect(getJson('/', { env: env(join(temp.path, 'none.sock')) })).rejects.toMatchObject({
      exitCode: 1,
      code: 'BROKER_NOT_RUNNING',
      message: expect.stringContaining('token-broker serve'),
    });
    await expect(callApi('POST', '/', { env: env(join(temp.path, 'none.sock')) })).rejects.toMatchObject({ code: 'BROKER_NOT_RUNNING' });
  });

  it('gives up after the timeout when the broker does not answer', async () => {
    const silent = createServer(() => {});
    const path = join(temp.path, 'silent.sock');
    await new Promise<void>((resolve) => silent.listen(path, resolve));
    await expect(getJson('/', { env: env(path), timeoutMs: 200 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });
});

describe('answerComplete (when the CLI stops reading)', () => {
  const head = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n';
  it('is true once the body has its Content-Length, false before and without one', () => {
    expect(answerComplete(Buffer.from(`${head}{"ok":true}`))).toBe(true);
    expect(answerComplete(Buffer.from(`${head}{"ok":tru`))).toBe(false);
    expect(answerComplete(Buffer.from(head.slice(0, 30)))).toBe(false);
    expect(answerComplete(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'))).toBe(false);
    expect(answerComplete(Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length:2\r\n\r\n{}`))).toBe(true);
  });
});
