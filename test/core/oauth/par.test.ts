/**
 * Pushed authorization requests (RFC 9126) against the real oidc-provider fixture: every client
 * authentication method, DPoP-bound codes (RFC 9449 §10), and a provider that requires PAR.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DpopNonceStore, generateDpopKey, sendWithDpop, type DpopKey } from '../../../main/core/oauth/dpop.js';
import {
  createHttpClient,
  discoverProvider,
  processTokenResponse,
  type HttpClient,
  type ProviderMetadata,
} from '../../../main/core/oauth/index.js';
import {
  buildPushedAuthorizationRequest,
  buildPushedAuthorizationUrl,
  processPushedAuthorizationResponse,
  pushAuthorizationRequest,
} from '../../../main/core/oauth/par.js';
import { computeCodeChallenge, generateCodeVerifier, generateState } from '../../../main/core/oauth/pkce.js';
import { buildTokenRequest } from '../../../main/core/oauth/token-request.js';
import { startAuthServer, type AuthServer } from '../../support/auth-server.js';
import { startCallbackListener, type CallbackListener } from '../../support/callback-listener.js';
import { completeLoginHttp } from '../../support/login.js';
import { clientAuthFor, type FixtureClientName } from './helpers/fixture.js';
import { rejectionOf } from './helpers/http-util.js';

let server: AuthServer;
let http: HttpClient;
let metadata: ProviderMetadata;
let parEndpoint: string;
let listener: CallbackListener;

beforeAll(async () => {
  server = await startAuthServer({ dpopNonce: true, par: 'optional' });
  http = createHttpClient({ env: {} });
  metadata = await discoverProvider(server.issuer, http);
  parEndpoint = await parEndpointOf(server.issuer);
  listener = await startCallbackListener();
});
afterAll(async () => {
  await listener.close();
  await server.close();
});

async function parEndpointOf(issuer: string): Promise<string> {
  const document = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  return String(document.pushed_authorization_request_endpoint);
}

/** Pushes, signs in through the URL, and redeems the code (with the key's proofs when given). */
async function pushedCodeFlow(
  target: { server: AuthServer; metadata: ProviderMetadata; parEndpoint: string },
  clientName: FixtureClientName,
  key?: DpopKey,
) {
  const client = clientAuthFor(target.server, clientName);
  const verifier = generateCodeVerifier();
  const state = generateState();
  const redirectUri = listener.redirectUri('/par-callback');
  const nonces = new DpopNonceStore();
  const pushed = await pushAuthorizationRequest({
    http,
    endpoint: target.parEndpoint,
    audience: target.server.issuer,
    client,
    params: {
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid api:read',
      state,
      code_challenge: computeCodeChallenge(verifier),
      code_challenge_method: 'S256',
    },
    ...(key === undefined ? {} : { dpop: { key, nonces } }),
  });
  expect(pushed.requestUri).toMatch(/^urn:ietf:params:oauth:request_uri:/);
  expect(pushed.expiresAt).toBeGreaterThan(Date.now());
  const url = buildPushedAuthorizationUrl(String(target.metadata.authorizationEndpoint), client.clientId, pushed.requestUri);
  expect([...new URL(url).searchParams.keys()]).toEqual(['client_id', 'request_uri']);

  const callback = listener.nextCallback();
  await completeLoginHttp(url);
  const received = await callback;
  expect(received.searchParams.get('state')).toBe(state);
  const code = received.searchParams.get('code') ?? '';
  const params = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier };
  const build = () => buildTokenRequest(target.metadata, client, params, { now: Date.now() });
  const response = key === undefined ? await http.request(await build()) : await sendWithDpop(http, { key, nonces }, build);
  return processTokenResponse(response, { purpose: 'token endpoint', url: target.metadata.tokenEndpoint, now: Date.now() });
}

describe('pushed authorization requests (RFC 9126)', () => {
  it.each(['basic', 'post', 'jwt', 'public'] as const)(
    'works with the %s client: the browser URL has only client_id and request_uri',
    async (clientName) => {
      const before = server.parRequests;
      const tokens = await pushedCodeFlow({ server, metadata, parEndpoint }, clientName);
      expect(tokens.tokenType).toBe('Bearer');
      expect(server.parRequests).toBe(before + 1);
    },
  );

  it('binds the code to the DPoP key (dpop_jkt) through a nonce challenge, so only that key redeems it', async () => {
    const key = generateDpopKey();
    const tokens = await pushedCodeFlow({ server, metadata, parEndpoint }, 'jwt', key);
    expect(tokens.tokenType).toBe('DPoP');
    expect((await server.introspect(tokens.accessToken)).cnf).toEqual({ jkt: key.thumbprint });
  });

  it('works with a provider that requires PAR', async () => {
    const strict = await startAuthServer({ par: 'required' });
    try {
      const strictMetadata = await discoverProvider(strict.issuer, http);
      const tokens = await pushedCodeFlow(
        { server: strict, metadata: strictMetadata, parEndpoint: await parEndpointOf(strict.issuer) },
        'public',
      );
      expect(tokens.accessToken).toEqual(expect.any(String));
    } finally {
      await strict.close();
    }
  });

  it('reports a refused push as OAUTH_ERROR without the client secret', async () => {
    const client = clientAuthFor(server, 'post');
    const error = await rejectionOf(
      pushAuthorizationRequest({
        http,
        endpoint: parEndpoint,
        audience: server.issuer,
        client,
        params: {
          response_type: 'code',
          redirect_uri: 'http://evil.example/cb',
          scope: 'openid',
          code_challenge: computeCodeChallenge(generateCodeVerifier()),
          code_challenge_method: 'S256',
        },
      }),
    );
    expect(error).toMatchObject({ code: 'OAUTH_ERROR', oauthError: 'invalid_request' });
    expect(JSON.stringify(error)).not.toContain(server.clients.post.clientSecret);
  });
});

describe('PAR request and response, without a network', () => {
  it('builds a form POST with client_id and the client authentication', async () => {
    const request = await buildPushedAuthorizationRequest({
      endpoint: 'https://as.example/par',
      audience: 'https://as.example',
      client: { method: 'client_secret_basic', clientId: 'app', clientSecret: 's3cret' },
      params: { response_type: 'code', state: 'x' },
      now: 0,
    });
    expect(request).toMatchObject({
      method: 'POST',
      url: 'https://as.example/par',
      form: { response_type: 'code', state: 'x', client_id: 'app' },
    });
    expect(request.headers?.authorization).toMatch(/^Basic /);
  });

  it('requires request_uri and a positive expires_in', () => {
    const context = { purpose: 'pushed authorization request endpoint', url: 'https://as.example/par', now: 1000 };
    const reply = (status: number, body: unknown) => ({
      status,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      url: context.url,
    });
    expect(processPushedAuthorizationResponse(reply(201, { request_uri: 'urn:x', expires_in: 60 }), context)).toEqual({
      requestUri: 'urn:x',
      expiresAt: 61_000,
    });
    expect(() => processPushedAuthorizationResponse(reply(201, { expires_in: 60 }), context)).toThrow(
      expect.objectContaining({ code: 'INVALID_RESPONSE' }),
    );
    expect(() => processPushedAuthorizationResponse(reply(201, { request_uri: 'urn:x' }), context)).toThrow(
      expect.objectContaining({ code: 'INVALID_RESPONSE' }),
    );
    expect(() => processPushedAuthorizationResponse(reply(400, { error: 'invalid_scope' }), context)).toThrow(
      expect.objectContaining({ code: 'OAUTH_ERROR', oauthError: 'invalid_scope' }),
    );
  });

  it('keeps the endpoint’s own query parameters and adds only client_id and request_uri', () => {
    const url = new URL(
      buildPushedAuthorizationUrl('https://login.example/authorize?p=B2C_1_signin', 'app', 'urn:ietf:params:oauth:request_uri:abc'),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      p: 'B2C_1_signin',
      client_id: 'app',
      request_uri: 'urn:ietf:params:oauth:request_uri:abc',
    });
  });
});
