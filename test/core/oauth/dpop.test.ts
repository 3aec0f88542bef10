/**
 * The broker's DPoP key and proofs (RFC 9449): checked against jose (an independent JWS
 * implementation), the test resource server's RFC 9449 §4.3 verifier, and the real
 * oidc-provider token endpoint with server nonces.
 */
import { inspect } from 'node:util';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessTokenHash,
  createDpopProof,
  DpopNonceStore,
  dpopNonceFromHeaders,
  exportDpopPrivateKey,
  generateDpopKey,
  hostOfHtu,
  importDpopPrivateKey,
  isDpopNonceChallenge,
  normalizeHtu,
  sendWithDpop,
  type DpopKey,
} from '../../../main/core/oauth/dpop.js';
import {
  createHttpClient,
  discoverProvider,
  processTokenResponse,
  type HttpClient,
  type ProviderMetadata,
} from '../../../main/core/oauth/index.js';
import { buildTokenRequest } from '../../../main/core/oauth/token-request.js';
import { startAuthServer, type AuthServer } from '../../support/auth-server.js';
import { createDpopVerifier } from '../../support/dpop-verifier.js';
import { clientAuthFor } from './helpers/fixture.js';
import { startTestServer } from './helpers/http-util.js';

const NOW = Date.UTC(2030, 0, 1);

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

function thrownBy(action: () => unknown): Error & Record<string, unknown> {
  try {
    action();
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected an exception');
}

describe('DPoP keys', () => {
  it('makes P-256 keys whose RFC 7638 thumbprint agrees with jose', async () => {
    const key = generateDpopKey();
    expect(key.alg).toBe('ES256');
    expect(key.publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) });
    expect(key.thumbprint).toBe(await calculateJwkThumbprint({ ...key.publicJwk }));
    expect(generateDpopKey().thumbprint).not.toBe(key.thumbprint);
  });

  it('round-trips through the vault format and keeps its private key out of JSON and inspect', () => {
    const key = generateDpopKey();
    const pem = exportDpopPrivateKey(key);
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const again = importDpopPrivateKey(pem);
    expect(again.thumbprint).toBe(key.thumbprint);
    const body = pem.split('\n').slice(1, -2).join('');
    for (const shown of [JSON.stringify(key), inspect(key, { depth: 5, showHidden: true }), JSON.stringify({ key })]) {
      expect(shown).not.toContain(body.slice(0, 40));
      expect(shown).not.toContain('PRIVATE KEY');
    }
    expect(JSON.parse(JSON.stringify(key))).toEqual({ alg: 'ES256', jwk: key.publicJwk, jkt: key.thumbprint });
  });

  it('refuses stored keys that are unreadable or not P-256, without quoting them', () => {
    const garbage = thrownBy(() => importDpopPrivateKey('-----BEGIN PRIVATE KEY-----\nnot-a-key-secretvalue\n-----END PRIVATE KEY-----'));
    expect(garbage).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(garbage.message).not.toContain('secretvalue');
  });
});

describe('DPoP proofs', () => {
  let key: DpopKey;
  beforeAll(() => {
    key = generateDpopKey();
  });

  it('signs a proof jose verifies with the embedded key, with htm, htu (no query or fragment), iat, jti', async () => {
    const proof = createDpopProof(key, { htm: 'POST', htu: 'https://as.example/token?x=1#frag', now: NOW + 999 });
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: ['ES256'],
      currentDate: new Date(NOW),
    });
    expect(protectedHeader).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk });
    expect(payload).toEqual({ jti: expect.stringMatching(/^[\w-]{22}$/), htm: 'POST', htu: 'https://as.example/token', iat: NOW / 1000 });
    const other = createDpopProof(key, { htm: 'POST', htu: 'https://as.example/token', now: NOW });
    expect((await jwtVerify(other, EmbeddedJWK, { currentDate: new Date(NOW) })).payload.jti).not.toBe(payload.jti);
  });

  it('gives every proof its own 128-bit jti, also across refills of the random pool', () => {
    const jtis = new Set<unknown>();
    for (let i = 0; i < 1000; i += 1) jtis.add(claims(createDpopProof(key, { htm: 'GET', htu: 'https://a.example/', now: NOW })).jti);
    expect(jtis.size).toBe(1000);
    expect([...jtis].every((jti) => typeof jti === 'string' && Buffer.from(jti, 'base64url').length === 16)).toBe(true);
  });

  it('adds nonce and ath (base64url SHA-256 of the access token) when given', async () => {
    const proof = createDpopProof(key, {
      htm: 'GET',
      htu: 'https://api.example/v1/me',
      nonce: 'n-1_~!',
      accessToken: 'Kz~8qJ.token',
      now: NOW,
    });
    const { payload } = await jwtVerify(proof, EmbeddedJWK, { currentDate: new Date(NOW) });
    expect(payload).toMatchObject({ nonce: 'n-1_~!', ath: accessTokenHash('Kz~8qJ.token') });
    // RFC 9449 §7.1's example: ath of "Kz~8qJ...".
    expect(accessTokenHash('Kz~8qJ')).toMatch(/^[\w-]{43}$/);
    expect(decodeProtectedHeader(proof).jwk).not.toHaveProperty('d');
  });

  it('passes an independent RFC 9449 §4.3 verifier, bound to the token it accompanies', async () => {
    const verifier = createDpopVerifier({ now: () => NOW });
    const proof = createDpopProof(key, { htm: 'GET', htu: 'http://127.0.0.1:8080/echo', accessToken: 'tok', now: NOW });
    await expect(
      verifier.verify(proof, { method: 'GET', url: 'http://127.0.0.1:8080/echo?q=1', accessToken: 'tok', boundJkt: key.thumbprint }),
    ).resolves.toMatchObject({
      jkt: key.thumbprint,
    });
    await expect(
      verifier.verify(proof, { method: 'GET', url: 'http://127.0.0.1:8080/echo', accessToken: 'tok', boundJkt: key.thumbprint }),
    ).rejects.toThrow(/used before/);
  });

  it('refuses a bad method, a non-http(s) or credentialed URL, and nonces outside NQCHAR', () => {
    for (const input of [
      { htm: 'GET POST', htu: 'https://a.example/' },
      { htm: 'GET', htu: 'ftp://a.example/' },
      { htm: 'GET', htu: 'https://user:pw@a.example/' },
      { htm: 'GET', htu: 'not a url' },
      { htm: 'GET', htu: 'https://a.example/', nonce: 'has"quote' },
      { htm: 'GET', htu: 'https://a.example/', nonce: '' },
    ]) {
      expect(thrownBy(() => createDpopProof(key, { ...input, now: NOW }))).toMatchObject({ code: 'INVALID_REQUEST' });
    }
    expect(normalizeHtu('HTTPS://A.example:443/p?q#f')).toBe('https://a.example/p');
    expect(normalizeHtu('HTTPS://A.example:443/p?q#f')).toBe('https://a.example/p');
    expect(hostOfHtu(normalizeHtu('https://A.example:8443/x/y'))).toBe('a.example:8443');
    expect(hostOfHtu('https://a.example')).toBe('a.example');
  });
});

describe('DPoP nonces', () => {
  it('remembers one nonce per origin, bounded, ignoring invalid values', () => {
    const store = new DpopNonceStore(2);
    store.remember('https://a.example/token', 'one');
    store.remember('https://a.example:443/other', 'two');
    expect(store.get('https://a.example/x')).toBe('two');
    store.remember('https://b.example/', 'b');
    store.remember('https://a.example/', 'bad"value');
    expect(store.get('https://a.example/')).toBe('two');
    store.remember('https://c.example/', 'c');
    expect(store.get('https://a.example/')).toBeUndefined();
    expect(store.get('https://b.example/')).toBe('b');
  });

  it('recognises the authorization server and resource server challenges', () => {
    const json = { 'content-type': 'application/json', 'dpop-nonce': 'abc' };
    expect(isDpopNonceChallenge({ status: 400, headers: json, body: '{"error":"use_dpop_nonce"}' })).toBe(true);
    expect(
      isDpopNonceChallenge({ status: 400, headers: json, body: '{"error":"invalid_grant","error_description":"use_dpop_nonce"}' }),
    ).toBe(false);
    expect(isDpopNonceChallenge({ status: 400, headers: { 'content-type': 'application/json' }, body: '{"error":"use_dpop_nonce"}' })).toBe(
      false,
    );
    expect(
      isDpopNonceChallenge({
        status: 401,
        headers: { 'dpop-nonce': 'n', 'www-authenticate': 'DPoP error="use_dpop_nonce", algs="ES256"' },
      }),
    ).toBe(true);
    expect(isDpopNonceChallenge({ status: 401, headers: { 'dpop-nonce': 'n', 'www-authenticate': 'Bearer error="use_dpop_nonce"' } })).toBe(
      false,
    );
    expect(dpopNonceFromHeaders({ 'dpop-nonce': 'x y' })).toBeUndefined();
  });
});

describe('sendWithDpop against the real token endpoint', () => {
  let server: AuthServer;
  let http: HttpClient;
  let metadata: ProviderMetadata;

  beforeAll(async () => {
    server = await startAuthServer({ dpopNonce: true });
    http = createHttpClient({ env: {} });
    metadata = await discoverProvider(server.issuer, http);
  });
  afterAll(() => server.close());

  it('answers the nonce challenge once with a rebuilt request (fresh client assertion), then reuses the nonce', async () => {
    const key = generateDpopKey();
    const nonces = new DpopNonceStore();
    const client = clientAuthFor(server, 'jwt');
    const build = () => buildTokenRequest(metadata, client, { grant_type: 'client_credentials', scope: 'api:read' }, { now: Date.now() });
    server.resetCounters();
    const response = await sendWithDpop(http, { key, nonces }, build);
    const tokens = processTokenResponse(response, { purpose: 'token endpoint', url: metadata.tokenEndpoint, now: Date.now() });
    expect(tokens.tokenType).toBe('DPoP');
    expect(server.tokenRequests['client_credentials']).toBe(2);
    expect((await server.introspect(tokens.accessToken)).cnf).toEqual({ jkt: key.thumbprint });
    expect(nonces.get(metadata.tokenEndpoint)).toEqual(expect.any(String));

    await sendWithDpop(http, { key, nonces }, build);
    expect(server.tokenRequests['client_credentials']).toBe(3);
  });

  it('does not loop when a server keeps refusing with new nonces', async () => {
    let served = 0;
    const stubborn = await startTestServer((_req, res) => {
      served += 1;
      res.writeHead(400, { 'content-type': 'application/json', 'dpop-nonce': `n${served}` });
      res.end('{"error":"use_dpop_nonce"}');
    });
    try {
      const nonces = new DpopNonceStore();
      const build = async () => ({ method: 'POST' as const, url: `${stubborn.url}/token`, form: { grant_type: 'client_credentials' } });
      const response = await sendWithDpop(http, { key: generateDpopKey(), nonces }, build);
      expect(response.status).toBe(400);
      expect(served).toBe(2);
      expect(stubborn.requests.map((r) => typeof r.headers.dpop)).toEqual(['string', 'string']);
      expect(nonces.get(stubborn.url)).toBe('n2');
    } finally {
      await stubborn.close();
    }
  });
});
