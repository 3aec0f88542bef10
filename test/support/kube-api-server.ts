/**
 * A small HTTPS Kubernetes API server for tests: just enough of kube-apiserver for real
 * `kubectl` (`get --raw /api`, `version`, `auth whoami`), authenticating bearer tokens exactly
 * the way kube-apiserver's OIDC authenticator does when configured with the flags kubelogin's
 * setup guide uses (`--oidc-issuer-url`, `--oidc-client-id`, `--oidc-username-claim`,
 * `--oidc-username-prefix`, `--oidc-groups-claim`), with anonymous requests disabled:
 *
 * - the bearer token must be a JWS compact JWT signed with RS256 (`--oidc-signing-algs`'s
 *   default) by a key from the issuer's JWKS (found through its discovery document, refetched
 *   for an unknown `kid`);
 * - `iss` equals the issuer URL exactly; `aud` contains the client id; `exp` is in the future
 *   (no leeway, as go-oidc); `nbf`, when present, is not more than 5 minutes ahead;
 * - the username comes from the username claim (default `sub`), prefixed with `ISSUER#` unless
 *   the claim is `email` or a prefix is configured (`-` = none); with `email`, an
 *   `email_verified` claim, when present, must be true.
 *
 * Anything else (no token, an opaque access token, a foreign audience, an expired or unsigned
 * token) gets kube-apiserver's 401 `Status`. Every request is recorded (never the token).
 *
 * @see https://kubernetes.io/docs/reference/access-authn-authz/authentication/#openid-connect-tokens
 * @see https://github.com/int128/kubelogin/blob/master/docs/setup.md
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { createTestPki, type TestPki } from './test-pki.js';

export interface KubeApiServerOptions {
  /** `--oidc-issuer-url`: must equal the discovery document's `issuer` and the tokens' `iss`. */
  issuer: string;
  /** `--oidc-client-id`: a token's `aud` must contain it. */
  clientId: string;
  /** `--oidc-username-claim`; default `sub`. */
  usernameClaim?: string;
  /** `--oidc-username-prefix`; default `ISSUER#` unless the claim is `email`; `-` disables it. */
  usernamePrefix?: string;
  /** `--oidc-groups-claim`; none by default. */
  groupsClaim?: string;
  /** Use this PKI's CA for the server certificate; by default the server makes its own (removed on close). */
  pki?: TestPki;
}

export interface KubeApiRequest {
  method: string;
  path: string;
  status: number;
  /** The authenticated user, when authentication succeeded. */
  username?: string;
  /** Why authentication failed (for test diagnostics; never contains the token). */
  reason?: string;
}

export interface KubeApiServer {
  /** `https://127.0.0.1:PORT`. */
  url: string;
  /** The CA certificate file a kubeconfig's `certificate-authority` should name. */
  caFile: string;
  caCertPem: string;
  /** Every request in arrival order. */
  requests: KubeApiRequest[];
  /** Authenticates a bearer token as the server would, without an HTTP request. */
  authenticate(token: string): Promise<AuthResult>;
  close(): Promise<void>;
}

export type AuthResult = { ok: true; username: string; groups: string[] } | { ok: false; reason: string };

/** The version the server reports; the kubectl dispatcher picks its client by it. */
export const KUBE_SERVER_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0' } as const;
/** go-oidc's allowance for `nbf` in the future. */
const NBF_SKEW_SECONDS = 300;

interface Discovery {
  issuer?: unknown;
  jwks_uri?: unknown;
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'content-type': 'application/json',
    'cache-control': 'no-cache, private',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function drain(req: IncomingMessage): Promise<string> {
  let text = '';
  req.setEncoding('utf8');
  for await (const chunk of req) {
    text += chunk as string;
    if (text.length > 64 * 1024) throw new Error('request body too large');
  }
  return text;
}

/** Starts the server on 127.0.0.1 with an OS-assigned port and a fresh certificate for 127.0.0.1. */
export async function startKubeApiServer(options: KubeApiServerOptions): Promise<KubeApiServer> {
  const ownPki = options.pki === undefined;
  const pki = options.pki ?? (await createTestPki('Token Broker test cluster CA'));
  const serverCert = await pki.issue(`kube-apiserver-${Date.now().toString(36)}`, {
    commonName: 'kube-apiserver',
    ips: ['127.0.0.1'],
    dnsNames: ['localhost'],
  });

  const discovery = (await (await fetch(`${options.issuer}/.well-known/openid-configuration`)).json()) as Discovery;
  // kube-apiserver refuses to start when the discovery document names another issuer.
  if (discovery.issuer !== options.issuer) {
    throw new Error(`[kube-api-server] discovery issuer ${String(discovery.issuer)} is not ${options.issuer}`);
  }
  if (typeof discovery.jwks_uri !== 'string') throw new Error('[kube-api-server] the issuer has no jwks_uri');
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri), { cooldownDuration: 0 });

  const usernameClaim = options.usernameClaim ?? 'sub';
  const usernamePrefix =
    options.usernamePrefix === '-' ? '' : (options.usernamePrefix ?? (usernameClaim === 'email' ? '' : `${options.issuer}#`));
  const requests: KubeApiRequest[] = [];

  async function authenticate(token: string): Promise<AuthResult> {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      return { ok: false, reason: 'not a JWT' };
    }
    // kube-apiserver picks the authenticator by `iss`; a token of another issuer is not ours.
    if (unverified.iss !== options.issuer) return { ok: false, reason: 'issuer does not match' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: options.issuer,
        audience: options.clientId,
        algorithms: ['RS256'],
        clockTolerance: 0,
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: 'token is expired' };
      if (error instanceof joseErrors.JWTClaimValidationFailed) return { ok: false, reason: `claim ${error.claim} is invalid` };
      return { ok: false, reason: `verification failed (${error instanceof Error ? error.name : 'unknown'})` };
    }
    if (typeof payload.exp !== 'number') return { ok: false, reason: 'no exp claim' };
    if (typeof payload.nbf === 'number' && payload.nbf > Date.now() / 1000 + NBF_SKEW_SECONDS) {
      return { ok: false, reason: 'token is not valid yet' };
    }
    const claim = payload[usernameClaim];
    if (typeof claim !== 'string' || claim === '') return { ok: false, reason: `no ${usernameClaim} claim` };
    if (usernameClaim === 'email' && 'email_verified' in payload && payload.email_verified !== true) {
      return { ok: false, reason: 'email not verified' };
    }
    let groups: string[] = [];
    if (options.groupsClaim !== undefined) {
      const value = payload[options.groupsClaim];
      groups = typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((g): g is string => typeof g === 'string') : [];
    }
    return { ok: true, username: `${usernamePrefix}${claim}`, groups };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
    const method = req.method ?? 'GET';
    const record: KubeApiRequest = { method, path, status: 0 };
    requests.push(record);
    const reply = (code: number, body: unknown): void => {
      record.status = code;
      sendJson(res, code, body);
    };
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const result: AuthResult = match?.[1] ? await authenticate(match[1]) : { ok: false, reason: 'no bearer token' };
    if (!result.ok) {
      record.reason = result.reason;
      reply(401, status(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    record.username = result.username;
    const groups = [...result.groups, 'system:authenticated'];

    if (method === 'GET' && path === '/version') {
      reply(200, {
        ...KUBE_SERVER_VERSION,
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2024-12-11T00:00:00Z',
        goVersion: 'go1.23.4',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
    } else if (method === 'GET' && path === '/api') {
      const host = req.headers.host ?? '127.0.0.1';
      reply(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }] });
    } else if (method === 'GET' && path === '/apis') {
      reply(200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [
          {
            name: 'authentication.k8s.io',
            versions: [{ groupVersion: 'authentication.k8s.io/v1', version: 'v1' }],
            preferredVersion: { groupVersion: 'authentication.k8s.io/v1', version: 'v1' },
          },
        ],
      });
    } else if (method === 'POST' && path === '/apis/authentication.k8s.io/v1/selfsubjectreviews') {
      await drain(req);
      reply(201, {
        kind: 'SelfSubjectReview',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { creationTimestamp: null },
        status: { userInfo: { username: result.username, groups } },
      });
    } else {
      reply(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    }
  }

  const server: Server = createServer({ cert: serverCert.certPem, key: serverCert.keyPem }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, status(500, 'InternalError', 'internal error'));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closing: Promise<void> | undefined;

  return {
    url,
    caFile: pki.caCertPath,
    caCertPem: pki.caCertPem,
    requests,
    authenticate,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()));
          server.closeAllConnections();
        });
        if (ownPki) await pki.cleanup();
      })();
      return closing;
    },
  };
}

/** A kubeconfig (YAML) for the server whose user runs an exec credential plugin. */
export function execKubeconfig(options: {
  server: string;
  caFile: string;
  apiVersion: 'client.authentication.k8s.io/v1' | 'client.authentication.k8s.io/v1beta1';
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** v1 requires it; v1beta1 defaults to IfAvailable. */
  interactiveMode?: 'Never' | 'IfAvailable' | 'Always';
}): string {
  const q = (value: string): string => JSON.stringify(value);
  const lines = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test-cluster',
    '  cluster:',
    `    server: ${q(options.server)}`,
    `    certificate-authority: ${q(options.caFile)}`,
    'users:',
    '- name: test-user',
    '  user:',
    '    exec:',
    `      apiVersion: ${options.apiVersion}`,
    `      command: ${q(options.command)}`,
    `      args: [${options.args.map(q).join(', ')}]`,
  ];
  const env = Object.entries(options.env ?? {});
  if (env.length > 0) {
    lines.push('      env:');
    for (const [name, value] of env) lines.push(`      - name: ${q(name)}`, `        value: ${q(value)}`);
  }
  if (options.interactiveMode !== undefined) lines.push(`      interactiveMode: ${options.interactiveMode}`);
  lines.push('contexts:', '- name: test', '  context:', '    cluster: test-cluster', '    user: test-user', 'current-context: test', '');
  return lines.join('\n');
}
