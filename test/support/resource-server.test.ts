import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startAuthServer, type AuthServer } from './auth-server.js';
import { createTestDpopKey, type TestDpopKey } from './dpop-client.js';
import { downloadDigest, startResourceServer, type ResourceServer } from './resource-server.js';

let auth: AuthServer;
let api: ResourceServer;
let key: TestDpopKey;
let tokenEndpoint: string;

beforeAll(async () => {
  auth = await startAuthServer({ dpop: true });
  api = await startResourceServer({ introspect: (token) => auth.introspect(token) });
  key = await createTestDpopKey();
  tokenEndpoint = `${auth.issuer}/token`;
});

afterAll(async () => {
  await api.close();
  await auth.close();
});

async function clientCredentialsToken(dpop?: TestDpopKey, endpoint = tokenEndpoint, server = auth): Promise<string> {
  const credentials = Buffer.from(`${server.clients.basic.clientId}:${server.clients.basic.clientSecret}`).toString('base64');
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${credentials}`,
      'content-type': 'application/x-www-form-urlencoded',
      ...(dpop === undefined ? {} : { dpop: await dpop.proof('POST', endpoint) }),
    },
    body: 'grant_type=client_credentials&scope=api:read',
  });
  const body = (await response.json()) as { access_token: string; token_type: string };
  expect(body.token_type).toBe(dpop === undefined ? 'Bearer' : 'DPoP');
  return body.access_token;
}

interface Reply {
  status: number;
  challenge: string | null;
  nonce: string | null;
  body: Record<string, unknown>;
}

async function call(path: string, headers: Record<string, string>, method = 'GET', target = api): Promise<Reply> {
  const response = await fetch(`${target.url}${path}`, { method, headers });
  const text = await response.text();
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate'),
    nonce: response.headers.get('dpop-nonce'),
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

describe('test resource server: DPoP as RFC 9449 §7 says', () => {
  it('serves an unbound token as Bearer and a bound one as DPoP with a proof of its key', async () => {
    const bearer = await clientCredentialsToken();
    const plain = await call('/echo/me', { authorization: `Bearer ${bearer}` });
    expect(plain.status).toBe(200);
    expect(plain.body.auth).toMatchObject({ scheme: 'bearer', client_id: auth.clients.basic.clientId, jkt: null });
    expect((plain.body.headers as Record<string, string>).authorization).toBe('<present>');

    const bound = await clientCredentialsToken(key);
    const url = `${api.url}/echo/me?x=1`;
    const ok = await call('/echo/me?x=1', { authorization: `DPoP ${bound}`, dpop: await key.proof('GET', url, { accessToken: bound }) });
    expect(ok.status).toBe(200);
    expect(ok.body.auth).toMatchObject({ scheme: 'dpop', jkt: key.thumbprint });
  });

  it('refuses a stolen bound token presented as Bearer or with a proof of another key', async () => {
    const bound = await clientCredentialsToken(key);
    const asBearer = await call('/echo', { authorization: `Bearer ${bound}` });
    expect(asBearer.status).toBe(401);
    expect(asBearer.challenge).toMatch(/^DPoP error="invalid_token"/);

    const thief = await createTestDpopKey();
    const otherKey = await call('/echo', {
      authorization: `DPoP ${bound}`,
      dpop: await thief.proof('GET', `${api.url}/echo`, { accessToken: bound }),
    });
    expect(otherKey.status).toBe(401);
    expect(otherKey.challenge).toMatch(/error="invalid_token"/);

    const unbound = await clientCredentialsToken();
    const downgrade = await call('/echo', {
      authorization: `DPoP ${unbound}`,
      dpop: await key.proof('GET', `${api.url}/echo`, { accessToken: unbound }),
    });
    expect(downgrade.status).toBe(401);
  });

  it('refuses replayed proofs and proofs for another method, URL, token, time or type', async () => {
    const bound = await clientCredentialsToken(key);
    const url = `${api.url}/echo`;
    const proof = await key.proof('GET', url, { accessToken: bound });
    expect((await call('/echo', { authorization: `DPoP ${bound}`, dpop: proof })).status).toBe(200);
    const replay = await call('/echo', { authorization: `DPoP ${bound}`, dpop: proof });
    expect(replay.status).toBe(401);
    expect(replay.challenge).toMatch(/error="invalid_dpop_proof"/);
    expect(replay.body.error_description).toMatch(/used before/);

    const cases: Array<[string, Promise<string>]> = [
      ['htm', key.proof('POST', url, { accessToken: bound })],
      ['htu', key.proof('GET', `${api.url}/other`, { accessToken: bound })],
      ['ath', key.proof('GET', url, { accessToken: 'another-token' })],
      ['no ath', key.proof('GET', url)],
      ['iat', key.proof('GET', url, { accessToken: bound, iat: Math.floor(Date.now() / 1000) - 600 })],
      ['typ', key.proof('GET', url, { accessToken: bound, typ: 'JWT' })],
      ['private jwk', key.proof('GET', url, { accessToken: bound, jwkExtra: { d: randomBytes(32).toString('base64url') } })],
    ];
    for (const [name, pending] of cases) {
      const reply = await call('/echo', { authorization: `DPoP ${bound}`, dpop: await pending });
      expect({ name, status: reply.status, error: reply.body.error }).toEqual({ name, status: 401, error: 'invalid_dpop_proof' });
    }
    const two = await fetch(`${url}`, {
      headers: [
        ['authorization', `DPoP ${bound}`],
        ['dpop', await key.proof('GET', url, { accessToken: bound })],
        ['dpop', await key.proof('GET', url, { accessToken: bound })],
      ],
    });
    expect(two.status).toBe(401);
  });

  it('challenges without an error when no token is sent, and with invalid_token for a revoked one', async () => {
    const none = await call('/echo', {});
    expect(none.status).toBe(401);
    expect(none.challenge).toBe('Bearer realm="resource", DPoP algs="ES256 EdDSA"');

    const bearer = await clientCredentialsToken();
    expect(await auth.revokeAccessToken(bearer)).toBe(true);
    const revoked = await call('/echo', { authorization: `Bearer ${bearer}` });
    expect(revoked.status).toBe(401);
    expect(revoked.challenge).toMatch(/^Bearer error="invalid_token"/);
  });

  it('answers the next requests 401 invalid_token on failNext, then serves again', async () => {
    const bearer = await clientCredentialsToken();
    api.failNext(1);
    expect((await call('/echo', { authorization: `Bearer ${bearer}` })).challenge).toMatch(/error="invalid_token"/);
    expect((await call('/echo', { authorization: `Bearer ${bearer}` })).status).toBe(200);
  });

  it('demands its nonce when asked to (use_dpop_nonce + DPoP-Nonce), and a rotated one afterwards', async () => {
    const strict = await startResourceServer({ introspect: (token) => auth.introspect(token), requireNonce: true });
    try {
      const bound = await clientCredentialsToken(key);
      const url = `${strict.url}/echo`;
      const first = await call(
        '/echo',
        { authorization: `DPoP ${bound}`, dpop: await key.proof('GET', url, { accessToken: bound }) },
        'GET',
        strict,
      );
      expect(first.status).toBe(401);
      expect(first.challenge).toMatch(/^DPoP error="use_dpop_nonce"/);
      expect(first.nonce).toBe(strict.nonce());
      const second = await call(
        '/echo',
        { authorization: `DPoP ${bound}`, dpop: await key.proof('GET', url, { accessToken: bound, nonce: first.nonce ?? '' }) },
        'GET',
        strict,
      );
      expect(second.status).toBe(200);
      const stale = first.nonce ?? '';
      strict.rotateNonce();
      const third = await call(
        '/echo',
        { authorization: `DPoP ${bound}`, dpop: await key.proof('GET', url, { accessToken: bound, nonce: stale }) },
        'GET',
        strict,
      );
      expect(third.body.error).toBe('use_dpop_nonce');
      expect(third.nonce).not.toBe(stale);
    } finally {
      await strict.close();
    }
  });

  it('records requests with token fingerprints, never tokens', async () => {
    const bearer = await clientCredentialsToken();
    await call('/echo', { authorization: `Bearer ${bearer}` });
    const last = api.requests.at(-1);
    expect(last).toMatchObject({ method: 'GET', path: '/echo', status: 200, scheme: 'bearer' });
    expect(JSON.stringify(api.requests)).not.toContain(bearer);
  });
});

describe('test resource server as a plain upstream', () => {
  let upstream: ResourceServer;
  beforeAll(async () => {
    upstream = await startResourceServer();
  });
  afterAll(() => upstream.close());

  it('hashes streamed uploads and serves patterned downloads of any size', async () => {
    const body = randomBytes(3 * 1024 * 1024 + 17);
    const upload = await call('/upload', {}, 'PUT', upstream).catch(() => undefined);
    expect(upload?.body).toEqual({ bytes: 0, sha256: createHash('sha256').digest('hex') });
    const response = await fetch(`${upstream.url}/upload`, { method: 'POST', body });
    expect(await response.json()).toEqual({ bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });

    const size = 5 * 64 * 1024 + 123;
    const download = Buffer.from(await (await fetch(`${upstream.url}/download?bytes=${size}`)).arrayBuffer());
    expect(download.length).toBe(size);
    expect(createHash('sha256').update(download).digest('hex')).toBe(downloadDigest(size));
  });

  it('holds SSE streams open after the first event until released', async () => {
    const events: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = request(`${upstream.url}/sse`, (res) => {
        expect(res.headers['content-type']).toBe('text/event-stream');
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          events.push(chunk);
          if (events.length === 1) {
            expect(upstream.openStreams).toBe(1);
            upstream.releaseStreams();
          }
        });
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
    await done;
    expect(events.join('')).toBe('id: 0\ndata: first\n\nid: 1\ndata: second\n\nid: 2\ndata: last\n\n');
  });

  it('echoes WebSocket messages', async () => {
    const socket = new WebSocket(`${upstream.url.replace('http', 'ws')}/ws`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const reply = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
    socket.send('hello');
    expect(await reply).toBe('hello');
    socket.close();
  });
});
