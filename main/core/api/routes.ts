/**
 * The local token API's routes (README.md, "The socket"; docs/architecture.md, "A token request"), independent of the listener.
 *
 * | request | answer |
 * |---|---|
 * | `GET /v1/health` | `{"status":"ok","version"}` |
 * | `GET /v1/accounts` | `[{"name","grant","status","expires_at","scopes"}]` |
 * | `GET /v1/accounts/{name}/token?min_ttl=&scope=` | `{"access_token","token_type","expires_at","expires_in","scope"}` |
 * | `GET /v1/accounts/{name}/token?type=id_token&min_ttl=` | `{"id_token","expires_at","expires_in"}` (the ID token's own `exp`) |
 * | `GET /v1/accounts/{name}/token?audience=&resource=&scope=` | the access token body for a token exchanged for that audience/resource (RFC 8693) |
 * | `POST /v1/accounts/{name}/refresh` | the access token body, freshly obtained |
 * | `POST /v1/accounts/{name}/dpop-proof` `{"htm","htu","nonce"?,"scope"?,"audience"?,"resource"?}` | `{"proof","expires_at"}` (RFC 9449, bound to the current access token — or the scoped / exchanged one named) |
 * | `GET /v1/accounts/{name}/kubernetes-credential?token_type=&min_ttl=` | `{"token","token_type","expires_at","expires_in"}`: the account's `kubernetes.tokenType` unless `token_type` names one |
 * | `GET /v1/git/credential?host=&path=` | the access token body plus `"account","username"` for the account whose git hosts match |
 * | `GET /v1/registry/credential?host=` | the same for the account whose registry hosts match (the docker credential helper) |
 * | `GET /v1/registry/hosts` | `{"<host>":"<username>",…}`: every configured registry host |
 * | admin: `POST /v1/accounts` `{"account":AccountInput,"secrets":{"clientSecret"?,"privateKeyPem"?},"check"?}` | 201 + the account (the provider is checked first unless `"check": false`) |
 * | admin: `GET /v1/accounts/{name}` | {@link AccountDetailBody}: configuration, token state, which secrets are held |
 * | admin: `PUT /v1/accounts/{name}` `{"account":AccountInput,"secrets"?,"check"?}` | the account, replaced (same name) |
 * | admin: `POST /v1/accounts/{name}/rename` `{"name"}` | the account under its new name, tokens kept |
 * | admin: `DELETE /v1/accounts/{name}` | `{"removed"}` |
 * | admin: `GET /v1/audit?account=&since=&limit=` | `[{"at","account","client","outcome","code"?,"kind"?,"method"?,"host"?,"status"?,"caller"?}]`, newest first, `at` in epoch seconds |
 * | admin: `POST /v1/accounts/{name}/login` `{"noBrowser"?,"username"?,"password"?,"allow_other_user"?}` | NDJSON {@link LoginStreamLine}s: `{"progress":{"account","phase",…}}`… then `{"result":"ok","account"}` or `{"error":{…},"status"}` |
 * | admin: `POST /v1/accounts/{name}/logout` | `{"logged_out"}` |
 * | admin: `POST /v1/proxies` `{"account","upstream","listen"?,"socket"?}` | NDJSON: `{"proxy":{"account","upstream","url"}}`, then open until the client closes it (which stops the proxy), or `{"error":{…},"status"}` |
 *
 * Times are epoch seconds (`null` when unknown). Errors are `{"error":{"code","message"}}`
 * (plus `oauth_error`/`oauth_error_description` from the provider) with the status from
 * {@link httpStatusForError}. Read routes are served on every listener; admin routes only on the
 * Unix socket, whose file permissions are the authentication. On the TCP listener they do not
 * exist (404). Closing a login request cancels the sign-in. Only access and ID tokens ever leave.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallerInfo } from '../../shared/caller.js';
import type { AccountInput } from '../accounts/model.js';
import type { AccountSecretsInput, BrokerService, SignInProgress, TokenHandout, TokenRequest } from '../broker/types.js';
import type { ProxySpec } from '../proxy/account-proxy.js';
import type { RunningProxy } from '../proxy/proxy-server.js';
import { BrokerError, isBrokerError, toBrokerError, type ErrorCode } from '../errors.js';
import type { Clock, Logger } from '../ports.js';
import { BROKER_VERSION } from '../version.js';
import { hasBody, parseJsonObject, readBody } from './body.js';
import { kubernetesTokenTypeOf, registryUsernameOf } from '../accounts/consumer-defaults.js';
import { isKubernetesTokenType } from '../../shared/consumers.js';
import { findGitAccount } from './git-match.js';
import { httpStatusForError } from './http-status.js';
import type { TcpListenerStatus } from './tcp-listener.js';
import { findRegistryAccount, listRegistryHosts } from './registry-match.js';
import {
  sanitizeClientName,
  toAccountBody,
  toAccountDetailBody,
  toAuditEntryBody,
  toErrorBody,
  toHealthBody,
  toIdTokenBody,
  toKubernetesCredentialBody,
  toLoginProgressBody,
  toTokenBody,
  type AccountDetailBody,
  type LoginStreamLine,
} from './wire.js';

/** The operations behind the admin endpoints; by default the broker itself. */
export type AdminPort = Pick<
  BrokerService,
  'addAccount' | 'updateAccount' | 'renameAccount' | 'checkAccount' | 'removeAccount' | 'signIn' | 'cancelSignIn' | 'logout' | 'getAccount'
>;

/** Starts an authenticating proxy (`POST /v1/proxies`); the caller closes it. */
export type ProxyStarter = (spec: ProxySpec) => Promise<RunningProxy>;

export interface RouteDeps {
  broker: BrokerService;
  admin: AdminPort | undefined;
  /** Proxies on request (admin, socket only); without it `POST /v1/proxies` is not found. */
  proxies?: ProxyStarter | undefined;
  clock: Clock;
  logger: Logger;
  bodyLimit: number;
  /** The TCP listener's state, for `GET /v1/health` (a squatted port shows up there). */
  tcpStatus?: () => TcpListenerStatus;
}

/**
 * What the listener knows about a connection: one object per connection (made when it is
 * accepted), passed with every request on it — nothing is allocated per request.
 */
export interface RequestContext {
  /** True on the TCP listener: admin routes are hidden. */
  readonly tcp: boolean;
  /** Who is on the other end: the socket's verified peer, or unverified (TCP). */
  readonly caller: CallerInfo;
}

const JSON_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
} as const;

const MAX_TTL_SECONDS = 366 * 24 * 3600;
const MAX_SCOPE_LENGTH = 2048;

/** {@link JSON_HEADERS} as the flat `[name, value, …]` list `writeHead` takes without copying. */
const JSON_HEADER_LIST: readonly string[] = Object.entries(JSON_HEADERS).flat();

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const payload = JSON.stringify(body);
  const head = [...JSON_HEADER_LIST, 'Content-Length', String(Buffer.byteLength(payload))];
  if (headers !== undefined) {
    for (const name of Object.keys(headers)) head.push(name, headers[name] as string);
  }
  res.writeHead(status, head);
  res.end(payload);
}

export function sendError(res: ServerResponse, error: BrokerError, headers?: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const extra = error.code === 'PAYLOAD_TOO_LARGE' ? { Connection: 'close', ...headers } : headers;
  sendJson(res, httpStatusForError(error.code), toErrorBody(error.toJSON()), extra);
}

function fail(code: ErrorCode, message: string): never {
  throw new BrokerError(code, message);
}

function decodeName(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return fail('INVALID_REQUEST', 'The account name in the path is not valid percent-encoding.');
  }
}

function parseMinTtl(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value) || Number(value) > MAX_TTL_SECONDS) {
    fail('INVALID_REQUEST', `min_ttl must be a whole number of seconds between 0 and ${MAX_TTL_SECONDS}.`);
  }
  return Number(value);
}

function parseScope(value: string | null): string | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (value.length > MAX_SCOPE_LENGTH) fail('INVALID_REQUEST', 'scope is too long.');
  return value.trim().split(/\s+/).join(' ');
}

/** A query parameter that is absent, or present once and not empty. */
function optionalParam(query: URLSearchParams, key: string): string | undefined {
  const value = query.get(key);
  if (value === null) return undefined;
  if (value === '' || query.getAll(key).length > 1) fail('INVALID_REQUEST', `${key} must be given once and not be empty.`);
  return value;
}

/** `since` in epoch seconds (fraction allowed) → epoch ms. */
function parseSince(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  if (!/^\d{1,12}(\.\d{1,6})?$/.test(value)) fail('INVALID_REQUEST', 'since must be epoch seconds.');
  return Number(value) * 1000;
}

const MAX_AUDIT_LIMIT = 100_000;

function parseLimit(value: string | null): number {
  if (value === null || value === '') return MAX_AUDIT_LIMIT;
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1) fail('INVALID_REQUEST', `limit must be a whole number from 1 to ${MAX_AUDIT_LIMIT}.`);
  return Number(value);
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail('INVALID_REQUEST', `"${key}" must be a string.`);
  return value;
}

type Route =
  | { kind: 'health' }
  | { kind: 'accounts' }
  | { kind: 'account'; name: string }
  | { kind: 'token' | 'refresh' | 'login' | 'logout' | 'rename' | 'kubernetes' | 'dpop-proof'; name: string }
  | { kind: 'git' | 'registry' | 'registry-hosts' }
  | { kind: 'audit' }
  | { kind: 'proxies' };

function matchRoute(path: string): Route | undefined {
  if (path === '/v1/health') return { kind: 'health' };
  if (path === '/v1/accounts') return { kind: 'accounts' };
  if (path === '/v1/git/credential') return { kind: 'git' };
  if (path === '/v1/registry/credential') return { kind: 'registry' };
  if (path === '/v1/registry/hosts') return { kind: 'registry-hosts' };
  if (path === '/v1/audit') return { kind: 'audit' };
  if (path === '/v1/proxies') return { kind: 'proxies' };
  const parts = path.split('/');
  // ['', 'v1', 'accounts', name, action?]
  if (parts[1] !== 'v1' || parts[2] !== 'accounts' || parts[3] === undefined || parts[3] === '') return undefined;
  if (parts.length === 4) return { kind: 'account', name: decodeName(parts[3]) };
  if (parts.length !== 5) return undefined;
  const action = parts[4];
  if (
    action === 'token' ||
    action === 'refresh' ||
    action === 'login' ||
    action === 'logout' ||
    action === 'rename' ||
    action === 'dpop-proof'
  ) {
    return { kind: action, name: decodeName(parts[3]) };
  }
  if (action === 'kubernetes-credential') return { kind: 'kubernetes', name: decodeName(parts[3]) };
  return undefined;
}

/** Distinct request paths whose routes are remembered; a script asks for the same path every time. */
const ROUTE_CACHE_SIZE = 256;
const ROUTE_CACHEABLE_LENGTH = 256;
const routes = new Map<string, Route>();

/**
 * {@link matchRoute}, remembered per path: a repeated path costs one map lookup instead of a
 * split, a percent-decode and a new route object per request. Routes are never modified, so one
 * object serves every request for its path. Only matches are kept, and only for short paths.
 */
function routeOf(path: string): Route | undefined {
  let route = routes.get(path);
  if (route === undefined) {
    route = matchRoute(path);
    if (route !== undefined && path.length <= ROUTE_CACHEABLE_LENGTH) {
      if (routes.size >= ROUTE_CACHE_SIZE) routes.clear();
      routes.set(path, route);
    }
  }
  return route;
}

/** Allowed methods per route; admin ones marked so the TCP listener can hide them. */
const METHODS: Record<Route['kind'], Record<string, 'read' | 'admin'>> = {
  health: { GET: 'read' },
  accounts: { GET: 'read', POST: 'admin' },
  account: { GET: 'admin', PUT: 'admin', DELETE: 'admin' },
  token: { GET: 'read' },
  refresh: { POST: 'read' },
  login: { POST: 'admin' },
  logout: { POST: 'admin' },
  rename: { POST: 'admin' },
  git: { GET: 'read' },
  kubernetes: { GET: 'read' },
  registry: { GET: 'read' },
  'registry-hosts': { GET: 'read' },
  audit: { GET: 'admin' },
  'dpop-proof': { POST: 'read' },
  proxies: { POST: 'admin' },
};

/** Methods each listener offers per route, computed once (the hot path allocates nothing for this). */
const VISIBLE: Record<'socket' | 'tcp', Record<Route['kind'], string[]>> = {
  socket: mapRoutes((methods) => Object.keys(methods)),
  tcp: mapRoutes((methods) => Object.keys(methods).filter((m) => methods[m] !== 'admin')),
};

function mapRoutes(pick: (methods: Record<string, 'read' | 'admin'>) => string[]): Record<Route['kind'], string[]> {
  return Object.fromEntries(Object.entries(METHODS).map(([kind, methods]) => [kind, pick(methods)])) as Record<Route['kind'], string[]>;
}
const NO_QUERY = new URLSearchParams();

/** Distinct `X-Token-Broker-Client` values remembered; a script sends the same one every time. */
const CLIENT_NAME_CACHE_SIZE = 256;
const CLIENT_HEADER_CACHEABLE_LENGTH = 256;

/** Builds the request handler shared by the socket and the TCP listener. */
export function createRouter(deps: RouteDeps): (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => void {
  const { broker, clock, logger } = deps;

  async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
    return parseJsonObject(await readBody(req, deps.bodyLimit));
  }

  // Raw header → sanitized name: skips the regex per request, and hands the audit ring one
  // long-lived string per client instead of a fresh copy per hand-out.
  const clientNames = new Map<string, string>();
  function clientName(header: string | string[] | undefined): string {
    if (typeof header !== 'string' || header.length > CLIENT_HEADER_CACHEABLE_LENGTH) return sanitizeClientName(header);
    let name = clientNames.get(header);
    if (name === undefined) {
      if (clientNames.size >= CLIENT_NAME_CACHE_SIZE) clientNames.clear();
      name = sanitizeClientName(header);
      clientNames.set(header, name);
    }
    return name;
  }

  function adminPort(): AdminPort {
    return deps.admin ?? fail('NOT_FOUND', 'Admin endpoints are disabled on this listener.');
  }

  /**
   * Routes one request. Synchronous up to the first wait: a cached token is answered within this
   * call — no promise, no microtask turn, like the bare node:http floor the hand-out path is
   * measured against (bench/api.bench.ts) — and a request that has to wait returns its promise.
   * Throws (or rejects) BrokerError for the caller to answer.
   */
  function handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> | undefined {
    let url = req.url ?? '/';
    // Absolute-form request targets (RFC 9112 §3.2.2) are accepted like origin-form ones.
    if (!url.startsWith('/')) url = url.replace(/^https?:\/\/[^/?#]*/i, '') || '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? NO_QUERY : new URLSearchParams(url.slice(q + 1));
    const route = routeOf(path);
    const visible = route === undefined ? [] : VISIBLE[ctx.tcp ? 'tcp' : 'socket'][route.kind];
    if (route === undefined || visible.length === 0) fail('NOT_FOUND', `No such endpoint: ${req.method ?? ''} ${path.slice(0, 200)}`);
    const method = req.method ?? 'GET';
    if (!visible.includes(method)) {
      sendError(res, new BrokerError('METHOD_NOT_ALLOWED', `${method} is not allowed here; use ${visible.join(', ')}.`), {
        Allow: visible.join(', '),
      });
      return undefined;
    }
    const client = clientName(req.headers['x-token-broker-client']);
    // Bodies are read (bounded) even where unused, so a large one cannot linger on the connection.
    if (hasBody(req)) return body(req).then((input) => dispatch(res, ctx, route, method, query, client, input));
    return dispatch(res, ctx, route, method, query, client, {});
  }

  /** The route's work once the body (if any) is read: an answer now, or the promise of one. */
  function dispatch(
    res: ServerResponse,
    ctx: RequestContext,
    route: Route,
    method: string,
    query: URLSearchParams,
    client: string,
    input: Record<string, unknown>,
  ): Promise<void> | undefined {
    switch (route.kind) {
      case 'health':
        sendJson(res, 200, toHealthBody(BROKER_VERSION, deps.tcpStatus?.() ?? { state: 'off' }));
        return undefined;
      case 'accounts':
        if (method !== 'GET') return addAccount(res, input);
        sendJson(res, 200, broker.listAccounts().map(toAccountBody));
        return undefined;
      case 'account':
        if (method === 'PUT') return updateAccount(res, route.name, input);
        if (method !== 'GET') return removeAccount(res, route.name);
        {
          const detail: AccountDetailBody = toAccountDetailBody(adminPort().getAccount(route.name), broker.tokenDetails(route.name));
          sendJson(res, 200, detail);
        }
        return undefined;
      case 'token':
      case 'refresh':
        return token(res, route.kind, route.name, query, client, ctx.caller);
      case 'logout':
        return logout(res, route.name);
      case 'login':
        return login(res, route.name, input);
      case 'dpop-proof':
        return dpopProof(res, route.name, input, client, ctx.caller);
      case 'proxies':
        return proxy(res, input);
      case 'rename':
        return rename(res, route.name, input);
      case 'audit': {
        const account = query.get('account') ?? undefined;
        const since = parseSince(query.get('since'));
        const limit = parseLimit(query.get('limit'));
        const entries = broker.auditLog(account === undefined ? {} : { account });
        const shown = (since === undefined ? entries : entries.filter((e) => e.at >= since)).slice(0, limit);
        sendJson(res, 200, shown.map(toAuditEntryBody));
        return undefined;
      }
      case 'git':
        return gitCredential(res, query, client, ctx.caller);
      case 'kubernetes':
        return kubernetesCredential(res, route.name, query, client, ctx.caller);
      case 'registry':
        return registryCredential(res, query, client, ctx.caller);
      case 'registry-hosts':
        sendJson(
          res,
          200,
          listRegistryHosts(
            broker.listAccounts().map((summary) => summary.config),
            registryUsernameOf,
          ),
        );
        return undefined;
    }
  }

  /**
   * `GET …/token` and `POST …/refresh` (access tokens; `type=id_token` goes to {@link idToken}).
   * A cached token is answered at once through the broker's synchronous `cachedToken`; anything
   * else waits for `getToken`/`refresh`.
   */
  function token(
    res: ServerResponse,
    kind: 'token' | 'refresh',
    name: string,
    query: URLSearchParams,
    client: string,
    caller: CallerInfo,
  ): Promise<void> | undefined {
    // No query string (the common case): nothing to parse, and the request is one literal.
    const request = query === NO_QUERY ? { client, caller } : tokenRequest(kind, name, query, client, caller);
    if (request === undefined) return idToken(res, kind, name, query.get('type') as string, query, client, caller);
    const cached = kind === 'token' ? broker.cachedToken(name, request) : undefined;
    if (cached !== undefined) {
      sendToken(res, cached);
      return undefined;
    }
    return fetchToken(res, kind, name, request);
  }

  /** The broker's request from the query string; undefined for `type=id_token` (or another type: refused there). */
  function tokenRequest(
    kind: 'token' | 'refresh',
    name: string,
    query: URLSearchParams,
    client: string,
    caller: CallerInfo,
  ): TokenRequest | undefined {
    const type = query.get('type');
    if (type !== null && type !== 'access_token') return undefined;
    // Inline rather than through auditedIfRefused: no closure per hand-out on the hot path.
    try {
      return {
        minTtl: parseMinTtl(query.get('min_ttl')),
        scope: parseScope(query.get('scope')),
        client,
        caller,
        audience: optionalParam(query, 'audience'),
        resource: optionalParam(query, 'resource'),
      };
    } catch (error) {
      // Refused before reaching the broker: audited all the same.
      broker.recordRefusal(name, { client, caller }, toBrokerError(error));
      throw error;
    }
  }

  async function fetchToken(res: ServerResponse, kind: 'token' | 'refresh', name: string, request: TokenRequest): Promise<void> {
    sendToken(res, kind === 'token' ? await broker.getToken(name, request) : await broker.refresh(name, request));
  }

  // Response bodies of frozen hand-outs: the broker gives every cached hit of the same second the
  // same frozen object (token-service.ts), so its JSON is encoded once, not once per request.
  // Weak: an entry goes with its hand-out.
  const tokenBodies = new WeakMap<TokenHandout, { payload: string; length: string }>();

  function sendToken(res: ServerResponse, handout: TokenHandout): void {
    let body = tokenBodies.get(handout);
    if (body === undefined) {
      // The broker's hand-outs carry expiresIn; the clock is read only for one that does not.
      const timeless = handout.expiresAt === undefined || handout.expiresIn !== undefined;
      const payload = JSON.stringify(toTokenBody(handout, timeless ? 0 : clock.now()));
      body = { payload, length: String(Buffer.byteLength(payload)) };
      // Only an object that cannot change (and whose body does not depend on the time) is remembered.
      if (timeless && Object.isFrozen(handout)) tokenBodies.set(handout, body);
    }
    res.writeHead(200, [...JSON_HEADER_LIST, 'Content-Length', body.length]);
    res.end(body.payload);
  }

  async function removeAccount(res: ServerResponse, name: string): Promise<void> {
    await adminPort().removeAccount(name);
    sendJson(res, 200, { removed: name });
  }

  async function logout(res: ServerResponse, name: string): Promise<void> {
    await adminPort().logout(name);
    sendJson(res, 200, { logged_out: name });
  }

  async function rename(res: ServerResponse, name: string, input: Record<string, unknown>): Promise<void> {
    const newName = optionalString(input, 'name');
    if (newName === undefined) fail('INVALID_REQUEST', 'Send {"name": "NEW_NAME"}.');
    sendJson(res, 200, toAccountBody(await adminPort().renameAccount(name, newName)));
  }

  async function dpopProof(res: ServerResponse, name: string, input: Record<string, unknown>, client: string, caller: CallerInfo) {
    const request = auditedIfRefused(name, client, caller, () => {
      const htm = optionalString(input, 'htm');
      const htu = optionalString(input, 'htu');
      if (htm === undefined || htu === undefined)
        fail('INVALID_REQUEST', 'Send {"htm": "GET", "htu": "https://api.example.com/path", "nonce"?: "…"}.');
      return {
        htm,
        htu,
        nonce: optionalString(input, 'nonce'),
        scope: optionalString(input, 'scope'),
        audience: optionalString(input, 'audience'),
        resource: optionalString(input, 'resource'),
        client,
        caller,
      };
    });
    const proof = await broker.dpopProof(name, request);
    sendJson(res, 200, { proof: proof.proof, expires_at: Math.floor(proof.expiresAt / 1000) });
  }

  async function gitCredential(res: ServerResponse, query: URLSearchParams, client: string, caller: CallerInfo): Promise<void> {
    const host = query.get('host');
    if (host === null || host === '') fail('INVALID_REQUEST', 'host is required.');
    const match = findGitAccount(broker.listAccounts(), host, query.get('path') ?? undefined);
    if (match === undefined) fail('ACCOUNT_NOT_FOUND', `No account is configured for git host ${host.slice(0, 253)}.`);
    const handout = await broker.getToken(match.account, {
      client: client === 'unknown' ? 'git' : client,
      caller,
      minTtl: 60,
    });
    sendJson(res, 200, { account: match.account, username: match.username, ...toTokenBody(handout, clock.now()) });
  }

  async function registryCredential(res: ServerResponse, query: URLSearchParams, client: string, caller: CallerInfo): Promise<void> {
    const host = query.get('host');
    if (host === null || host.trim() === '') fail('INVALID_REQUEST', 'host is required.');
    const account = findRegistryAccount(
      broker.listAccounts().map((summary) => summary.config),
      host,
    );
    if (account === undefined) fail('ACCOUNT_NOT_FOUND', `No account is configured for registry ${host.slice(0, 253)}.`);
    const handout = await broker.getToken(account.name, {
      client: client === 'unknown' ? 'docker-credential' : client,
      caller,
      minTtl: 60,
    });
    sendJson(res, 200, { account: account.name, username: registryUsernameOf(account), ...toTokenBody(handout, clock.now()) });
  }

  /** `GET …/token?type=id_token`: the ID token with its own expiry. */
  async function idToken(
    res: ServerResponse,
    kind: 'token' | 'refresh',
    name: string,
    type: string,
    query: URLSearchParams,
    client: string,
    caller: CallerInfo,
  ) {
    const request = auditedIfRefused(name, client, caller, () => {
      if (type !== 'id_token') fail('INVALID_REQUEST', 'type must be access_token (the default) or id_token.');
      if (kind === 'refresh')
        fail('INVALID_REQUEST', 'type=id_token goes with GET …/token; the broker renews an expiring ID token by itself.');
      if (query.get('scope') !== null) fail('INVALID_REQUEST', 'scope does not apply to ID tokens; drop it or ask for the access token.');
      return { minTtl: parseMinTtl(query.get('min_ttl')), client, caller };
    });
    const handout = await broker.getIdToken(name, request);
    sendJson(res, 200, toIdTokenBody(handout));
  }

  /**
   * Runs the checks of a hand-out request that come before the broker; a request they refuse is
   * audited all the same (`refused`, issue 10), then the error goes on to the caller.
   */
  function auditedIfRefused<T>(name: string, client: string, caller: CallerInfo, check: () => T): T {
    try {
      return check();
    } catch (error) {
      broker.recordRefusal(name, { client, caller }, toBrokerError(error));
      throw error;
    }
  }

  /** kubectl's credential: the ID token or the access token, as the account (or `token_type`) says. */
  async function kubernetesCredential(
    res: ServerResponse,
    name: string,
    query: URLSearchParams,
    client: string,
    caller: CallerInfo,
  ): Promise<void> {
    const claimed = client === 'unknown' ? 'kubectl' : client;
    const { tokenType, request } = auditedIfRefused(name, claimed, caller, () => {
      const asked = query.get('token_type');
      if (asked !== null && !isKubernetesTokenType(asked)) fail('INVALID_REQUEST', 'token_type must be id_token or access_token.');
      return {
        tokenType: asked ?? kubernetesTokenTypeOf(broker.getAccount(name).config),
        request: { minTtl: parseMinTtl(query.get('min_ttl')), client: claimed, caller },
      };
    });
    const now = clock.now();
    const body =
      tokenType === 'id_token'
        ? toKubernetesCredentialBody('id_token', toIdTokenBody(await broker.getIdToken(name, request)))
        : toKubernetesCredentialBody('access_token', toTokenBody(await broker.getToken(name, request), now));
    sendJson(res, 200, body);
  }

  /** `{"account": {...}, "secrets": {...}, "check"?: boolean}` → the account input, its secrets, whether to ask the provider. */
  function accountRequest(input: Record<string, unknown>): { account: AccountInput; secrets: AccountSecretsInput; check: boolean } {
    const account = input.account;
    if (typeof account !== 'object' || account === null || Array.isArray(account)) {
      fail('INVALID_REQUEST', 'Send {"account": {...}, "secrets": {...}}.');
    }
    const rawSecrets = (input.secrets ?? {}) as Record<string, unknown>;
    if (typeof rawSecrets !== 'object' || rawSecrets === null) fail('INVALID_REQUEST', '"secrets" must be an object.');
    const secrets: AccountSecretsInput = {};
    const clientSecret = optionalString(rawSecrets, 'clientSecret');
    const privateKeyPem = optionalString(rawSecrets, 'privateKeyPem');
    if (clientSecret !== undefined) secrets.clientSecret = clientSecret;
    if (privateKeyPem !== undefined) secrets.privateKeyPem = privateKeyPem;
    if (input.check !== undefined && typeof input.check !== 'boolean') fail('INVALID_REQUEST', '"check" must be true or false.');
    return { account: account as AccountInput, secrets, check: input.check !== false };
  }

  async function addAccount(res: ServerResponse, input: Record<string, unknown>): Promise<void> {
    const admin = adminPort();
    const { account, secrets, check } = accountRequest(input);
    // An existing name is the answer before any provider is asked.
    if (typeof account.name === 'string' && broker.listAccounts().some((a) => a.name === account.name)) {
      fail('ACCOUNT_EXISTS', `An account named '${account.name}' already exists.`);
    }
    // The broker validates the account against the config schema (the message names the field).
    if (check) await admin.checkAccount(account);
    const summary = await admin.addAccount(account, secrets);
    sendJson(res, 201, toAccountBody(summary));
  }

  async function updateAccount(res: ServerResponse, name: string, input: Record<string, unknown>): Promise<void> {
    const admin = adminPort();
    admin.getAccount(name); // 404 before the provider is asked
    const { account, secrets, check } = accountRequest(input);
    if (check) await admin.checkAccount(account);
    sendJson(res, 200, toAccountBody(await admin.updateAccount(name, account, secrets)));
  }

  /**
   * Runs a proxy for as long as the request stays open: the first NDJSON line says where it
   * listens; closing the request (the CLI's Ctrl-C) stops it.
   */
  async function proxy(res: ServerResponse, input: Record<string, unknown>): Promise<void> {
    adminPort();
    const start = deps.proxies ?? fail('NOT_FOUND', 'This broker runs no proxies on request.');
    const account = optionalString(input, 'account');
    const upstream = optionalString(input, 'upstream');
    if (account === undefined || upstream === undefined) fail('INVALID_REQUEST', 'Send {"account", "upstream", "listen"? | "socket"?}.');
    // Listened for before the proxy starts: a client gone meanwhile must not leave it running.
    const gone = new Promise<void>((resolve) => res.once('close', resolve));
    const running = await start({ account, upstream, listen: optionalString(input, 'listen'), socket: optionalString(input, 'socket') });
    if (!res.destroyed) {
      res.writeHead(200, {
        'Content-Type': 'application/x-ndjson; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
      });
      res.write(`${JSON.stringify({ proxy: { account, upstream, url: running.url } })}\n`);
      await gone;
    }
    await running.close();
  }

  /**
   * Streams sign-in progress as NDJSON so a terminal can show the URL or user code while the
   * request is still open; closing the request cancels the sign-in.
   */
  async function login(res: ServerResponse, name: string, input: Record<string, unknown>): Promise<void> {
    const admin = adminPort();
    admin.getAccount(name); // 404 before the stream starts
    const username = optionalString(input, 'username');
    const password = optionalString(input, 'password');
    const noBrowser = input.noBrowser === true;
    const allowOtherUser = input.allow_other_user === true;
    const controller = new AbortController();
    let finished = false;
    res.on('close', () => {
      if (!finished) {
        controller.abort();
        admin.cancelSignIn(name);
      }
    });
    res.writeHead(200, {
      'Content-Type': 'application/x-ndjson; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    const line = (value: LoginStreamLine): void => {
      if (!res.writableEnded) res.write(`${JSON.stringify(value)}\n`);
    };
    try {
      await admin.signIn(name, {
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
        noBrowser,
        ...(allowOtherUser ? { allowOtherUser } : {}),
        signal: controller.signal,
        onProgress: (progress: SignInProgress) => line({ progress: toLoginProgressBody(progress) }),
      });
      line({ result: 'ok', account: toAccountBody(broker.getAccount(name)) });
    } catch (error) {
      const brokerError = toBrokerError(error, 'Sign-in failed unexpectedly.');
      line({ ...toErrorBody(brokerError.toJSON()), status: httpStatusForError(brokerError.code) });
    } finally {
      finished = true;
      res.end();
    }
  }

  /** The answer to a request that failed: its error as JSON (an unexpected one logged, by kind only). */
  function answerFailure(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    const brokerError = toBrokerError(error, 'Internal error in the token API.');
    if (!isBrokerError(error)) {
      logger.error(
        `[api] internal error on ${req.method ?? ''} ${(req.url ?? '').split('?')[0]}: ${error instanceof Error ? error.name : typeof error}`,
      );
    }
    sendError(res, brokerError);
    if (brokerError.code === 'PAYLOAD_TOO_LARGE') req.socket.end();
  }

  return (req, res, ctx) => {
    let pending: Promise<void> | undefined;
    try {
      pending = handle(req, res, ctx);
    } catch (error) {
      answerFailure(req, res, error);
      return;
    }
    pending?.catch((error: unknown) => answerFailure(req, res, error));
  };
}
