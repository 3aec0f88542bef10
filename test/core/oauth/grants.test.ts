/**
 * Every grant end to end against the real oidc-provider fixture, through the real HTTP client
 * and the real loopback listener.
 */
import { describe, expect, it } from 'vitest';
import { DEVICE_CODE_GRANT_TYPE, startAuthServer } from '../../support/auth-server.js';
import { useAuthServers } from '../../support/fixtures.js';
import { approveDeviceCode, completeLoginHttp, followStartUrl } from '../../support/login.js';
import {
  authorizationCodeGrant,
  clientCredentialsGrant,
  createHttpClient,
  decodeJwtClaims,
  deviceAuthorizationGrant,
  discoverProvider,
  passwordGrant,
  refreshTokenGrant,
  resolveProviderMetadata,
  revokeToken,
  type DeviceCodeInfo,
  type HttpClient,
} from '../../../main/core/oauth/index.js';
import { clientAuthFor, useProviderMetadata } from './helpers/fixture.js';
import { rejectionOf } from './helpers/http-util.js';

// `down` is a second provider that one test takes down.
const { server, down } = useAuthServers(['server', 'down']);
const http: HttpClient = createHttpClient({ env: {} });
const metadata = useProviderMetadata(server, http);

const loginOverHttp = async (url: string): Promise<void> => {
  await completeLoginHttp(url);
};

describe('discovery against oidc-provider', () => {
  it('discovers every endpoint, the JWKS and the RFC 9207 flag', () => {
    expect(metadata).toMatchObject({
      issuer: server.issuer,
      tokenEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//),
      authorizationEndpoint: expect.any(String),
      deviceAuthorizationEndpoint: expect.any(String),
      revocationEndpoint: expect.any(String),
      introspectionEndpoint: expect.any(String),
      jwksUri: expect.any(String),
      authorizationResponseIssParameterSupported: true,
    });
  });
  it('refuses an issuer that differs from the document (trailing slash)', async () => {
    expect((await rejectionOf(discoverProvider(`${server.issuer}/`, http))).code).toBe('ISSUER_MISMATCH');
  });
  it('fails discovery for an issuer path without metadata', async () => {
    expect((await rejectionOf(discoverProvider(`${server.issuer}/nothing-here`, http))).code).toBe('DISCOVERY_FAILED');
  });
  it('resolves from the account provider config', async () => {
    expect((await resolveProviderMetadata({ issuer: server.issuer }, http)).tokenEndpoint).toBe(metadata.tokenEndpoint);
  });
});

describe('client credentials (RFC 6749 §4.4)', () => {
  it.each(['basic', 'post', 'jwt'] as const)('issues an active token with %s client authentication', async (name) => {
    const tokens = await clientCredentialsGrant({ http, metadata, client: clientAuthFor(server, name), scope: 'api:read' });
    expect(tokens.tokenType.toLowerCase()).toBe('bearer');
    expect(tokens.expiresAt).toBeGreaterThan(Date.now());
    expect(tokens.refreshToken).toBeUndefined();
    expect((await server.introspect(tokens.accessToken)).active).toBe(true);
  });
  it('reports a wrong client secret as OAUTH_ERROR invalid_client with status 401', async () => {
    const client = { ...clientAuthFor(server, 'basic'), clientSecret: 'wrong-secret' } as const;
    const error = await rejectionOf(clientCredentialsGrant({ http, metadata, client }));
    expect(error).toMatchObject({ code: 'OAUTH_ERROR', oauthError: 'invalid_client', status: 401 });
  });
});

/** The real HTTP client, remembering the form of every POST to `url`. */
function recordingHttp(url: string): { http: HttpClient; forms: Record<string, string>[] } {
  const forms: Record<string, string>[] = [];
  return {
    forms,
    http: {
      request: (request) => {
        if (request.url === url && request.form !== undefined) forms.push({ ...request.form });
        return http.request(request);
      },
    },
  };
}

describe('extra request parameters against oidc-provider (Google access_type, Auth0 audience)', () => {
  it('client credentials sends them and still gets an active token; the grant parameters stay intact', async () => {
    const recording = recordingHttp(metadata.tokenEndpoint);
    const tokens = await clientCredentialsGrant({
      http: recording.http,
      metadata,
      client: clientAuthFor(server, 'post'),
      scope: 'api:read',
      extraParams: { audience: 'https://api.example.com', grant_type: 'password', scope: 'everything' },
    });
    expect(recording.forms).toHaveLength(1);
    expect(recording.forms[0]).toMatchObject({ audience: 'https://api.example.com', grant_type: 'client_credentials', scope: 'api:read' });
    expect((await server.introspect(tokens.accessToken)).active).toBe(true);
  });

  it('the code flow carries them on the authorization URL and signs in (with a refresh token) as before', async () => {
    let shownUrl = '';
    const tokens = await authorizationCodeGrant({
      http,
      metadata,
      client: clientAuthFor(server, 'public'),
      scope: 'openid offline_access api:read',
      extraParams: { access_type: 'offline', prompt: 'consent', audience: 'https://api.example.com' },
      // The browser is given the one-shot start URL; where it leads is the authorization URL.
      openBrowser: async (url) => {
        const started = await followStartUrl(url);
        shownUrl = started.url;
        await completeLoginHttp(started.url, started.cookie === undefined ? {} : { cookie: started.cookie });
      },
      onAuthorizationUrl: (url) => {
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/start\//);
      },
    });
    const params = new URL(shownUrl).searchParams;
    expect(params.get('access_type')).toBe('offline');
    expect(params.get('prompt')).toBe('consent');
    expect(params.get('audience')).toBe('https://api.example.com');
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(tokens.refreshToken).toBeDefined();
    expect((await server.introspect(tokens.accessToken)).active).toBe(true);
  });

  it('the device authorization request carries them, and the device flow completes', async () => {
    const recording = recordingHttp(metadata.deviceAuthorizationEndpoint!);
    let userCode = '';
    const tokens = await deviceAuthorizationGrant({
      http: recording.http,
      metadata,
      client: clientAuthFor(server, 'public'),
      scope: 'openid api:read',
      extraParams: { audience: 'https://api.example.com' },
      onUserCode: (shown) => {
        userCode = shown.userCode;
      },
      sleep: () => approveDeviceCode(server, userCode),
    });
    expect(recording.forms).toEqual([expect.objectContaining({ audience: 'https://api.example.com', scope: 'openid api:read' })]);
    expect((await server.introspect(tokens.accessToken)).active).toBe(true);
  });
});

describe('authorization code + PKCE through the loopback listener', () => {
  it('signs in the public client, validates the ID token nonce, and rotates refresh tokens', async () => {
    let shownUrl = '';
    const tokens = await authorizationCodeGrant({
      http,
      metadata,
      client: clientAuthFor(server, 'public'),
      scope: 'openid offline_access api:read',
      // The browser is given the one-shot start URL; where it leads is the authorization URL.
      openBrowser: async (url) => {
        const started = await followStartUrl(url);
        shownUrl = started.url;
        await completeLoginHttp(started.url, started.cookie === undefined ? {} : { cookie: started.cookie });
      },
      onAuthorizationUrl: (url) => {
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/start\//);
      },
    });
    const params = new URL(shownUrl).searchParams;
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(params.get('nonce')).toBeTruthy();
    expect(tokens.idToken).toBeDefined();
    expect(decodeJwtClaims(tokens.idToken!)?.['nonce']).toBe(params.get('nonce'));
    expect(tokens.refreshToken).toBeDefined();

    const refreshed = await refreshTokenGrant({
      http,
      metadata,
      client: clientAuthFor(server, 'public'),
      refreshToken: tokens.refreshToken!,
    });
    expect(refreshed.refreshToken).toBeDefined();
    expect(refreshed.refreshToken).not.toBe(tokens.refreshToken);
    expect((await server.introspect(refreshed.accessToken)).active).toBe(true);

    const reuse = await rejectionOf(
      refreshTokenGrant({ http, metadata, client: clientAuthFor(server, 'public'), refreshToken: tokens.refreshToken! }),
    );
    expect(reuse).toMatchObject({ code: 'OAUTH_ERROR', oauthError: 'invalid_grant', status: 400 });
  });

  it('works for a confidential client with a configured localhost redirect path', async () => {
    const tokens = await authorizationCodeGrant({
      http,
      metadata,
      client: clientAuthFor(server, 'basic'),
      scope: 'api:read',
      redirectUri: 'http://localhost/oauth/done',
      openBrowser: loginOverHttp,
    });
    expect((await server.introspect(tokens.accessToken)).active).toBe(true);
  });

  it('surfaces a denied sign-in as OAUTH_ERROR access_denied', async () => {
    const error = await rejectionOf(
      authorizationCodeGrant({
        http,
        metadata,
        client: clientAuthFor(server, 'public'),
        scope: 'openid',
        openBrowser: async (url) => {
          await completeLoginHttp(url, { deny: true });
        },
      }),
    );
    expect(error).toMatchObject({ code: 'OAUTH_ERROR', oauthError: 'access_denied' });
  });

  it('refuses a callback whose iss is another issuer (RFC 9207)', async () => {
    const error = await rejectionOf(
      authorizationCodeGrant({
        http,
        metadata,
        client: clientAuthFor(server, 'public'),
        openBrowser: async (url) => {
          const started = await followStartUrl(url);
          const callback = new URL(await completeLoginHttp(started.url, { deliver: false }));
          callback.searchParams.set('iss', 'https://evil.example');
          await fetch(callback, { headers: { cookie: started.cookie ?? '' } });
        },
      }),
    );
    expect(error.code).toBe('ISSUER_MISMATCH');
  });

  it('ignores a forged callback with the wrong state (400, no code exchanged for it); the real one completes the sign-in', async () => {
    server.resetCounters();
    let forgedStatus = 0;
    const tokens = await authorizationCodeGrant({
      http,
      metadata,
      client: clientAuthFor(server, 'public'),
      scope: 'openid api:read',
      openBrowser: async (url) => {
        const started = await followStartUrl(url);
        const cookie = { cookie: started.cookie ?? '' };
        const callback = new URL(await completeLoginHttp(started.url, { deliver: false }));
        const forged = new URL(callback);
        forged.searchParams.set('state', 'forged');
        forgedStatus = (await fetch(forged, { headers: cookie })).status;
        expect(server.tokenRequests['authorization_code'] ?? 0).toBe(0);
        await fetch(callback, { headers: cookie });
      },
    });
    expect(forgedStatus).toBe(400);
    expect(server.tokenRequests['authorization_code']).toBe(1);
    expect((await server.introspect(tokens.accessToken)).active).toBe(true);
  });

  it('times out and is cancellable', async () => {
    const timeout = await rejectionOf(
      authorizationCodeGrant({ http, metadata, client: clientAuthFor(server, 'public'), openBrowser: async () => {}, timeoutMs: 50 }),
    );
    expect(timeout.code).toBe('TIMEOUT');
    const controller = new AbortController();
    const pending = authorizationCodeGrant({
      http,
      metadata,
      client: clientAuthFor(server, 'public'),
      openBrowser: async () => {
        setTimeout(() => controller.abort(), 10);
      },
      signal: controller.signal,
    });
    expect((await rejectionOf(pending)).code).toBe('CANCELLED');
  });
});

describe('device authorization (RFC 8628)', () => {
  it('shows the user code, polls until approved, and returns tokens', async () => {
    let info: DeviceCodeInfo | undefined;
    const sleeps: number[] = [];
    const tokens = await deviceAuthorizationGrant({
      http,
      metadata,
      client: clientAuthFor(server, 'public'),
      scope: 'openid offline_access api:read',
      onUserCode: (shown) => {
        info = shown;
      },
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 2) await approveDeviceCode(server, info!.userCode);
      },
    });
    expect(info).toMatchObject({ verificationUri: `${server.issuer}/device`, interval: 1 });
    expect(info!.userCode).toMatch(/\S/);
    expect(sleeps).toEqual([1000, 1000]);
    expect(tokens.refreshToken).toBeDefined();
    expect((await server.introspect(tokens.accessToken)).active).toBe(true);
  });

  it('adds 5 s to the interval on slow_down', async () => {
    const strict = await startAuthServer({ deviceInterval: 1, enforceDeviceInterval: true });
    try {
      const strictMetadata = await discoverProvider(strict.issuer, http);
      let info: DeviceCodeInfo | undefined;
      const sleeps: number[] = [];
      const tokens = await deviceAuthorizationGrant({
        http,
        metadata: strictMetadata,
        client: clientAuthFor(strict, 'public'),
        scope: 'openid api:read',
        onUserCode: (shown) => {
          info = shown;
        },
        // Polls back to back (no real waiting) provoke slow_down from the strict server.
        sleep: async (ms) => {
          sleeps.push(ms);
          if (sleeps.length === 3) {
            await approveDeviceCode(strict, info!.userCode);
            await new Promise((r) => setTimeout(r, 1100));
          }
        },
      });
      expect(sleeps.slice(0, 3)).toEqual([1000, 1000, 6000]);
      expect(tokens.accessToken).toBeTruthy();
    } finally {
      await strict.close();
    }
  });

  it('maps expired_token from the provider to DEVICE_CODE_EXPIRED', async () => {
    // oidc-provider's memory adapter forgets an expired device code (answering invalid_grant),
    // so the provider's expired_token is injected at the real token endpoint.
    server.injectTokenResponse({
      status: 400,
      body: { error: 'expired_token' },
      contentType: 'application/json',
      grantType: DEVICE_CODE_GRANT_TYPE,
    });
    const error = await rejectionOf(
      deviceAuthorizationGrant({
        http,
        metadata,
        client: clientAuthFor(server, 'public'),
        scope: 'openid',
        onUserCode: () => {},
        sleep: async () => {},
      }),
    );
    expect(error.code, error.message).toBe('DEVICE_CODE_EXPIRED');
  });

  it('stops polling when the provider forgets an expired device code', async () => {
    const shortLived = await startAuthServer({ deviceCodeTtlSeconds: 1 });
    try {
      const shortMetadata = await discoverProvider(shortLived.issuer, http);
      const frozen = Date.now();
      const error = await rejectionOf(
        deviceAuthorizationGrant({
          http,
          metadata: shortMetadata,
          client: clientAuthFor(shortLived, 'public'),
          scope: 'openid',
          onUserCode: () => {},
          clock: { now: () => frozen },
          sleep: () => new Promise((r) => setTimeout(r, 1500)),
        }),
      );
      expect(['DEVICE_CODE_EXPIRED', 'OAUTH_ERROR']).toContain(error.code);
      expect(shortLived.tokenRequests[DEVICE_CODE_GRANT_TYPE]).toBe(1);
    } finally {
      await shortLived.close();
    }
  });

  it('stops on its own clock once expires_in has passed', async () => {
    let now = Date.now();
    const error = await rejectionOf(
      deviceAuthorizationGrant({
        http,
        metadata,
        client: clientAuthFor(server, 'public'),
        onUserCode: () => {},
        clock: { now: () => now },
        sleep: async () => {
          now += 601_000;
        },
      }),
    );
    expect(error.code).toBe('DEVICE_CODE_EXPIRED');
  });

  it('reports a denied device as OAUTH_ERROR access_denied', async () => {
    const error = await rejectionOf(
      deviceAuthorizationGrant({
        http,
        metadata,
        client: clientAuthFor(server, 'basic'),
        onUserCode: (info) => {
          void approveDeviceCode(server, info.userCode, { deny: true });
        },
        sleep: () => new Promise((r) => setTimeout(r, 300)),
      }),
    );
    expect(error).toMatchObject({ code: 'OAUTH_ERROR', oauthError: 'access_denied' });
  });

  it('is cancellable while polling', async () => {
    const controller = new AbortController();
    const pending = deviceAuthorizationGrant({
      http,
      metadata,
      client: clientAuthFor(server, 'public'),
      onUserCode: () => setTimeout(() => controller.abort(), 20),
      signal: controller.signal,
    });
    expect((await rejectionOf(pending)).code).toBe('CANCELLED');
  });
});

describe('password grant (legacy)', () => {
  it('is refused before any request unless the account opted in', async () => {
    server.resetCounters();
    const error = await rejectionOf(
      passwordGrant({
        http,
        metadata,
        client: clientAuthFor(server, 'basic'),
        username: server.user.username,
        password: server.user.password,
        allowLegacy: false,
      }),
    );
    expect(error.code).toBe('LEGACY_GRANT_REFUSED');
    expect(server.tokenRequests['password'] ?? 0).toBe(0);
  });
  it('signs in with the opt-in, and refuses a wrong password as invalid_grant', async () => {
    const tokens = await passwordGrant({
      http,
      metadata,
      client: clientAuthFor(server, 'post'),
      username: server.user.username,
      password: server.user.password,
      scope: 'api:read',
      allowLegacy: true,
    });
    expect((await server.introspect(tokens.accessToken)).active).toBe(true);
    const error = await rejectionOf(
      passwordGrant({
        http,
        metadata,
        client: clientAuthFor(server, 'post'),
        username: server.user.username,
        password: 'not-the-password',
        allowLegacy: true,
      }),
    );
    expect(error).toMatchObject({ code: 'OAUTH_ERROR', oauthError: 'invalid_grant' });
  });
});

describe('refresh and revocation', () => {
  async function passwordTokens() {
    return passwordGrant({
      http,
      metadata,
      client: clientAuthFor(server, 'basic'),
      username: server.user.username,
      password: server.user.password,
      scope: 'api:read api:write',
      allowLegacy: true,
    });
  }

  it('refreshes with a narrower scope', async () => {
    const tokens = await passwordTokens();
    const narrower = await refreshTokenGrant({
      http,
      metadata,
      client: clientAuthFor(server, 'basic'),
      refreshToken: tokens.refreshToken!,
      scope: 'api:read',
    });
    expect(narrower.scope).toBe('api:read');
  });

  it('reports an unknown refresh token as invalid_grant', async () => {
    const error = await rejectionOf(
      refreshTokenGrant({ http, metadata, client: clientAuthFor(server, 'basic'), refreshToken: 'not-a-real-refresh-token' }),
    );
    expect(error).toMatchObject({ code: 'OAUTH_ERROR', oauthError: 'invalid_grant' });
  });

  it('revokes refresh and access tokens (RFC 7009), inactive at introspection', async () => {
    const tokens = await passwordTokens();
    await revokeToken({ http, metadata, client: clientAuthFor(server, 'basic'), token: tokens.accessToken, tokenTypeHint: 'access_token' });
    expect((await server.introspect(tokens.accessToken)).active).toBe(false);
    await revokeToken({
      http,
      metadata,
      client: clientAuthFor(server, 'basic'),
      token: tokens.refreshToken!,
      tokenTypeHint: 'refresh_token',
    });
    expect((await server.introspect(tokens.refreshToken!)).active).toBe(false);
  });

  it('is a no-op without a revocation endpoint', async () => {
    await expect(
      revokeToken({ http, metadata: { tokenEndpoint: metadata.tokenEndpoint }, client: clientAuthFor(server, 'basic'), token: 'x' }),
    ).resolves.toBeUndefined();
  });
});

describe('token endpoint failures', () => {
  const grant = (client: HttpClient = http) => clientCredentialsGrant({ http: client, metadata, client: clientAuthFor(server, 'basic') });

  it('an HTML page is INVALID_RESPONSE', async () => {
    server.injectTokenResponse({ status: 200, body: '<html><body>Please log in</body></html>' });
    expect((await rejectionOf(grant())).code).toBe('INVALID_RESPONSE');
  });
  it('garbage is INVALID_RESPONSE', async () => {
    server.injectTokenResponse({ status: 200, body: 'access_token=abc', contentType: 'text/plain' });
    expect((await rejectionOf(grant())).code).toBe('INVALID_RESPONSE');
  });
  it('a 500 is PROVIDER_ERROR with the status', async () => {
    server.injectTokenResponse({ status: 500, body: 'Internal Server Error', contentType: 'text/plain' });
    expect(await rejectionOf(grant())).toMatchObject({ code: 'PROVIDER_ERROR', status: 500 });
  });
  it('a slow token endpoint is TIMEOUT, and the request was sent once', async () => {
    server.resetCounters();
    server.setTokenDelay(1_000);
    try {
      const error = await rejectionOf(grant(createHttpClient({ env: {}, responseTimeoutMs: 200 })));
      expect(error.code).toBe('TIMEOUT');
      expect(server.tokenRequests['client_credentials']).toBe(1);
    } finally {
      server.setTokenDelay(0);
    }
  });
  it('a provider that is down is PROVIDER_UNREACHABLE', async () => {
    const downMetadata = await discoverProvider(down.issuer, http);
    const client = clientAuthFor(down, 'basic');
    await down.close();
    const error = await rejectionOf(
      clientCredentialsGrant({ http: createHttpClient({ env: {}, retryDelayMs: 10 }), metadata: downMetadata, client }),
    );
    expect(error.code).toBe('PROVIDER_UNREACHABLE');
  });
});
