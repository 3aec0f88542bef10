/**
 * The routes issue 14 adds to the token API, on the API's own double of the broker: request
 * parsing and wire shapes of `dpop-proof`, the token route's exchange parameters, and
 * `POST /v1/proxies` (socket only). The broker side runs for real in test/core/broker and
 * test/integration.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../../main/core/api/server.js';
import type { ProxySpec } from '../../../main/core/proxy/account-proxy.js';
import { useTempDir } from '../../support/fixtures.js';
import { FakeBroker } from './support/fake-broker.js';
import { call } from './support/http.js';

const NOW = 1_800_000_000_000;

describe('token API: DPoP proofs, exchange parameters and proxies', () => {
  const temp = useTempDir('tb-api14-');
  let broker: FakeBroker;
  let api: ApiServer;
  const started: ProxySpec[] = [];
  let closed = 0;
  const sock = (): { socketPath: string } => ({ socketPath: api.socketPath });
  const json = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeEach(async () => {
    broker = new FakeBroker();
    broker.add('work', { token: { accessToken: 'at-work', tokenType: 'DPoP', expiresAt: NOW + 60_000 } });
    started.length = 0;
    closed = 0;
    api = await startApiServer({
      broker,
      socketPath: join(temp.path, 'broker.sock'),
      clock: { now: () => NOW },
      proxies: async (spec) => {
        started.push(spec);
        return {
          url: 'http://127.0.0.1:4567',
          listen: { host: '127.0.0.1', port: 4567 },
          close: async () => {
            closed += 1;
          },
        };
      },
    });
  });

  afterEach(() => api.close());

  it('answers POST dpop-proof with {proof, expires_at} and passes htm, htu, nonce and the token target on', async () => {
    const res = await call(
      sock(),
      'POST',
      '/v1/accounts/work/dpop-proof',
      json({ htm: 'GET', htu: 'https://api.example/x', nonce: 'n1', audience: 'aud' }),
    );
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ proof: 'proof-for-GET-https://api.example/x-n1', expires_at: 2_000_000_000 });
    expect(broker.calls.at(-1)).toMatchObject({ method: 'dpopProof', name: 'work' });
  });

  it('refuses a dpop-proof request without htm or htu, with a non-string nonce, or by GET', async () => {
    for (const body of [{ htu: 'https://a.example/' }, { htm: 'GET' }, { htm: 'GET', htu: 'https://a.example/', nonce: 7 }]) {
      const res = await call(sock(), 'POST', '/v1/accounts/work/dpop-proof', json(body));
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    }
    const get = await call(sock(), 'GET', '/v1/accounts/work/dpop-proof');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
  });

  it('passes audience and resource of the token route to the broker, each at most once', async () => {
    const res = await call(sock(), 'GET', '/v1/accounts/work/token?audience=https%3A%2F%2Fapi.example&resource=urn%3Ax&scope=a%20b');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ access_token: 'at-work', token_type: 'DPoP' });
    expect(broker.calls.at(-1)?.request).toMatchObject({ audience: 'https://api.example', resource: 'urn:x', scope: 'a b' });
    for (const query of ['audience=', 'audience=a&audience=b', 'resource=']) {
      expect((await call(sock(), 'GET', `/v1/accounts/work/token?${query}`)).status).toBe(400);
    }
  });

  it('runs a proxy for as long as the request stays open (NDJSON), and closes it when the client goes', async () => {
    const { request } = await import('node:http');
    const line = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          socketPath: api.socketPath,
          method: 'POST',
          path: '/v1/proxies',
          headers: { Host: 'broker', 'content-type': 'application/json' },
        },
        (res) => {
          expect(res.statusCode).toBe(200);
          expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
          res.setEncoding('utf8');
          res.once('data', (chunk: string) => {
            resolve(chunk);
            req.destroy();
          });
        },
      );
      req.on('error', () => undefined);
      req.once('error', reject);
      req.end(JSON.stringify({ account: 'work', upstream: 'https://api.example', listen: '127.0.0.1:0' }));
    });
    expect(JSON.parse(line)).toEqual({ proxy: { account: 'work', upstream: 'https://api.example', url: 'http://127.0.0.1:4567' } });
    expect(started).toEqual([{ account: 'work', upstream: 'https://api.example', listen: '127.0.0.1:0', socket: undefined }]);
    for (let i = 0; i < 100 && closed === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toBe(1);
  });

  it('keeps POST /v1/proxies off the TCP listener', async () => {
    await api.setTcpListener({ port: 0, keyFile: join(temp.path, 'api-key') });
    const { readFile } = await import('node:fs/promises');
    const key = (await readFile(join(temp.path, 'api-key'), 'utf8')).trim();
    const port = api.tcpAddress?.port as number;
    const res = await call({ host: '127.0.0.1', port }, 'POST', '/v1/proxies', {
      headers: { host: `127.0.0.1:${port}`, authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ account: 'work', upstream: 'https://api.example', listen: '127.0.0.1:0' }),
    });
    expect(res.status).toBe(404);
    expect(started).toEqual([]);
  });
});
