/**
 * No secret — password, client secret, private key, access/refresh token, authorization code —
 * reaches an error message, an error's JSON, or its cause, whatever the provider answers.
 */
import { generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAuthServer } from '../../support/fixtures.js';
import {
  clientCredentialsGrant,
  createHttpClient,
  passwordGrant,
  refreshTokenGrant,
  revokeToken,
  type ClientAuth,
  type HttpClient,
  type ProviderMetadata,
} from '../../../main/core/oauth/index.js';
import { validateAuthorizationResponse } from '../../../main/core/oauth/callback.js';
import { startLoopbackListener } from '../../../main/core/loopback/index.js';
import { clientAuthFor, useProviderMetadata } from './helpers/fixture.js';
import { freePort, json, rejectionOf, send, startTestServer, type TestServer } from './helpers/http-util.js';

const PASSWORD = 'Pa55-word-SECRET-0001';
const CLIENT_SECRET = 'client-SECRET-0002';
const REFRESH_TOKEN = 'refresh-SECRET-0003';
const ACCESS_TOKEN = 'access-SECRET-0004';
const ALL = [PASSWORD, CLIENT_SECRET, REFRESH_TOKEN, ACCESS_TOKEN];

function expectNoSecret(error: unknown, secrets: readonly string[] = ALL): void {
  const e = error as Error & { cause?: { message?: unknown } };
  const surfaces = {
    message: e.message,
    json: JSON.stringify(error),
    causeMessage: String(e.cause?.message),
    inspected: inspect(error, { depth: 10 }),
  };
  // The Basic credentials of the echo test client, as an Authorization header carries them.
  const basicCredentials = Buffer.from(`x:${CLIENT_SECRET}`).toString('base64');
  for (const [name, text] of Object.entries(surfaces)) {
    for (const secret of [...secrets, basicCredentials]) expect(text, `${name} leaks a secret`).not.toContain(secret);
  }
}

/** A token endpoint that echoes everything it received, the way a careless provider might. */
let echo: TestServer;
let echoMetadata: ProviderMetadata;
const http: HttpClient = createHttpClient({ env: {}, responseTimeoutMs: 300 });
const basic: ClientAuth = { method: 'client_secret_basic', clientId: 'x', clientSecret: CLIENT_SECRET };
const post: ClientAuth = { method: 'client_secret_post', clientId: 'x', clientSecret: CLIENT_SECRET };

beforeAll(async () => {
  echo = await startTestServer((req, res, body) => {
    const everything = `${body} ${req.headers.authorization ?? ''} ${decodeURIComponent(body)}`;
    if (req.url === '/oauth-error') json(res, 400, { error: 'invalid_grant', error_description: `rejected: ${everything}` });
    else if (req.url === '/html') {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end(`<html><body>Error for ${everything}</body></html>`);
    } else if (req.url === '/bad-token')
      json(res, 200, { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: `soon ${ACCESS_TOKEN}` });
    else if (req.url === '/bad-type') json(res, 200, { access_token: ACCESS_TOKEN, token_type: { echo: everything } });
    else if (req.url === '/slow') setTimeout(() => json(res, 200, {}), 2000).unref();
    else json(res, 404, {});
  });
  echoMetadata = { tokenEndpoint: `${echo.url}/oauth-error`, revocationEndpoint: `${echo.url}/oauth-error` };
});
afterAll(async () => {
  await echo.close();
});

const at = (path: string): ProviderMetadata => ({ ...echoMetadata, tokenEndpoint: `${echo.url}${path}` });

describe('secrets never reach errors', () => {
  it('a password echoed by the provider is redacted', async () => {
    for (const client of [basic, post]) {
      const error = await rejectionOf(
        passwordGrant({ http, metadata: at('/oauth-error'), client, username: 'alice', password: PASSWORD, allowLegacy: true }),
      );
      expect(error.code).toBe('OAUTH_ERROR');
      expectNoSecret(error);
    }
  });

  it('a secret cut at the description length limit leaves no prefix behind', async () => {
    const long = await startTestServer((_req, res) =>
      json(res, 400, { error: 'invalid_grant', error_description: `${'x'.repeat(290)}${PASSWORD}` }),
    );
    try {
      const error = await rejectionOf(
        passwordGrant({
          http,
          metadata: { tokenEndpoint: long.url },
          client: basic,
          username: 'alice',
          password: PASSWORD,
          allowLegacy: true,
        }),
      );
      expect(error.message).not.toContain(PASSWORD.slice(0, 8));
    } finally {
      await long.close();
    }
  });

  it('a client secret and refresh token echoed by the provider are redacted', async () => {
    const error = await rejectionOf(refreshTokenGrant({ http, metadata: at('/oauth-error'), client: post, refreshToken: REFRESH_TOKEN }));
    expect(error.code).toBe('OAUTH_ERROR');
    expectNoSecret(error);
  });

  it('an HTML error page quoting the request is not repeated', async () => {
    const error = await rejectionOf(
      passwordGrant({ http, metadata: at('/html'), client: basic, username: 'alice', password: PASSWORD, allowLegacy: true }),
    );
    expect(error.code).toBe('PROVIDER_ERROR');
    expectNoSecret(error);
  });

  it('an invalid token response never echoes the token', async () => {
    for (const path of ['/bad-token', '/bad-type']) {
      const error = await rejectionOf(refreshTokenGrant({ http, metadata: at(path), client: basic, refreshToken: REFRESH_TOKEN }));
      expect(error.code).toBe('INVALID_RESPONSE');
      expectNoSecret(error);
    }
  });

  it('timeouts and connection failures keep no request body or header in their cause', async () => {
    const timeout = await rejectionOf(
      passwordGrant({ http, metadata: at('/slow'), client: basic, username: 'alice', password: PASSWORD, allowLegacy: true }),
    );
    expect(timeout.code).toBe('TIMEOUT');
    expectNoSecret(timeout);
    const port = await freePort();
    const refused = await rejectionOf(
      passwordGrant({
        http,
        metadata: { tokenEndpoint: `http://127.0.0.1:${port}/token` },
        client: basic,
        username: 'alice',
        password: PASSWORD,
        allowLegacy: true,
      }),
    );
    expect(refused.code).toBe('PROVIDER_UNREACHABLE');
    expectNoSecret(refused);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const cancelled = await rejectionOf(
      refreshTokenGrant({ http, metadata: at('/slow'), client: basic, refreshToken: REFRESH_TOKEN, signal: controller.signal }),
    );
    expect(cancelled.code).toBe('CANCELLED');
    expectNoSecret(cancelled);
  });

  it('revocation errors do not echo the token', async () => {
    const error = await rejectionOf(revokeToken({ http, metadata: echoMetadata, client: basic, token: ACCESS_TOKEN }));
    expect(error.code).toBe('OAUTH_ERROR');
    expectNoSecret(error);
  });

  it('a private key is never quoted', async () => {
    const pem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(PASSWORD).toString('base64')}\n-----END PRIVATE KEY-----`;
    const error = await rejectionOf(
      clientCredentialsGrant({
        http,
        metadata: at('/oauth-error'),
        client: { method: 'private_key_jwt', clientId: 'x', privateKeyPem: pem },
      }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expectNoSecret(error, [Buffer.from(PASSWORD).toString('base64')]);
  });

  it('a private_key_jwt client assertion echoed back is redacted (a usable credential for its lifetime)', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    // Echoes just the assertion, so truncation of long descriptions cannot hide a leak.
    const assertionEcho = await startTestServer((_req, res, body) => {
      json(res, 400, { error: 'invalid_client', error_description: new URLSearchParams(body).get('client_assertion') ?? '' });
    });
    try {
      const error = await rejectionOf(
        clientCredentialsGrant({
          http,
          metadata: { tokenEndpoint: `${assertionEcho.url}/token` },
          client: { method: 'private_key_jwt', clientId: 'x', privateKeyPem },
        }),
      );
      expect(error.code).toBe('OAUTH_ERROR');
      const sent = new URLSearchParams(assertionEcho.requests[0]?.body ?? '').get('client_assertion');
      expect(sent).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
      expectNoSecret(error, [sent as string]);
    } finally {
      await assertionEcho.close();
    }
  });

  it('the loopback failure page and error never repeat the authorization code', async () => {
    const code = 'authorization-code-SECRET-0005';
    const listener = await startLoopbackListener({ handle: (params) => validateAuthorizationResponse(params, { state: 'expected' }) });
    const start = await send(listener.startUrl('https://idp.example/authorize'));
    const headers = { cookie: String(start.headers['set-cookie']?.[0]).split(';')[0] as string };
    // Ignored (wrong state) and failed (right state, no PKCE-valid code needed here: an error= answer).
    const ignored = await send(`${listener.redirectUri}?code=${code}&state=wrong`, { headers });
    expect(ignored.body).not.toContain(code);
    const page = await send(`${listener.redirectUri}?code=${code}&code=${code}&state=expected`, { headers });
    expect(page.body).not.toContain(code);
    const error = await rejectionOf(listener.result);
    expectNoSecret(error, [code]);
  });
});

describe('against the real authorization server', () => {
  const server = useAuthServer();
  const metadata = useProviderMetadata(server, http);

  it('a wrong password or client secret stays out of the error', async () => {
    const wrongPassword = await rejectionOf(
      passwordGrant({
        http,
        metadata,
        client: clientAuthFor(server, 'basic'),
        username: server.user.username,
        password: PASSWORD,
        allowLegacy: true,
      }),
    );
    expect(wrongPassword.code).toBe('OAUTH_ERROR');
    expectNoSecret(wrongPassword, [PASSWORD, server.clients.basic.clientSecret]);

    const wrongSecret = await rejectionOf(
      passwordGrant({
        http,
        metadata,
        client: { ...clientAuthFor(server, 'post'), clientSecret: CLIENT_SECRET } as ClientAuth,
        username: server.user.username,
        password: server.user.password,
        allowLegacy: true,
      }),
    );
    expect(wrongSecret).toMatchObject({ code: 'OAUTH_ERROR', oauthError: 'invalid_client' });
    expectNoSecret(wrongSecret, [CLIENT_SECRET, server.user.password]);
  });

  it('a reused refresh token stays out of the error', async () => {
    const tokens = await passwordGrant({
      http,
      metadata,
      client: clientAuthFor(server, 'basic'),
      username: server.user.username,
      password: server.user.password,
      scope: 'api:read',
      allowLegacy: true,
    });
    await refreshTokenGrant({ http, metadata, client: clientAuthFor(server, 'basic'), refreshToken: tokens.refreshToken! });
    const reuse = await rejectionOf(
      refreshTokenGrant({ http, metadata, client: clientAuthFor(server, 'basic'), refreshToken: tokens.refreshToken! }),
    );
    expect(reuse.code).toBe('OAUTH_ERROR');
    expectNoSecret(reuse, [tokens.refreshToken!, tokens.accessToken, server.clients.basic.clientSecret]);
  });
});
