/**
 * A real OAuth 2.0 / OpenID Connect authorization server for tests, built on oidc-provider 9,
 * listening on 127.0.0.1 with an OS-assigned port.
 *
 * What it offers beyond oidc-provider's stock behaviour, and why:
 * - a `password` grant (RFC 6749 §4.3) registered with `registerGrantType`, because the broker
 *   supports ROPC as a legacy opt-in and oidc-provider deliberately lacks it;
 * - a fixture route for the plain implicit grant (RFC 6749 §4.2, `response_type=token`), which
 *   oidc-provider no longer implements;
 * - refresh tokens issued for every interactive grant and rotated on every use, so the broker's
 *   rotation handling is exercised on each refresh (reuse → `invalid_grant`);
 * - token-endpoint counters and an artificial delay, so tests can prove single-flight refresh,
 *   caching and timeouts against a real server;
 * - loopback redirect URIs on any port AND any path for the fixture clients (RFC 8252 §7.3 only
 *   asks for any port; any path lets each test pick its own callback path);
 * - DPoP (RFC 9449) on every grant, the custom ones included, with server nonces on request;
 *   pushed authorization requests (RFC 9126), optional or required; and a token exchange grant
 *   (RFC 8693) with an audience allow-list, registered like the password grant.
 *
 * @see https://github.com/panva/node-oidc-provider
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, exportPKCS8, generateKeyPair, type JWK } from 'jose';
import type * as OidcProviderModule from 'oidc-provider';
import type { BaseToken, Client, KoaContextWithOIDC, Provider } from 'oidc-provider';
import type * as DpopHelpersModule from 'oidc-provider/lib/helpers/validate_dpop.js';
import { createMemoryAdapterFactory } from './memory-adapter.js';

export interface AuthServerOptions {
  /** Lifetime of access tokens from every grant; default 3600. Also settable later. */
  accessTokenTtlSeconds?: number;
  /**
   * Delay before every token endpoint response; default 0. The request is processed after the
   * delay even if the client has given up meanwhile, as a real slow server would (so a refresh
   * token sent in a timed-out request is rotated all the same).
   */
  tokenDelayMs?: number;
  /** Lifetime of device codes (RFC 8628 `expires_in`); default 600. */
  deviceCodeTtlSeconds?: number;
  /** Polling interval announced in device authorization responses, seconds; default 1. */
  deviceInterval?: number;
  /**
   * Answer `slow_down` to device-code polls that come sooner than `deviceInterval` after the
   * previous poll of the same code (RFC 8628 §3.5). Off by default: oidc-provider never sends it.
   */
  enforceDeviceInterval?: boolean;
  /**
   * More resource owners besides alice (e.g. an attacker's own account at the same provider). Each
   * signs in with its password and gets `preferred_username` = its username and
   * `email` = `<username>@example.test`.
   */
  extraUsers?: ReadonlyArray<{ username: string; password: string }>;
  /**
   * Behave like providers that narrow a grant: a refresh request with a `scope` parameter rotates
   * the refresh token into one that only holds the requested scope, so later refreshes with it
   * get no more than that (RFC 6749 §6 allows either behaviour; oidc-provider keeps the full scope).
   */
  narrowRotatedRefreshTokens?: boolean;
  /** Lifetime of ID tokens (`exp` − `iat`); default 3600. Also settable later. */
  idTokenTtlSeconds?: number;
  /**
   * DPoP (RFC 9449): off by default, so the broker (`dpop: auto`) uses Bearer tokens unless a test
   * asks for DPoP. When on, discovery advertises `dpop_signing_alg_values_supported` and every
   * grant binds tokens to a proof's key.
   */
  dpop?: boolean;
  /**
   * Require a server nonce in every DPoP proof at the token and PAR endpoints (RFC 9449 §8): a
   * proof without one (or with a stale one) gets `use_dpop_nonce` and a `DPoP-Nonce` header.
   * Turns DPoP on unless `dpop: false`.
   */
  dpopNonce?: boolean;
  /**
   * Pushed authorization requests (RFC 9126): `off` (default, so the broker puts the parameters
   * in the URL unless a test asks for PAR), `optional` (a PAR endpoint is advertised, plain
   * authorization URLs still work), or `required` (discovery says
   * `require_pushed_authorization_requests: true` and the authorization endpoint refuses anything
   * but a `request_uri`).
   */
  par?: 'optional' | 'required' | 'off';
  /**
   * Audiences (and resources) the token exchange grant may issue tokens for; anything else is
   * `invalid_target`. Default {@link FIXTURE_EXCHANGE_AUDIENCES}.
   */
  exchangeAudiences?: readonly string[];
}

/** A canned token endpoint answer, for provoking error handling (RFC 6749 §5.2, 5xx, HTML). */
export interface InjectedTokenResponse {
  status: number;
  /** An object is sent as JSON; a string as-is (default content type text/html). */
  body: string | Record<string, unknown>;
  contentType?: string;
  /** Only a request with this grant_type consumes it; default: the next token request. */
  grantType?: string;
}

export interface FixtureClients {
  /** client_secret_basic; grants: client_credentials, authorization_code, refresh_token, device_code, password. */
  basic: { clientId: string; clientSecret: string };
  /** client_secret_post; same grants as `basic`. */
  post: { clientId: string; clientSecret: string };
  /** private_key_jwt (RFC 7523 §2.2) with an RS256 key; same grants as `basic`. */
  jwt: { clientId: string; privateKeyPem: string; keyId: string; alg: 'RS256' };
  /** Public native client (auth method none, PKCE required): loopback redirects on any port and path. */
  public: { clientId: string };
}

export interface AuthServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  issuer: string;
  clients: FixtureClients;
  /** The default test user (alice); `extraUsers` may add more. */
  user: { username: string; password: string };
  /**
   * Requests that reached the token endpoint, counted on arrival by `grant_type` (e.g.
   * `tokenRequests['refresh_token']`), whether they then succeed or fail. Requests without a
   * form body count as 'unknown', a form without grant_type as 'missing'.
   */
  tokenRequests: Record<string, number>;
  resetCounters(): void;
  setTokenDelay(ms: number): void;
  setAccessTokenTtl(seconds: number): void;
  /**
   * Queues a canned answer for a coming token request, which is then counted and delayed as
   * usual but not processed (so no refresh token rotates). Queued answers are used in order.
   */
  injectTokenResponse(response: InjectedTokenResponse): void;
  /** ID token lifetime for tokens issued from now on (seconds, ≥ 1). */
  setIdTokenTtl(seconds: number): void;
  /**
   * When false, refresh_token grant responses carry no `id_token` (as providers that issue ID
   * tokens only at sign-in do; OpenID Connect Core §12.2 makes it optional). Default true.
   */
  setIdTokenOnRefresh(issue: boolean): void;
  /** RFC 7662 introspection through the server's real endpoint (authenticated as the basic client). */
  introspect(token: string): Promise<{ active: boolean } & Record<string, unknown>>;
  /**
   * Forgets an access token at once (as an administrator revoking it would), without touching
   * the rest of its grant: the refresh token still works. For provoking `invalid_token` at a
   * resource server.
   */
  revokeAccessToken(token: string): Promise<boolean>;
  /** Requests that reached the pushed authorization request endpoint (RFC 9126 §2). */
  readonly parRequests: number;
  close(): Promise<void>;
}

/** The `grant_type` value of the device authorization grant (RFC 8628 §3.4). */
export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';

/** The `grant_type` value of token exchange (RFC 8693 §2.1). */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** The token type identifier of an access token (RFC 8693 §3). */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** Audiences the token exchange grant accepts unless the server was started with others. */
export const FIXTURE_EXCHANGE_AUDIENCES = ['https://api.example.test', 'https://reports.example.test'] as const;

/**
 * Scopes the server knows. Interactive grants (code, device, password, implicit) only grant
 * scopes from this list and silently drop others (oidc-provider's behaviour for unknown scopes);
 * client_credentials passes any requested scope through.
 */
export const FIXTURE_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'api', 'read', 'write', 'api:read', 'api:write'] as const;

/** The one resource owner the fixture knows (same for every server). */
export const FIXTURE_USER = { username: 'alice', password: 'wonderland-secret' } as const;
const TEST_USER = FIXTURE_USER;

const CLIENT_IDS = {
  basic: 'fixture-basic',
  post: 'fixture-post',
  jwt: 'fixture-jwt',
  public: 'fixture-public',
} as const;

const INTERACTIVE_GRANTS = ['authorization_code', 'refresh_token', DEVICE_CODE_GRANT_TYPE, 'password', TOKEN_EXCHANGE_GRANT_TYPE];
const CALLBACK_URIS = ['http://127.0.0.1/callback', 'http://localhost/callback'];
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const IMPLICIT_PATH = '/implicit/authorize';
const TOKEN_PATH = '/token';
const PAR_PATH = '/request';
const OPENID_DISCOVERY_PATH = '/.well-known/openid-configuration';
const RFC8414_DISCOVERY_PATH = '/.well-known/oauth-authorization-server';
const DEVICE_POLL_SLACK_MS = 100;
const LOGIN_SUBMIT_PATH = /^\/interaction\/[^/]+$/;
const MAX_TOKEN_BODY_BYTES = 56 * 1024;

interface FixtureKeys {
  /** Private JWK the provider signs ID tokens with. */
  providerSigningJwk: JWK;
  /** The jwt client's key pair. */
  clientPrivateKeyPem: string;
  clientPublicJwk: JWK;
  clientKeyId: string;
}

let keysPromise: Promise<FixtureKeys> | undefined;

/** RSA key generation costs ~100 ms; every server in a test process shares one set of keys. */
function fixtureKeys(): Promise<FixtureKeys> {
  keysPromise ??= (async () => {
    const [provider, client] = await Promise.all([
      generateKeyPair('RS256', { extractable: true }),
      generateKeyPair('RS256', { extractable: true }),
    ]);
    const clientKeyId = 'fixture-jwt-key';
    return {
      providerSigningJwk: { ...(await exportJWK(provider.privateKey)), kid: 'fixture-signing-key', alg: 'RS256', use: 'sig' },
      clientPrivateKeyPem: await exportPKCS8(client.privateKey),
      clientPublicJwk: { ...(await exportJWK(client.publicKey)), kid: clientKeyId, alg: 'RS256', use: 'sig' },
      clientKeyId,
    };
  })();
  return keysPromise;
}

let oidcProviderModule: Promise<typeof OidcProviderModule> | undefined;

/**
 * oidc-provider prints development notices (unsupported runtime on Node 20, devInteractions,
 * in-memory adapter, default policies) through console.warn/console.info. They are expected in a
 * fixture and would drown real test output, so lines it prefixes with "oidc-provider " are
 * dropped. Set TOKEN_BROKER_TEST_OIDC_LOGS=1 to see them.
 */
function silenceOidcProviderNotices(): void {
  if (process.env.TOKEN_BROKER_TEST_OIDC_LOGS === '1') return;
  for (const method of ['warn', 'info'] as const) {
    const original = console[method];
    console[method] = (...args: unknown[]): void => {
      const first = args[0];
      // eslint-disable-next-line no-control-regex -- the notices may be wrapped in ANSI colours
      if (typeof first === 'string' && first.replace(/^\u001b\[[0-9;]*m/, '').startsWith('oidc-provider ')) return;
      original.apply(console, args);
    };
  }
}

let dpopHelpers: Promise<typeof DpopHelpersModule> | undefined;

function loadOidcProvider(): Promise<[typeof OidcProviderModule, typeof DpopHelpersModule]> {
  if (!oidcProviderModule) {
    silenceOidcProviderNotices();
    // Imported lazily so the notice filter is in place before the module's top-level warning.
    oidcProviderModule = import('oidc-provider');
    dpopHelpers = oidcProviderModule.then(() => import('oidc-provider/lib/helpers/validate_dpop.js'));
  }
  return Promise.all([oidcProviderModule, dpopHelpers as Promise<typeof DpopHelpersModule>]);
}

function isLoopbackHttpUri(uri: string): boolean {
  const parsed = URL.parse(uri);
  return parsed !== null && parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname) && parsed.hash === '';
}

/** Requested scopes the server knows, in request order; undefined when none remain. */
function knownScopes(requested: unknown): string | undefined {
  if (typeof requested !== 'string') return undefined;
  const known = new Set<string>(FIXTURE_SCOPES);
  const kept = [...new Set(requested.split(' '))].filter((scope) => known.has(scope));
  return kept.length > 0 ? kept.join(' ') : undefined;
}

function constantTimeEquals(actual: string, expected: string): boolean {
  const a = Buffer.from(actual);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readRequestBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    received += buffer.length;
    if (received > MAX_TOKEN_BODY_BYTES) throw new Error('token request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, received);
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Starts an authorization server on 127.0.0.1 with an OS-assigned port. Each call gets fresh
 * client secrets, an empty token store and zeroed counters. Discovery is at
 * `${issuer}/.well-known/openid-configuration`.
 */
export async function startAuthServer(options: AuthServerOptions = {}): Promise<AuthServer> {
  const [[{ default: Provider, errors }, { default: validateDpop, checkDpopReplay }], keys] = await Promise.all([
    loadOidcProvider(),
    fixtureKeys(),
  ]);

  const state = {
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600,
    tokenDelayMs: options.tokenDelayMs ?? 0,
    idTokenTtlSeconds: options.idTokenTtlSeconds ?? 3600,
    idTokenOnRefresh: true,
  };
  const deviceCodeTtlSeconds = options.deviceCodeTtlSeconds ?? 600;
  const deviceInterval = options.deviceInterval ?? 1;
  const users = [TEST_USER, ...(options.extraUsers ?? [])];
  /** The user with these credentials (compared in constant time), or undefined. */
  const authenticate = (username: string, password: string): string | undefined => {
    let found: string | undefined;
    for (const user of users) {
      if (constantTimeEquals(username, user.username) && constantTimeEquals(password, user.password)) found = user.username;
    }
    return found;
  };
  const tokenRequests: Record<string, number> = {};
  const injections: InjectedTokenResponse[] = [];
  const lastDevicePoll = new Map<string, number>();
  const exchangeAudiences = new Set<string>(options.exchangeAudiences ?? FIXTURE_EXCHANGE_AUDIENCES);
  const par = options.par ?? 'off';
  let parRequests = 0;
  // RFC 8693 §2.2.2 `invalid_target`; oidc-provider has the class, its declaration file does not name it.
  const { InvalidTarget } = errors as typeof errors & { InvalidTarget: (typeof errors)['InvalidRequest'] };
  let closing: Promise<void> | undefined;
  const closed = new AbortController();

  const clients: FixtureClients = {
    basic: { clientId: CLIENT_IDS.basic, clientSecret: randomBytes(24).toString('base64url') },
    post: { clientId: CLIENT_IDS.post, clientSecret: randomBytes(24).toString('base64url') },
    jwt: { clientId: CLIENT_IDS.jwt, privateKeyPem: keys.clientPrivateKeyPem, keyId: keys.clientKeyId, alg: 'RS256' },
    public: { clientId: CLIENT_IDS.public },
  };

  // Native application type: loopback redirects are allowed and their port is ignored.
  const common = {
    application_type: 'native',
    redirect_uris: CALLBACK_URIS,
    response_types: ['code'],
  };
  const confidentialGrants = ['client_credentials', ...INTERACTIVE_GRANTS];

  const httpServer = createServer();
  const port = await listen(httpServer);
  const issuer = `http://127.0.0.1:${port}`;

  const provider: Provider = new Provider(issuer, {
    clients: [
      {
        ...common,
        client_id: clients.basic.clientId,
        client_secret: clients.basic.clientSecret,
        grant_types: confidentialGrants,
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        ...common,
        client_id: clients.post.clientId,
        client_secret: clients.post.clientSecret,
        grant_types: confidentialGrants,
        token_endpoint_auth_method: 'client_secret_post',
      },
      {
        ...common,
        client_id: clients.jwt.clientId,
        jwks: { keys: [keys.clientPublicJwk] },
        grant_types: confidentialGrants,
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'RS256',
      },
      { ...common, client_id: clients.public.clientId, grant_types: INTERACTIVE_GRANTS, token_endpoint_auth_method: 'none' },
    ],
    adapter: createMemoryAdapterFactory(),
    // Tokens expire exactly at `exp` (the default 15 s tolerance would keep them active past it).
    clockTolerance: 0,
    jwks: { keys: [keys.providerSigningJwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: [...FIXTURE_SCOPES],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    async findAccount(_ctx: unknown, sub: string) {
      // devInteractions accepts any login name; every name is an account, alice has a profile.
      return {
        accountId: sub,
        async claims() {
          if (sub === TEST_USER.username) {
            return { sub, name: 'Alice Liddell', preferred_username: sub, email: 'alice@example.test', email_verified: true };
          }
          return users.some((user) => user.username === sub)
            ? { sub, preferred_username: sub, email: `${sub}@example.test`, email_verified: true }
            : { sub };
        },
      };
    },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      revocation: { enabled: true, allowedPolicy: revocationAllowed },
      introspection: { enabled: true, allowedPolicy: introspectionAllowed },
      dPoP: {
        enabled: options.dpop ?? options.dpopNonce === true,
        ...(options.dpopNonce === true ? { nonceSecret: randomBytes(32), requireNonce: () => true } : {}),
      },
      pushedAuthorizationRequests: { enabled: par !== 'off', requirePushedAuthorizationRequests: par === 'required' },
    },
    // Refresh tokens for every grant that may have one, without the OIDC offline_access/consent dance.
    issueRefreshToken: async (_ctx: unknown, client: Client) => client.grantTypeAllowed('refresh_token'),
    expiresWithSession: async () => false,
    rotateRefreshToken: true,
    clientBasedCORS: () => true,
    pkce: { required: (_ctx: unknown, client: Client) => client.clientAuthMethod === 'none' },
    ttl: {
      AccessToken: () => state.accessTokenTtlSeconds,
      ClientCredentials: () => state.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      DeviceCode: deviceCodeTtlSeconds,
      IdToken: () => state.idTokenTtlSeconds,
      RefreshToken: 14 * 24 * 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 14 * 24 * 3600,
    },
  });

  // RFC 8252 §7.3 wants any port; the fixture also accepts any path on a loopback host.
  const clientPrototype = provider.Client.prototype;
  const redirectUriAllowed = clientPrototype.redirectUriAllowed;
  clientPrototype.redirectUriAllowed = function redirectUriAllowedAnyLoopback(this: Client, uri: string): boolean {
    return redirectUriAllowed.call(this, uri) || isLoopbackHttpUri(uri);
  };

  // oidc-provider announces no `interval`, so clients would fall back to RFC 8628's 5 s.
  provider.on('device_authorization.success', (_ctx: never, body: never) => {
    (body as Record<string, unknown>).interval = deviceInterval;
  });

  provider.use(async (ctx, next) => {
    if (ctx.path === TOKEN_PATH && ctx.method === 'POST') {
      if (await interceptTokenRequest(ctx)) return;
      if (options.narrowRotatedRefreshTokens === true) {
        await next();
        await narrowRotatedRefreshToken(ctx);
        return;
      }
    } else if (ctx.path === PAR_PATH && ctx.method === 'POST') {
      parRequests += 1;
    } else if (ctx.path === IMPLICIT_PATH && ctx.method === 'GET') {
      await implicitAuthorize(ctx);
      return;
    } else if (ctx.method === 'POST' && LOGIN_SUBMIT_PATH.test(ctx.path)) {
      if (await rejectWrongCredentials(ctx)) return;
    } else if (ctx.path === RFC8414_DISCOVERY_PATH) {
      // oidc-provider only serves OpenID discovery; RFC 8414 clients get the same document.
      ctx.path = OPENID_DISCOVERY_PATH;
    }
    await next();
  });

  // ID token knobs (lifetime above; presence on refresh here), for the broker's ID-token hand-out.
  provider.use(async (ctx, next) => {
    await next();
    if (state.idTokenOnRefresh || ctx.path !== TOKEN_PATH || ctx.method !== 'POST') return;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (ctx.oidc?.params?.grant_type === 'refresh_token' && body !== undefined && typeof body === 'object' && 'id_token' in body) {
      delete body.id_token;
    }
  });

  provider.registerGrantType('password', passwordGrant, ['username', 'password', 'scope']);
  provider.registerGrantType(TOKEN_EXCHANGE_GRANT_TYPE, tokenExchangeGrant, [
    'subject_token',
    'subject_token_type',
    'actor_token',
    'actor_token_type',
    'requested_token_type',
    'audience',
    'resource',
    'scope',
  ]);

  httpServer.on('request', provider.callback());

  /**
   * Counts the request, applies the delay, then answers an injected response or a slow_down
   * when one is due. Returns true when the request was answered here.
   */
  async function interceptTokenRequest(ctx: KoaContextWithOIDC): Promise<boolean> {
    // The body is read here to learn the grant type at arrival; oidc-provider then parses the
    // buffered copy (its documented fallback for pre-parsed bodies).
    let form = new URLSearchParams();
    let grantType = 'unknown';
    if (ctx.is('application/x-www-form-urlencoded')) {
      try {
        const body = await readRequestBody(ctx.req);
        ctx.req.body = body;
        form = new URLSearchParams(body.toString('utf8'));
        grantType = form.get('grant_type') ?? 'missing';
      } catch {
        grantType = 'unreadable';
      }
    }
    tokenRequests[grantType] = (tokenRequests[grantType] ?? 0) + 1;
    if (state.tokenDelayMs > 0) {
      // Cut short by close(), so a pending delay never holds a finished test file open.
      await sleep(state.tokenDelayMs, undefined, { signal: closed.signal }).catch(() => undefined);
    }
    if (closed.signal.aborted) {
      ctx.status = 503;
      return true;
    }

    const injectedAt = injections.findIndex((candidate) => candidate.grantType === undefined || candidate.grantType === grantType);
    const injected = injectedAt >= 0 ? injections.splice(injectedAt, 1)[0] : undefined;
    if (injected) {
      ctx.status = injected.status;
      ctx.set('Cache-Control', 'no-store');
      if (typeof injected.body === 'string') {
        ctx.type = injected.contentType ?? 'text/html';
        ctx.body = injected.body;
      } else {
        ctx.type = injected.contentType ?? 'application/json';
        ctx.body = injected.body;
      }
      return true;
    }

    const deviceCode = form.get('device_code');
    if (options.enforceDeviceInterval && grantType === DEVICE_CODE_GRANT_TYPE && deviceCode) {
      const now = Date.now();
      const previous = lastDevicePoll.get(deviceCode);
      lastDevicePoll.set(deviceCode, now);
      // A little slack: a client that sleeps exactly `interval` must not be punished for timer jitter.
      if (previous !== undefined && now - previous < deviceInterval * 1000 - DEVICE_POLL_SLACK_MS) {
        ctx.status = 400;
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { error: 'slow_down', error_description: 'polling faster than the announced interval' };
        return true;
      }
    }
    return false;
  }

  /**
   * devInteractions accepts any login and ignores the password; the fixture only lets the test
   * user in. Wrong credentials end the interaction with access_denied, which the client sees at
   * its redirect URI (or, for the device grant, when polling).
   */
  async function rejectWrongCredentials(ctx: KoaContextWithOIDC): Promise<boolean> {
    const body = await readRequestBody(ctx.req);
    ctx.req.body = body;
    const form = new URLSearchParams(body.toString('utf8'));
    if (form.get('prompt') !== 'login') return false;
    if (authenticate(form.get('login') ?? '', form.get('password') ?? '') !== undefined) return false;
    const returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      {
        error: 'access_denied',
        error_description: 'invalid username or password',
      },
      { mergeWithLastSubmission: false },
    );
    ctx.redirect(returnTo);
    ctx.status = 303;
    return true;
  }

  /**
   * The request's DPoP proof, verified by oidc-provider's own validation (signature, typ, htm,
   * htu, iat, nonce) and checked for replay; undefined without a `DPoP` header.
   * @see RFC 9449 §4.3
   */
  async function verifiedDpop(ctx: KoaContextWithOIDC, client: Client): Promise<DpopHelpersModule.DpopResult | undefined> {
    const dPoP = await validateDpop(provider, ctx);
    if (dPoP) await checkDpopReplay(provider, ctx, dPoP, client.clientId);
    return dPoP;
  }

  async function issueUserTokens(
    client: Client,
    gty: string,
    scope: string | undefined,
    jkt?: string,
    accountId: string = TEST_USER.username,
  ) {
    const grant = new provider.Grant({ accountId, clientId: client.clientId });
    if (scope) grant.addOIDCScope(scope);
    const grantId = await grant.save();
    const base = { accountId, client, grantId, gty, scope, expiresWithSession: false };
    const at = new provider.AccessToken(base);
    if (jkt !== undefined) at.setThumbprint('jkt', jkt);
    const accessToken = await at.save();
    let refreshToken: string | undefined;
    if (client.grantTypeAllowed('refresh_token') && gty !== 'implicit') {
      const rt = new provider.RefreshToken({ ...base, rotations: 0 });
      // As oidc-provider's own grants do: a public client's refresh token is bound to the key too.
      if (jkt !== undefined && client.clientAuthMethod === 'none') rt.jkt = jkt;
      refreshToken = await rt.save();
    }
    return { accessToken, expiresIn: at.expiration, refreshToken, tokenType: at.tokenType };
  }

  /** RFC 6749 §4.3.2: the resource owner password credentials grant. Never logs the password. */
  async function passwordGrant(ctx: KoaContextWithOIDC): Promise<void> {
    const params = ctx.oidc.params ?? {};
    const client = ctx.oidc.client;
    if (!client) throw new errors.InvalidClient('client authentication required');
    const { username, password } = params;
    if (typeof username !== 'string' || typeof password !== 'string' || username === '' || password === '') {
      throw new errors.InvalidRequest('username and password are required');
    }
    const accountId = authenticate(username, password);
    if (accountId === undefined) {
      throw new errors.InvalidGrant('invalid resource owner credentials');
    }
    const dPoP = await verifiedDpop(ctx, client);
    const scope = knownScopes(params.scope);
    const tokens = await issueUserTokens(client, 'password', scope, dPoP?.thumbprint, accountId);
    ctx.body = {
      access_token: tokens.accessToken,
      token_type: tokens.tokenType,
      expires_in: tokens.expiresIn,
      ...(tokens.refreshToken ? { refresh_token: tokens.refreshToken } : {}),
      ...(scope ? { scope } : {}),
    };
  }

  /**
   * RFC 8693 §2: token exchange of one of this server's access tokens (user or client
   * credentials) for a token aimed at an allowed audience (`audience` or `resource`; one value
   * each) with the same or a narrower scope. A sender-constrained subject token can only be
   * exchanged with a proof of its own key (the holder, not a thief); the new token is bound to
   * the proof's key when there is one. Actor tokens (delegation) are not supported.
   */
  async function tokenExchangeGrant(ctx: KoaContextWithOIDC): Promise<void> {
    const params = ctx.oidc.params ?? {};
    const client = ctx.oidc.client;
    if (!client) throw new errors.InvalidClient('client authentication required');
    const { subject_token: subjectToken, subject_token_type: subjectTokenType } = params;
    if (typeof subjectToken !== 'string' || subjectToken === '' || typeof subjectTokenType !== 'string') {
      throw new errors.InvalidRequest('subject_token and subject_token_type are required');
    }
    if (subjectTokenType !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest('unsupported subject_token_type');
    if (params.actor_token !== undefined) throw new errors.InvalidRequest('actor_token is not supported');
    if (params.requested_token_type !== undefined && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
      throw new errors.InvalidRequest('only access tokens can be requested');
    }
    const audience = singleValue(params.audience);
    const resource = singleValue(params.resource);
    if (audience === null || resource === null) throw new InvalidTarget('one audience and one resource at most');
    for (const target of [audience, resource]) {
      if (target !== undefined && !exchangeAudiences.has(target)) throw new InvalidTarget('the requested audience is not allowed');
    }
    const dPoP = await verifiedDpop(ctx, client);
    const subject = (await provider.AccessToken.find(subjectToken)) ?? (await provider.ClientCredentials.find(subjectToken));
    if (!subject?.isValid) throw new errors.InvalidGrant('subject_token is invalid or expired');
    if (subject.jkt !== undefined && subject.jkt !== dPoP?.thumbprint) {
      throw new errors.InvalidGrant('subject_token is sender-constrained: a DPoP proof of its key is required');
    }
    const held = new Set((subject.scope ?? '').split(' ').filter(Boolean));
    const requested = typeof params.scope === 'string' ? params.scope.split(' ').filter(Boolean) : [...held];
    const missing = requested.filter((scope) => !held.has(scope));
    if (missing.length > 0) throw new errors.InvalidScope(`subject_token does not hold ${missing.join(' ')}`);
    const scope = requested.length > 0 ? requested.join(' ') : undefined;
    const token: BaseToken =
      subject.accountId === undefined
        ? new provider.ClientCredentials({ client, scope })
        : new provider.AccessToken({ accountId: subject.accountId, client, gty: 'token-exchange', scope, expiresWithSession: false });
    const target = audience ?? resource;
    if (target !== undefined) token.setAudience(target);
    if (dPoP) token.setThumbprint('jkt', dPoP.thumbprint);
    const accessToken = await token.save();
    ctx.body = {
      access_token: accessToken,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: token.tokenType,
      expires_in: token.expiration,
      ...(scope === undefined ? {} : { scope }),
    };
  }

  /**
   * RFC 6749 §4.2: the plain implicit grant, auto-approved for the test user. Errors about the
   * client or redirect URI are shown, never redirected (§4.2.2.1).
   */
  async function implicitAuthorize(ctx: KoaContextWithOIDC): Promise<void> {
    const param = (name: string): string | undefined => {
      const value = ctx.query[name];
      return typeof value === 'string' ? value : undefined;
    };
    ctx.set('Cache-Control', 'no-store');
    const clientId = param('client_id');
    const redirectUri = param('redirect_uri');
    const client = clientId ? await provider.Client.find(clientId) : undefined;
    if (!client) {
      ctx.status = 400;
      ctx.body = 'invalid_client: unknown client_id';
      return;
    }
    if (!redirectUri || !client.redirectUriAllowed(redirectUri)) {
      ctx.status = 400;
      ctx.body = 'invalid_request: redirect_uri is missing or not registered';
      return;
    }
    const stateParam = param('state');
    const fragment = new URLSearchParams();
    if (param('response_type') !== 'token') {
      fragment.set('error', 'unsupported_response_type');
    } else {
      const scope = knownScopes(param('scope'));
      const tokens = await issueUserTokens(client, 'implicit', scope);
      fragment.set('access_token', tokens.accessToken);
      fragment.set('token_type', 'Bearer');
      fragment.set('expires_in', String(tokens.expiresIn));
      if (scope) fragment.set('scope', scope);
    }
    if (stateParam !== undefined) fragment.set('state', stateParam);
    // RFC 9207 §2: discovery advertises authorization_response_iss_parameter_supported, so every
    // authorization response carries `iss`, the implicit one included.
    fragment.set('iss', issuer);
    const target = new URL(redirectUri);
    target.hash = fragment.toString();
    ctx.redirect(target.href);
  }

  /**
   * After a successful refresh that named a `scope`, the rotated refresh token keeps only that
   * scope (see {@link AuthServerOptions.narrowRotatedRefreshTokens}).
   */
  async function narrowRotatedRefreshToken(ctx: KoaContextWithOIDC): Promise<void> {
    const form = new URLSearchParams(Buffer.isBuffer(ctx.req.body) ? ctx.req.body.toString('utf8') : '');
    const body = ctx.body as { refresh_token?: unknown } | undefined;
    const requested = knownScopes(form.get('scope'));
    if (ctx.status !== 200 || form.get('grant_type') !== 'refresh_token' || requested === undefined) return;
    if (typeof body?.refresh_token !== 'string') return;
    const rotated = await provider.RefreshToken.find(body.refresh_token);
    if (rotated === undefined) return;
    rotated.scope = requested;
    await rotated.save();
  }

  async function introspect(token: string): Promise<{ active: boolean } & Record<string, unknown>> {
    const credentials = Buffer.from(
      `${encodeURIComponent(clients.basic.clientId)}:${encodeURIComponent(clients.basic.clientSecret)}`,
    ).toString('base64');
    const response = await fetch(`${issuer}/token/introspection`, {
      method: 'POST',
      headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    if (!response.ok) throw new Error(`[auth-server] introspection failed with HTTP ${response.status}`);
    const body = (await response.json()) as Record<string, unknown>;
    return { ...body, active: body.active === true };
  }

  async function revokeAccessToken(token: string): Promise<boolean> {
    const found = (await provider.AccessToken.find(token)) ?? (await provider.ClientCredentials.find(token));
    if (!found) return false;
    await found.destroy();
    return true;
  }

  return {
    issuer,
    clients,
    user: { ...TEST_USER },
    tokenRequests,
    get parRequests() {
      return parRequests;
    },
    revokeAccessToken,
    resetCounters() {
      for (const key of Object.keys(tokenRequests)) delete tokenRequests[key];
    },
    setTokenDelay(ms: number) {
      state.tokenDelayMs = ms;
    },
    setAccessTokenTtl(seconds: number) {
      state.accessTokenTtlSeconds = seconds;
    },
    injectTokenResponse(response: InjectedTokenResponse) {
      injections.push({ ...response });
    },
    setIdTokenTtl(seconds: number) {
      state.idTokenTtlSeconds = seconds;
    },
    setIdTokenOnRefresh(issue: boolean) {
      state.idTokenOnRefresh = issue;
    },
    introspect,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        closed.abort();
        httpServer.close((error) => (error ? reject(error) : resolve()));
        httpServer.closeAllConnections();
      });
      return closing;
    },
  };
}

/** A parameter that must have at most one value (oidc-provider passes repeated ones as arrays); null when invalid. */
function singleValue(value: unknown): string | undefined | null {
  if (value === undefined) return undefined;
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Confidential clients may introspect any token; a public client only its own (RFC 7662 §4). */
async function introspectionAllowed(ctx: KoaContextWithOIDC, client: Client, token: { clientId: string }): Promise<boolean> {
  return client.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client?.clientId;
}

/** Only the client a token was issued to may revoke it (RFC 7009 §2.1). */
async function revocationAllowed(_ctx: KoaContextWithOIDC, client: Client, token: { clientId: string }): Promise<boolean> {
  return token.clientId === client.clientId;
}
