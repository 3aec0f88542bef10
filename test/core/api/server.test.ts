import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useTempDir } from '../../support/fixtures.js';
import { startApiServer, type ApiServer } from '../../../main/core/api/server.js';
import { BrokerError } from '../../../main/core/errors.js';
import { FakeBroker } from './support/fake-broker.js';
import { call } from './support/http.js';

const NOW = 1_800_000_000_000;
const clock = { now: () => NOW };

describe('token API server (routing and wire shapes)', () => {
  const temp = useTempDir('tb-api-');
  let broker: FakeBroker;
  let api: ApiServer;
  const sock = (): { socketPath: string } => ({ socketPath: api.socketPath });

  beforeEach(async () => {
    broker = new FakeBroker();
    broker.add('work', {
      token: { accessToken: 'at-work', tokenType: 'bearer', expiresAt: NOW + 120_500, scope: 'read' },
      refreshToken: 'rt-secret',
    });
    broker.add('nologin');
    broker.add('denied', { error: new BrokerError('DENIED', 'Denied by policy.') });
    broker.add('down', { error: new BrokerError('PROVIDER_UNREACHABLE', 'Cannot reach the provider.') });
    broker.add('oauth', { error: new BrokerError('OAUTH_ERROR', 'Refused.', { oauthError: 'invalid_client', status: 401 }) });
    broker.add('boom', { error: new Error('secret-in-message') as BrokerError });
    api = await startApiServer({ broker, socketPath: join(temp.path, 'broker.sock'), clock });
  });

  afterEach(async () => {
    await api.close();
  });

  it('answers health with the version', async () => {
    const res = await call(sock(), 'GET', '/v1/health');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'ok' });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('lists accounts without secrets, in the shape of the README API table', async () => {
    const res = await call(sock(), 'GET', '/v1/accounts');
    expect(res.status).toBe(200);
    const list = res.json as Record<string, unknown>[];
    expect(list[0]).toEqual({
      name: 'work',
      grant: 'client_credentials',
      status: 'ok',
      expires_at: Math.floor((NOW + 120_500) / 1000),
      scopes: ['read'],
      identity: null,
      refresh: 'proactive',
      last_used_at: null,
    });
    expect(res.text).not.toContain('at-work');
    expect(res.text).not.toContain('rt-secret');
  });

  it('hands out a token with expires_at/expires_in in seconds and passes min_ttl, scope and the client name', async () => {
    const res = await call(sock(), 'GET', '/v1/accounts/work/token?min_ttl=60&scope=read%20%20write', {
      headers: { 'X-Token-Broker-Client': 'deploy.sh;<script>' },
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      access_token: 'at-work',
      token_type: 'bearer',
      expires_at: Math.floor((NOW + 120_500) / 1000),
      expires_in: 120,
      scope: 'read',
    });
    expect(broker.calls.at(-1)).toEqual({
      method: 'getToken',
      name: 'work',
      // The socket's peer credentials ride along: this test process is who connected.
      request: {
        minTtl: 60,
        scope: 'read write',
        client: 'deploy.shscript',
        caller: expect.objectContaining({ verified: true, pid: process.pid }),
      },
    });
    expect(res.text).not.toContain('rt-secret');
  });

  it("answers a cached hit through the broker's synchronous cachedToken with getToken's body and headers; refresh never takes it", async () => {
    const viaGetToken = await call(sock(), 'GET', '/v1/accounts/work/token?min_ttl=60', { headers: { 'X-Token-Broker-Client': 'ci' } });
    broker.cacheHits = true;
    const cached = await call(sock(), 'GET', '/v1/accounts/work/token?min_ttl=60', { headers: { 'X-Token-Broker-Client': 'ci' } });
    expect(cached.status).toBe(200);
    expect(cached.text).toBe(viaGetToken.text);
    const { date: _cachedDate, ...cachedHeaders } = cached.headers;
    const { date: _date, ...headers } = viaGetToken.headers;
    expect(cachedHeaders).toEqual(headers);
    const caller = expect.objectContaining({ verified: true, pid: process.pid });
    expect(broker.calls.at(-1)).toEqual({ method: 'cachedToken', name: 'work', request: { minTtl: 60, client: 'ci', caller } });
    // Without a query string the request is the client and the caller alone.
    await call(sock(), 'GET', '/v1/accounts/work/token');
    expect(broker.calls.at(-1)).toEqual({ method: 'cachedToken', name: 'work', request: { client: 'unknown', caller } });
    // A refresh is never answered from the cache.
    expect((await call(sock(), 'POST', '/v1/accounts/work/refresh')).status).toBe(200);
    expect(broker.calls.slice(-2).map((c) => c.method)).toEqual(['refresh', 'getToken']);
    // Not cached (an error to report): getToken answers it.
    expect((await call(sock(), 'GET', '/v1/accounts/denied/token')).status).toBe(403);
    expect(broker.calls.at(-1)?.method).toBe('getToken');
  });

  it('names an anonymous client "unknown" and bounds long names', async () => {
    await call(sock(), 'GET', '/v1/accounts/work/token');
    expect(broker.calls.at(-1)?.request?.client).toBe('unknown');
    await call(sock(), 'GET', '/v1/accounts/work/token', { headers: { 'X-Token-Broker-Client': 'x'.repeat(500) } });
    expect(broker.calls.at(-1)?.request?.client).toHaveLength(64);
  });

  it("never lets a socket client pass itself off as the app: its own names get a 'socket: ' prefix", async () => {
    for (const [claimed, seen] of [
      ['Token Broker app', 'socket: Token Broker app'],
      ['token  BROKER app', 'socket: token  BROKER app'],
      ['TokenBroker', 'socket: TokenBroker'],
      ['Token Brokerage', 'Token Brokerage'],
      ['my Token Broker app', 'my Token Broker app'],
    ]) {
      await call(sock(), 'GET', '/v1/accounts/work/token', { headers: { 'X-Token-Broker-Client': claimed! } });
      expect(broker.calls.at(-1)?.request?.client).toBe(seen);
    }
  });

  it('refreshes with POST', async () => {
    const res = await call(sock(), 'POST', '/v1/accounts/work/refresh');
    expect(res.status).toBe(200);
    expect(broker.calls.some((c) => c.method === 'refresh')).toBe(true);
  });

  it.each([
    ['/v1/accounts/missing/token', 404, 'ACCOUNT_NOT_FOUND'],
    ['/v1/accounts/nologin/token', 409, 'NEEDS_LOGIN'],
    ['/v1/accounts/denied/token', 403, 'DENIED'],
    ['/v1/accounts/down/token', 502, 'PROVIDER_UNREACHABLE'],
    ['/v1/accounts/work/token?min_ttl=-1', 400, 'INVALID_REQUEST'],
    ['/v1/accounts/work/token?min_ttl=abc', 400, 'INVALID_REQUEST'],
    ['/v1/accounts/%E0%A4%A/token', 400, 'INVALID_REQUEST'],
    ['/v1/nope', 404, 'NOT_FOUND'],
    ['/v1/accounts/work/nope', 404, 'NOT_FOUND'],
  ])('GET %s → %i %s', async (path, status, code) => {
    const res = await call(sock(), 'GET', path);
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject({ error: { code } });
    expect(typeof (res.json as { error: { message: unknown } }).error.message).toBe('string');
  });

  it('carries the OAuth error of a provider failure', async () => {
    const res = await call(sock(), 'GET', '/v1/accounts/oauth/token');
    expect(res.status).toBe(502);
    expect(res.json).toEqual({ error: { code: 'OAUTH_ERROR', message: 'Refused.', oauth_error: 'invalid_client' } });
  });

  it('turns an unexpected error into 500 INTERNAL without its message', async () => {
    const res = await call(sock(), 'GET', '/v1/accounts/boom/token');
    expect(res.status).toBe(500);
    expect(res.json).toMatchObject({ error: { code: 'INTERNAL' } });
    expect(res.text).not.toContain('secret-in-message');
  });

  it('accepts absolute-form request targets', async () => {
    expect((await call(sock(), 'GET', 'http://broker/v1/accounts/work/token?min_ttl=5')).status).toBe(200);
  });

  it('answers a wrong method with 405 and Allow', async () => {
    const res = await call(sock(), 'DELETE', '/v1/health');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET');
    expect(res.json).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
  });

  it('adds, logs out and removes accounts over the admin endpoints', async () => {
    const add = await call(sock(), 'POST', '/v1/accounts', {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ account: { name: 'new', grant: 'client_credentials' }, secrets: { clientSecret: 's3cret' } }),
    });
    expect(add.status).toBe(201);
    expect(add.json).toMatchObject({ name: 'new' });
    expect(add.text).not.toContain('s3cret');
    const dup = await call(sock(), 'POST', '/v1/accounts', { body: JSON.stringify({ account: { name: 'new' } }) });
    expect(dup.status).toBe(409);
    const invalid = await call(sock(), 'POST', '/v1/accounts', {
      body: JSON.stringify({ account: { name: 'x' }, secrets: { clientSecret: 'bad' } }),
    });
    expect(invalid.status).toBe(400);
    expect((await call(sock(), 'POST', '/v1/accounts', { body: '{not json' })).status).toBe(400);
    expect((await call(sock(), 'POST', '/v1/accounts', { body: '[]' })).status).toBe(400);

    expect((await call(sock(), 'POST', '/v1/accounts/work/logout')).status).toBe(200);
    expect((await call(sock(), 'GET', '/v1/accounts/work/token')).status).toBe(409);
    expect((await call(sock(), 'DELETE', '/v1/accounts/work')).status).toBe(200);
    expect((await call(sock(), 'GET', '/v1/accounts/work/token')).status).toBe(404);
  });

  it('checks the provider before an add or edit unless told not to; edits with PUT and renames with POST …/rename', async () => {
    const body = (check?: boolean) => JSON.stringify({ account: { name: 'checked' }, ...(check === undefined ? {} : { check }) });
    expect((await call(sock(), 'POST', '/v1/accounts', { body: body() })).status).toBe(201);
    expect(
      (await call(sock(), 'POST', '/v1/accounts', { body: JSON.stringify({ account: { name: 'unchecked' }, check: false }) })).status,
    ).toBe(201);
    expect((await call(sock(), 'POST', '/v1/accounts', { body: JSON.stringify({ account: { name: 'odd' }, check: 'no' }) })).status).toBe(
      400,
    );
    // An existing name is refused before any provider is asked.
    expect((await call(sock(), 'POST', '/v1/accounts', { body: body() })).status).toBe(409);
    expect((await call(sock(), 'PUT', '/v1/accounts/checked', { body: body(false) })).status).toBe(200);
    expect((await call(sock(), 'PUT', '/v1/accounts/checked', { body: body() })).status).toBe(200);
    expect((await call(sock(), 'PUT', '/v1/accounts/nobody', { body: body() })).status).toBe(404);
    expect(broker.calls.filter((c) => c.method === 'checkAccount').map((c) => c.name)).toEqual(['checked', 'checked']);

    const renamed = await call(sock(), 'POST', '/v1/accounts/checked/rename', { body: JSON.stringify({ name: 'renamed' }) });
    expect(renamed.status).toBe(200);
    expect(renamed.json).toMatchObject({ name: 'renamed' });
    expect((await call(sock(), 'POST', '/v1/accounts/renamed/rename', { body: '{}' })).status).toBe(400);
    expect((await call(sock(), 'GET', '/v1/accounts/renamed/rename')).status).toBe(405);
    expect((await call(sock(), 'GET', '/v1/accounts/checked')).status).toBe(404);
  });

  it('streams sign-in progress as NDJSON and ends with the result', async () => {
    const res = await call(sock(), 'POST', '/v1/accounts/work/login', { body: JSON.stringify({ noBrowser: true }) });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = res.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[1]).toEqual({ progress: { account: 'work', phase: 'waiting_for_browser', url: 'https://issuer.example/authorize?x=1' } });
    expect(lines.at(-1)).toMatchObject({ result: 'ok', account: { name: 'work' } });
    expect(broker.calls.at(-1)).toEqual({ method: 'signIn', name: 'work', options: { noBrowser: true } });
  });

  it('reports a failed sign-in as the last NDJSON line, without the password', async () => {
    const res = await call(sock(), 'POST', '/v1/accounts/work/login', {
      body: JSON.stringify({ username: 'alice', password: 'hunter2-wrong' }),
    });
    const last = JSON.parse(res.text.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(last).toMatchObject({ error: { code: 'OAUTH_ERROR', oauth_error: 'invalid_grant' }, status: 502 });
    expect(res.text).not.toContain('hunter2');
  });

  it('answers 404 before streaming when the account to sign in does not exist', async () => {
    const res = await call(sock(), 'POST', '/v1/accounts/missing/login');
    expect(res.status).toBe(404);
  });

  it('cancels the sign-in when the client goes away', async () => {
    broker.signInGate = new Promise(() => {});
    await new Promise<void>((resolve) => {
      const req = request({ socketPath: api.socketPath, method: 'POST', path: '/v1/accounts/work/login' }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
      req.end();
    });
    await expect.poll(() => broker.signInAborted).toBe(true);
  });

  it('answers git credential requests for the matching host, most specific first', async () => {
    broker.add('gh', { token: { accessToken: 'at-gh', tokenType: 'Bearer' }, git: { hosts: ['github.com'], username: 'oauth2' } });
    broker.add('acme', {
      token: { accessToken: 'at-acme', tokenType: 'Bearer' },
      git: { hosts: ['github.com/acme'], username: 'x-access-token' },
    });
    const plain = await call(sock(), 'GET', '/v1/git/credential?host=github.com');
    expect(plain.json).toMatchObject({ account: 'gh', username: 'oauth2', access_token: 'at-gh', expires_at: null });
    const scoped = await call(sock(), 'GET', '/v1/git/credential?host=GitHub.com&path=acme/tools.git');
    expect(scoped.json).toMatchObject({ account: 'acme', username: 'x-access-token', access_token: 'at-acme' });
    expect((await call(sock(), 'GET', '/v1/git/credential?host=gitlab.com')).status).toBe(404);
    expect((await call(sock(), 'GET', '/v1/git/credential')).status).toBe(400);
  });

  it('hides the admin endpoints when admin is disabled', async () => {
    await api.close();
    api = await startApiServer({ broker, socketPath: join(temp.path, 'broker.sock'), clock, admin: false });
    expect((await call(sock(), 'DELETE', '/v1/accounts/work')).status).toBe(404);
    expect((await call(sock(), 'GET', '/v1/accounts/work/token')).status).toBe(200);
  });

  it('serves keep-alive requests on one connection', async () => {
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (): Promise<number> =>
      new Promise((resolve, reject) => {
        request({ socketPath: api.socketPath, path: '/v1/accounts/work/token', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
          .on('error', reject)
          .end();
      });
    expect(await Promise.all([get(), get(), get()])).toEqual([200, 200, 200]);
    agent.destroy();
  });
});
