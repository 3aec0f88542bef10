import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, importPKCS8 } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS_TOKEN_TYPE,
  DEVICE_CODE_GRANT_TYPE,
  FIXTURE_EXCHANGE_AUDIENCES,
  TOKEN_EXCHANGE_GRANT_TYPE,
  startAuthServer,
  type AuthServer,
} from './auth-server.js';
import { createTestDpopKey } from './dpop-client.js';
import { startCallbackListener, type CallbackListener } from './callback-listener.js';
import { createMemoryAdapterFactory } from './memory-adapter.js';
import { approveDeviceCode, completeLoginHttp } from './login.js';

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  device_authorization_endpoint: string;
  revocation_endpoint: string;
  introspection_endpoint: string;
  jwks_uri: string;
  authorization_response_iss_parameter_supported?: boolean;
  grant_types_supported: string[];
  dpop_signing_alg_values_supported?: string[];
  pushed_authorization_request_endpoint?: string;
  require_pushed_authorization_requests?: boolean;
}

interface TokenReply {
  status: number;
  body: Record<string, unknown>;
}

type ClientChoice = 'basic' | 'post' | 'jwt' | 'public';

let server: AuthServer;
let discovery: Discovery;
let listener: CallbackListener;

beforeAll(async () => {
  server = await startAuthServer({ deviceInterval: 1, dpop: true, par: 'optional' });
  discovery = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Discovery;
  listener = await startCallbackListener();
});

afterAll(async () => {
  await listener.close();
  await server.close();
});

afterEach(() => {
  server.setTokenDelay(0);
  server.setAccessTokenTtl(3600);
});

/** Client authentication per RFC 6749 §2.3.1 and RFC 7523 §2.2, as the broker will do it. */
async function clientAuth(
  choice: ClientChoice,
  audience: string,
  target: AuthServer = server,
): Promise<{ headers: Record<string, string>; params: Record<string, string> }> {
  const { clients } = target;
  switch (choice) {
    case 'basic': {
      const encoded = Buffer.from(
        `${encodeURIComponent(clients.basic.clientId)}:${encodeURIComponent(clients.basic.clientSecret)}`,
      ).toString('base64');
      return { headers: { authorization: `Basic ${encoded}` }, params: {} };
    }
    case 'post':
      return { headers: {}, params: { client_id: clients.post.clientId, client_secret: clients.post.clientSecret } };
    case 'jwt': {
      const key = await importPKCS8(clients.jwt.privateKeyPem, 'RS256');
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid: clients.jwt.keyId })
        .setIssuer(clients.jwt.clientId)
        .setSubject(clients.jwt.clientId)
        .setAudience(audience)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime('1m')
        .sign(key);
      return {
        headers: {},
        params: {
          client_id: clients.jwt.clientId,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        },
      };
    }
    case 'public':
      return { headers: {}, params: { client_id: clients.public.clientId } };
  }
}

async function postForm(
  endpoint: string,
  choice: ClientChoice,
  params: Record<string, string>,
  extraHeaders: Record<string, string> = {},
  target: AuthServer = server,
): Promise<TokenReply & { headers: Headers }> {
  const auth = await clientAuth(choice, endpoint, target);
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth.headers, ...extraHeaders },
    body: new URLSearchParams({ ...params, ...auth.params }).toString(),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
}

function tokenRequest(choice: ClientChoice, params: Record<string, string>, extraHeaders?: Record<string, string>) {
  return postForm(discovery.token_endpoint, choice, params, extraHeaders);
}

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizationUrl(params: Record<string, string>): string {
  const url = new URL(discovery.authorization_endpoint);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.href;
}

/** Runs authorization code + PKCE for a client end to end and returns the token response. */
async function codeFlow(choice: ClientChoice, redirectUri: string, scope = 'openid api:read'): Promise<TokenReply> {
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(8).toString('hex');
  const clientId = server.clients[choice].clientId;
  const callbackSeen = listener.nextCallback();
  const finalUrl = await completeLoginHttp(
    authorizationUrl({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }),
  );
  const received = await callbackSeen;
  expect(received.href).toBe(finalUrl);
  expect(received.searchParams.get('state')).toBe(state);
  expect(received.searchParams.get('iss')).toBe(server.issuer);
  const code = received.searchParams.get('code');
  expect(code).toBeTruthy();
  return tokenRequest(choice, {
    grant_type: 'authorization_code',
    code: code ?? '',
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
}

describe('fixture authorization server (test/support/auth-server.ts)', () => {
  it('listens on 127.0.0.1 and publishes every endpoint the broker uses', () => {
    expect(server.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(discovery.issuer).toBe(server.issuer);
    for (const endpoint of [
      discovery.authorization_endpoint,
      discovery.token_endpoint,
      discovery.device_authorization_endpoint,
      discovery.revocation_endpoint,
      discovery.introspection_endpoint,
      discovery.jwks_uri,
    ]) {
      expect(endpoint.startsWith(`${server.issuer}/`)).toBe(true);
    }
    expect(discovery.authorization_response_iss_parameter_supported).toBe(true);
    expect(discovery.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT_TYPE, 'password']),
    );
  });

  it.each(['basic', 'post', 'jwt'] as const)('issues client_credentials tokens to the %s client', async (choice) => {
    const reply = await tokenRequest(choice, { grant_type: 'client_credentials', scope: 'api:read' });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'api:read' });
    expect(reply.body.refresh_token).toBeUndefined();
    const introspection = await server.introspect(String(reply.body.access_token));
    expect(introspection).toMatchObject({ active: true, client_id: server.clients[choice].clientId, scope: 'api:read' });
  });

  it('rejects a wrong client secret', async () => {
    const wrong = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: server.clients.post.clientId,
        client_secret: 'not-the-secret',
      }).toString(),
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('runs authorization_code + PKCE for the public client on any loopback port and path, with rotating refresh tokens', async () => {
    const reply = await codeFlow('public', listener.redirectUri('/any/path/cb'), 'openid profile api:read');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ token_type: 'Bearer', scope: 'openid profile api:read' });
    expect(typeof reply.body.id_token).toBe('string');
    const firstRefreshToken = String(reply.body.refresh_token);
    expect(firstRefreshToken.length).toBeGreaterThan(20);

    const refreshed = await tokenRequest('public', { grant_type: 'refresh_token', refresh_token: firstRefreshToken });
    expect(refreshed.status).toBe(200);
    const secondRefreshToken = String(refreshed.body.refresh_token);
    expect(secondRefreshToken).not.toBe(firstRefreshToken);
    expect(refreshed.body.access_token).not.toBe(reply.body.access_token);

    const reused = await tokenRequest('public', { grant_type: 'refresh_token', refresh_token: firstRefreshToken });
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
  });

  it('rejects an authorization code redeemed without its PKCE verifier', async () => {
    const { challenge } = pkcePair();
    const redirectUri = listener.redirectUri();
    const callbackSeen = listener.nextCallback();
    await completeLoginHttp(
      authorizationUrl({
        response_type: 'code',
        client_id: server.clients.public.clientId,
        redirect_uri: redirectUri,
        scope: 'openid',
        state: 's',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
    );
    const code = (await callbackSeen).searchParams.get('code') ?? '';
    const reply = await tokenRequest('public', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: pkcePair().verifier,
    });
    expect(reply.body.error).toBe('invalid_grant');
  });

  it.each(['basic', 'jwt'] as const)('runs authorization_code for the confidential %s client and refreshes', async (choice) => {
    const reply = await codeFlow(choice, listener.redirectUri('/callback'));
    expect(reply.status).toBe(200);
    const refreshed = await tokenRequest(choice, { grant_type: 'refresh_token', refresh_token: String(reply.body.refresh_token) });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(reply.body.refresh_token);
  });

  it('accepts http://localhost loopback redirects on any port', async () => {
    const localhost = await startCallbackListener('localhost');
    try {
      const { verifier, challenge } = pkcePair();
      const redirectUri = localhost.redirectUri('/cb');
      const callbackSeen = localhost.nextCallback();
      await completeLoginHttp(
        authorizationUrl({
          response_type: 'code',
          client_id: server.clients.public.clientId,
          redirect_uri: redirectUri,
          scope: 'openid',
          state: 'st',
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }),
      );
      const code = (await callbackSeen).searchParams.get('code') ?? '';
      const reply = await tokenRequest('public', {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      });
      expect(reply.status).toBe(200);
    } finally {
      await localhost.close();
    }
  });

  it('rejects non-loopback redirect URIs without redirecting', async () => {
    const response = await fetch(
      authorizationUrl({
        response_type: 'code',
        client_id: server.clients.public.clientId,
        redirect_uri: 'http://evil.example/callback',
        scope: 'openid',
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
      }),
      { redirect: 'manual' },
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });

  it('runs the device authorization grant with the configured interval', async () => {
    const authorization = await postForm(discovery.device_authorization_endpoint, 'public', { scope: 'openid api:read' });
    expect(authorization.status).toBe(200);
    expect(authorization.body).toMatchObject({ interval: 1, expires_in: 600 });
    expect(String(authorization.body.verification_uri)).toBe(`${server.issuer}/device`);
    const deviceCode = String(authorization.body.device_code);

    const pending = await tokenRequest('public', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode });
    expect(pending.body.error).toBe('authorization_pending');

    await approveDeviceCode(server, String(authorization.body.user_code));
    const reply = await tokenRequest('public', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ token_type: 'Bearer', scope: 'openid api:read' });
    expect(typeof reply.body.refresh_token).toBe('string');
    expect((await server.introspect(String(reply.body.access_token))).active).toBe(true);
  });

  it('answers access_denied to the polling client when the user denies the device', async () => {
    const authorization = await postForm(discovery.device_authorization_endpoint, 'basic', { scope: 'openid' });
    await approveDeviceCode(server, String(authorization.body.user_code), { deny: true });
    const reply = await tokenRequest('basic', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: String(authorization.body.device_code) });
    expect(reply.body.error).toBe('access_denied');
  });

  it('honours a short device code lifetime', async () => {
    const shortLived = await startAuthServer({ deviceCodeTtlSeconds: 1 });
    try {
      const reply = await fetch(`${shortLived.issuer}/device/auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: shortLived.clients.public.clientId }).toString(),
      });
      expect(await reply.json()).toMatchObject({ expires_in: 1, interval: 1 });
    } finally {
      await shortLived.close();
    }
  });

  it('runs the registered password grant and refuses a wrong password', async () => {
    const reply = await tokenRequest('post', {
      grant_type: 'password',
      username: server.user.username,
      password: server.user.password,
      scope: 'openid api:read unknown-scope',
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ token_type: 'Bearer', scope: 'openid api:read' });
    const refreshed = await tokenRequest('post', { grant_type: 'refresh_token', refresh_token: String(reply.body.refresh_token) });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(reply.body.refresh_token);

    const wrong = await tokenRequest('public', { grant_type: 'password', username: server.user.username, password: 'guess' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    expect(JSON.stringify(wrong.body)).not.toContain('guess');
  });

  it('serves the implicit fixture route with introspectable tokens in the fragment', async () => {
    const url = new URL(`${server.issuer}/implicit/authorize`);
    url.search = new URLSearchParams({
      response_type: 'token',
      client_id: server.clients.public.clientId,
      redirect_uri: 'http://127.0.0.1:1/implicit-cb',
      state: 'st4te',
      scope: 'openid api:read',
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe('http://127.0.0.1:1/implicit-cb');
    expect(location.search).toBe('');
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect(fragment.get('token_type')).toBe('Bearer');
    expect(fragment.get('expires_in')).toBe('3600');
    expect(fragment.get('state')).toBe('st4te');
    expect(fragment.get('scope')).toBe('openid api:read');
    const introspection = await server.introspect(fragment.get('access_token') ?? '');
    expect(introspection).toMatchObject({ active: true, sub: 'alice', client_id: server.clients.public.clientId });

    url.searchParams.set('redirect_uri', 'https://evil.example/cb');
    const refused = await fetch(url, { redirect: 'manual' });
    expect(refused.status).toBe(400);
  });

  it('counts token requests by grant type and resets the counters', async () => {
    server.resetCounters();
    await tokenRequest('basic', { grant_type: 'client_credentials' });
    await tokenRequest('post', { grant_type: 'client_credentials' });
    await tokenRequest('public', { grant_type: 'refresh_token', refresh_token: 'nonsense' });
    expect(server.tokenRequests).toEqual({ client_credentials: 2, refresh_token: 1 });
    server.resetCounters();
    expect(server.tokenRequests).toEqual({});
  });

  it('delays token responses, and only token responses', async () => {
    server.setTokenDelay(300);
    const started = Date.now();
    const reply = await tokenRequest('basic', { grant_type: 'client_credentials' });
    expect(reply.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    // A delay far beyond what discovery may take on a busy machine, without waiting for it.
    server.setTokenDelay(10_000);
    const discoveryStarted = Date.now();
    await fetch(`${server.issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5_000) });
    expect(Date.now() - discoveryStarted).toBeLessThan(5_000);
  });

  it('closes promptly even while a delayed token request is pending', async () => {
    const slow = await startAuthServer({ tokenDelayMs: 60_000 });
    const pending = fetch(`${slow.issuer}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) }).then(
      () => 'answered',
      () => 'cut off',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await slow.close();
    await slow.close();
    expect(await pending).toBe('cut off');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('changes the access token lifetime at runtime and per server', async () => {
    server.setAccessTokenTtl(2);
    const reply = await tokenRequest('basic', { grant_type: 'client_credentials' });
    expect(reply.body.expires_in).toBe(2);
    const introspection = await server.introspect(String(reply.body.access_token));
    expect(Number(introspection.exp) - Number(introspection.iat)).toBe(2);

    const shortLived = await startAuthServer({ accessTokenTtlSeconds: 1, tokenDelayMs: 0 });
    try {
      const body = new URLSearchParams({
        grant_type: 'password',
        client_id: shortLived.clients.public.clientId,
        username: shortLived.user.username,
        password: shortLived.user.password,
      });
      const response = await fetch(`${shortLived.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
      });
      const token = (await response.json()) as Record<string, unknown>;
      expect(token.expires_in).toBe(1);
      const introspection = await shortLived.introspect(String(token.access_token));
      expect(Number(introspection.exp) - Number(introspection.iat)).toBe(1);
      // Expiry is exact (no clock tolerance); exp has whole-second resolution.
      await new Promise((resolve) => setTimeout(resolve, Number(introspection.exp) * 1000 - Date.now() + 20));
      expect((await shortLived.introspect(String(token.access_token))).active).toBe(false);
    } finally {
      await shortLived.close();
    }
  });

  it('answers injected token responses in order, then processes requests again', async () => {
    server.resetCounters();
    server.injectTokenResponse({ status: 503, body: '<html>maintenance</html>' });
    server.injectTokenResponse({ status: 400, body: { error: 'invalid_scope' }, grantType: 'client_credentials' });
    const first = await fetch(discovery.token_endpoint, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token' }) });
    expect(first.status).toBe(503);
    expect(first.headers.get('content-type')).toContain('text/html');
    expect(await first.text()).toBe('<html>maintenance</html>');
    expect((await tokenRequest('basic', { grant_type: 'client_credentials' })).body).toEqual({ error: 'invalid_scope' });
    expect((await tokenRequest('basic', { grant_type: 'client_credentials' })).status).toBe(200);
    expect(server.tokenRequests).toEqual({ refresh_token: 1, client_credentials: 2 });
  });

  it('serves RFC 8414 authorization server metadata too', async () => {
    const response = await fetch(`${server.issuer}/.well-known/oauth-authorization-server`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ issuer: server.issuer, token_endpoint: discovery.token_endpoint });
  });

  it('answers slow_down to device polls faster than the interval when asked to', async () => {
    const strict = await startAuthServer({ deviceInterval: 5, enforceDeviceInterval: true });
    try {
      const post = async (path: string, params: Record<string, string>) =>
        (
          await fetch(`${strict.issuer}${path}`, {
            method: 'POST',
            body: new URLSearchParams({ client_id: strict.clients.public.clientId, ...params }),
          })
        ).json() as Promise<Record<string, unknown>>;
      const authorization = await post('/device/auth', {});
      const poll = () => post('/token', { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: String(authorization.device_code) });
      expect((await poll()).error).toBe('authorization_pending');
      expect((await poll()).error).toBe('slow_down');
    } finally {
      await strict.close();
    }
  });

  it('makes revoked tokens inactive at the introspection endpoint', async () => {
    const credentials = { username: server.user.username, password: server.user.password, scope: 'api:read' };
    const reply = await tokenRequest('basic', { grant_type: 'password', ...credentials });
    const accessToken = String(reply.body.access_token);
    expect((await server.introspect(accessToken)).active).toBe(true);
    const revokeAccess = await postForm(discovery.revocation_endpoint, 'basic', { token: accessToken, token_type_hint: 'access_token' });
    expect(revokeAccess.status).toBe(200);
    expect((await server.introspect(accessToken)).active).toBe(false);

    const second = await tokenRequest('basic', { grant_type: 'password', ...credentials });
    const refreshToken = String(second.body.refresh_token);
    expect((await server.introspect(refreshToken)).active).toBe(true);
    const revokeRefresh = await postForm(discovery.revocation_endpoint, 'basic', { token: refreshToken, token_type_hint: 'refresh_token' });
    expect(revokeRefresh.status).toBe(200);
    expect((await server.introspect(refreshToken)).active).toBe(false);
    const refreshed = await tokenRequest('basic', { grant_type: 'refresh_token', refresh_token: refreshToken });
    expect(refreshed.body.error).toBe('invalid_grant');
  });

  it('revokes every token of the grant when one of them is revoked (oidc-provider 9)', async () => {
    const credentials = { username: server.user.username, password: server.user.password };
    const viaRefresh = await tokenRequest('post', { grant_type: 'password', ...credentials });
    await postForm(discovery.revocation_endpoint, 'post', { token: String(viaRefresh.body.refresh_token) });
    expect((await server.introspect(String(viaRefresh.body.access_token))).active).toBe(false);

    const viaAccess = await tokenRequest('post', { grant_type: 'password', ...credentials });
    await postForm(discovery.revocation_endpoint, 'post', { token: String(viaAccess.body.access_token) });
    expect((await server.introspect(String(viaAccess.body.refresh_token))).active).toBe(false);
  });
});

describe('fixture DPoP, pushed authorization requests and token exchange', () => {
  const userGrant = () => ({ grant_type: 'password', username: server.user.username, password: server.user.password });

  it('advertises DPoP, PAR and the token exchange grant', () => {
    expect(discovery.dpop_signing_alg_values_supported).toContain('ES256');
    expect(discovery.pushed_authorization_request_endpoint).toBe(`${server.issuer}/request`);
    expect(discovery.require_pushed_authorization_requests).toBeUndefined();
    expect(discovery.grant_types_supported).toContain(TOKEN_EXCHANGE_GRANT_TYPE);
  });

  it('binds client_credentials, password and refreshed tokens to the proof key and refuses a replayed proof', async () => {
    const key = await createTestDpopKey();
    const proof = await key.proof('POST', discovery.token_endpoint);
    const cc = await tokenRequest('basic', { grant_type: 'client_credentials', scope: 'api:read' }, { dpop: proof });
    expect(cc.status).toBe(200);
    expect(cc.body.token_type).toBe('DPoP');
    expect(await server.introspect(String(cc.body.access_token))).toMatchObject({
      active: true,
      token_type: 'DPoP',
      cnf: { jkt: key.thumbprint },
    });

    const replayed = await tokenRequest('basic', { grant_type: 'client_credentials' }, { dpop: proof });
    expect(replayed.status).toBe(400);
    expect(replayed.body.error).toBe('invalid_grant');

    const password = await tokenRequest(
      'public',
      { ...userGrant(), scope: 'api:read' },
      { dpop: await key.proof('POST', discovery.token_endpoint) },
    );
    expect(password.body.token_type).toBe('DPoP');
    expect((await server.introspect(String(password.body.access_token))).cnf).toEqual({ jkt: key.thumbprint });

    // The public client's refresh token is bound to the key: another key (or none) cannot use it.
    const thief = await createTestDpopKey();
    const stolen = await tokenRequest(
      'public',
      { grant_type: 'refresh_token', refresh_token: String(password.body.refresh_token) },
      { dpop: await thief.proof('POST', discovery.token_endpoint) },
    );
    expect(stolen.body.error).toBe('invalid_grant');
  });

  it('refuses proofs for another method or URL and a wrong typ', async () => {
    const key = await createTestDpopKey();
    const wrongMethod = await tokenRequest(
      'basic',
      { grant_type: 'client_credentials' },
      { dpop: await key.proof('GET', discovery.token_endpoint) },
    );
    expect(wrongMethod.body.error).toBe('invalid_dpop_proof');
    const wrongUrl = await tokenRequest(
      'basic',
      { grant_type: 'client_credentials' },
      { dpop: await key.proof('POST', `${server.issuer}/other`) },
    );
    expect(wrongUrl.body.error).toBe('invalid_dpop_proof');
    const notDpop = await new SignJWT({ htm: 'POST', htu: discovery.token_endpoint })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', jwk: key.jwk })
      .setJti(randomUUID())
      .setIssuedAt()
      .sign(key.privateKey);
    expect((await tokenRequest('basic', { grant_type: 'client_credentials' }, { dpop: notDpop })).body.error).toBe('invalid_dpop_proof');
  });

  it('demands a server nonce when started with dpopNonce, for built-in and custom grants alike', async () => {
    const strict = await startAuthServer({ dpopNonce: true });
    try {
      const tokenEndpoint = `${strict.issuer}/token`;
      const key = await createTestDpopKey();
      const grants: Record<string, string>[] = [
        { grant_type: 'client_credentials' },
        { grant_type: 'password', username: strict.user.username, password: strict.user.password },
      ];
      for (const params of grants) {
        const first = await postForm(tokenEndpoint, 'basic', params, { dpop: await key.proof('POST', tokenEndpoint) }, strict);
        expect(first.status).toBe(400);
        expect(first.body.error).toBe('use_dpop_nonce');
        const nonce = first.headers.get('dpop-nonce');
        expect(nonce).toBeTruthy();
        const second = await postForm(
          tokenEndpoint,
          'basic',
          params,
          { dpop: await key.proof('POST', tokenEndpoint, { nonce: nonce ?? '' }) },
          strict,
        );
        expect(second.status).toBe(200);
        expect(second.body.token_type).toBe('DPoP');
      }
    } finally {
      await strict.close();
    }
  });

  it('leaves DPoP and PAR out of discovery by default', async () => {
    const plain = await startAuthServer();
    try {
      const metadata = (await (await fetch(`${plain.issuer}/.well-known/openid-configuration`)).json()) as Discovery;
      expect(metadata.dpop_signing_alg_values_supported).toBeUndefined();
      expect(metadata.pushed_authorization_request_endpoint).toBeUndefined();
    } finally {
      await plain.close();
    }
  });

  it('runs a pushed authorization request whose browser URL carries only client_id and request_uri, bound to a DPoP key', async () => {
    const key = await createTestDpopKey();
    const { verifier, challenge } = pkcePair();
    const redirectUri = listener.redirectUri('/par');
    const before = server.parRequests;
    const pushed = await postForm(
      String(discovery.pushed_authorization_request_endpoint),
      'jwt',
      {
        response_type: 'code',
        redirect_uri: redirectUri,
        scope: 'openid api:read',
        state: 'par-state',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      },
      { dpop: await key.proof('POST', String(discovery.pushed_authorization_request_endpoint)) },
    );
    expect(pushed.status).toBe(201);
    expect(pushed.body).toMatchObject({ request_uri: expect.stringMatching(/^urn:ietf:params:oauth:request_uri:/), expires_in: 60 });
    expect(server.parRequests).toBe(before + 1);

    const callbackSeen = listener.nextCallback();
    await completeLoginHttp(authorizationUrl({ client_id: server.clients.jwt.clientId, request_uri: String(pushed.body.request_uri) }));
    const received = await callbackSeen;
    expect(received.searchParams.get('state')).toBe('par-state');
    const code = received.searchParams.get('code') ?? '';
    const exchange = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier };
    const otherKey = await createTestDpopKey();
    const wrongKey = await tokenRequest('jwt', exchange, { dpop: await otherKey.proof('POST', discovery.token_endpoint) });
    expect(wrongKey.body.error).toBe('invalid_grant');
  });

  it('requires pushed authorization requests when started with par: required', async () => {
    const strict = await startAuthServer({ par: 'required' });
    try {
      const metadata = (await (await fetch(`${strict.issuer}/.well-known/openid-configuration`)).json()) as Discovery;
      expect(metadata.require_pushed_authorization_requests).toBe(true);
      const { challenge } = pkcePair();
      const direct = new URL(metadata.authorization_endpoint);
      for (const [name, value] of Object.entries({
        response_type: 'code',
        client_id: strict.clients.public.clientId,
        redirect_uri: listener.redirectUri(),
        scope: 'openid',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      })) {
        direct.searchParams.set(name, value);
      }
      const refused = await fetch(direct, { redirect: 'manual' });
      const location = refused.headers.get('location') ?? '';
      expect(refused.status === 400 || new URL(location).searchParams.get('error') === 'invalid_request').toBe(true);

      const pushed = await postForm(
        String(metadata.pushed_authorization_request_endpoint),
        'public',
        {
          response_type: 'code',
          redirect_uri: listener.redirectUri(),
          scope: 'openid',
          code_challenge: challenge,
          code_challenge_method: 'S256',
        },
        {},
        strict,
      );
      expect(pushed.status).toBe(201);
      const callbackSeen = listener.nextCallback();
      await completeLoginHttp(
        `${metadata.authorization_endpoint}?${new URLSearchParams({ client_id: strict.clients.public.clientId, request_uri: String(pushed.body.request_uri) })}`,
      );
      expect((await callbackSeen).searchParams.get('code')).toBeTruthy();
    } finally {
      await strict.close();
    }
  });

  it('exchanges a token for an allowed audience with the same or a narrower scope, and refuses others', async () => {
    const subject = await tokenRequest('basic', { ...userGrant(), scope: 'api:read api:write' });
    const subjectToken = String(subject.body.access_token);
    const exchange = (params: Record<string, string>, headers?: Record<string, string>) =>
      tokenRequest(
        'basic',
        { grant_type: TOKEN_EXCHANGE_GRANT_TYPE, subject_token: subjectToken, subject_token_type: ACCESS_TOKEN_TYPE, ...params },
        headers,
      );

    const audience = FIXTURE_EXCHANGE_AUDIENCES[0];
    const exchanged = await exchange({ audience, scope: 'api:read' });
    expect(exchanged.status).toBe(200);
    expect(exchanged.body).toMatchObject({
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      scope: 'api:read',
      expires_in: 3600,
    });
    expect(exchanged.body.refresh_token).toBeUndefined();
    expect(await server.introspect(String(exchanged.body.access_token))).toMatchObject({
      active: true,
      aud: audience,
      sub: server.user.username,
      scope: 'api:read',
    });
    expect((await exchange({ resource: FIXTURE_EXCHANGE_AUDIENCES[1] })).body.scope).toBe('api:read api:write');

    expect((await exchange({ audience: 'https://evil.example' })).body.error).toBe('invalid_target');
    expect((await exchange({ audience, scope: 'api:read openid' })).body.error).toBe('invalid_scope');
    expect((await exchange({ subject_token: 'not-a-token' })).body.error).toBe('invalid_grant');
    expect((await exchange({ subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' })).body.error).toBe('invalid_request');
  });

  it('exchanges a DPoP-bound token only with a proof of its key, and binds the new token', async () => {
    const key = await createTestDpopKey();
    const subject = await tokenRequest(
      'basic',
      { grant_type: 'client_credentials', scope: 'api:read' },
      { dpop: await key.proof('POST', discovery.token_endpoint) },
    );
    const params = {
      grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
      subject_token: String(subject.body.access_token),
      subject_token_type: ACCESS_TOKEN_TYPE,
      audience: FIXTURE_EXCHANGE_AUDIENCES[0],
    };
    expect((await tokenRequest('basic', params)).body.error).toBe('invalid_grant');
    const thief = await createTestDpopKey();
    expect((await tokenRequest('basic', params, { dpop: await thief.proof('POST', discovery.token_endpoint) })).body.error).toBe(
      'invalid_grant',
    );
    const holder = await tokenRequest('basic', params, { dpop: await key.proof('POST', discovery.token_endpoint) });
    expect(holder.body.token_type).toBe('DPoP');
    expect(await server.introspect(String(holder.body.access_token))).toMatchObject({
      active: true,
      aud: FIXTURE_EXCHANGE_AUDIENCES[0],
      cnf: { jkt: key.thumbprint },
    });
  });

  it('revokes a single access token on request and keeps its refresh token working', async () => {
    const reply = await tokenRequest('basic', userGrant());
    expect(await server.revokeAccessToken(String(reply.body.access_token))).toBe(true);
    expect((await server.introspect(String(reply.body.access_token))).active).toBe(false);
    expect(await server.revokeAccessToken(String(reply.body.access_token))).toBe(false);
    const refreshed = await tokenRequest('basic', { grant_type: 'refresh_token', refresh_token: String(reply.body.refresh_token) });
    expect(refreshed.status).toBe(200);
  });
});

describe('fixture storage adapter (test/support/memory-adapter.ts)', () => {
  it('keeps every entry (no LRU eviction), expires on read and revokes by grant', async () => {
    const factory = createMemoryAdapterFactory();
    const tokens = factory('RefreshToken');
    const sessions = factory('Session');
    await tokens.upsert('first', { grantId: 'g1' }, 60);
    for (let i = 0; i < 5000; i += 1) await tokens.upsert(`filler-${i}`, { grantId: 'g2' }, 60);
    expect(await tokens.find('first')).toEqual({ grantId: 'g1' });

    await tokens.upsert('short', { grantId: 'g1' }, -1);
    expect(await tokens.find('short')).toBeUndefined();

    await sessions.upsert('s1', { uid: 'u1' });
    expect(await sessions.findByUid('u1')).toEqual({ uid: 'u1' });
    await tokens.consume('first');
    expect((await tokens.find('first'))?.consumed).toEqual(expect.any(Number));

    await tokens.revokeByGrantId('g2');
    expect(await tokens.find('filler-0')).toBeUndefined();
    expect(await tokens.find('first')).toBeDefined();
  });
});
