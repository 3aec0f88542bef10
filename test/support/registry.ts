/**
 * A real container registry that takes an OAuth access token as the password, the way Google
 * Artifact Registry (`oauth2accesstoken`) and GitLab (`oauth2`) do: Debian's `docker-registry`
 * (distribution 2.8) configured with `auth: token`, in front of a small token server stand-in.
 *
 * The distribution token flow (what docker, podman and skopeo speak):
 * 1. the client's request to the registry is answered 401 with
 *    `WWW-Authenticate: Bearer realm="<token server>",service="…",scope="repository:test:pull"`;
 * 2. the client GETs the realm with `service` and `scope`, sending HTTP Basic credentials — the
 *    username and password its credential helper gave it;
 * 3. the token server checks them — here: the username must be the configured one and the
 *    password an active access token, which it asks the fixture authorization server through
 *    RFC 7662 introspection — and answers `{"token": <JWT>}`: an ES256 JWT whose `x5c` header
 *    carries a certificate issued by a CA the registry trusts (`rootcertbundle`), with the
 *    granted `access`;
 * 4. the client retries with `Authorization: Bearer <JWT>`, which the registry verifies itself.
 *
 * Both servers speak HTTPS with certificates from a per-run CA; `certDir` holds that CA as
 * `ca.crt` for skopeo's `--cert-dir` / `--src-cert-dir` / `--dest-cert-dir`.
 *
 * @see https://distribution.github.io/distribution/spec/auth/token/
 * @see https://distribution.github.io/distribution/spec/auth/jwt/
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importPKCS8, SignJWT } from 'jose';
import { createTestPki, pemToDerBase64, type IssuedCert, type TestPki } from './test-pki.js';

export const DOCKER_REGISTRY = process.env.DOCKER_REGISTRY_PATH ?? '/usr/bin/docker-registry';
export const SKOPEO = process.env.SKOPEO_PATH ?? '/usr/bin/skopeo';

/** The `service` both sides agree on (the registry's `auth.token.service`, the JWT's `aud`). */
const SERVICE = 'token-broker-test-registry';
const TOKEN_ISSUER = 'token-broker-test-token-server';
const REGISTRY_TOKEN_TTL_SECONDS = 300;
const START_TIMEOUT_MS = 20_000;

export interface Introspection {
  active: boolean;
  token_type?: unknown;
  sub?: unknown;
  client_id?: unknown;
}

export interface RegistryOptions {
  /** RFC 7662 introspection at the authorization server (the fixture's `server.introspect`). */
  introspect: (token: string) => Promise<Introspection>;
  /** The username the token server insists on; default `oauth2accesstoken` (Google's). */
  username?: string;
}

export interface TokenServerRequest {
  /** The Basic username sent, if any (never the password). */
  username?: string;
  scopes: string[];
  outcome: 'granted' | 'refused';
  reason?: string;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`: what a credential helper is asked about, and the image reference prefix. */
  host: string;
  /** `https://127.0.0.1:PORT`. */
  url: string;
  /** `https://127.0.0.1:PORT/token` (the realm). */
  realm: string;
  /** A directory holding the CA as `ca.crt`, for skopeo's cert-dir flags. */
  certDir: string;
  caCertPath: string;
  /** Every request the token server answered, in order. */
  tokenRequests: TokenServerRequest[];
  /** Everything the registry process wrote (for diagnostics). */
  registryLog(): string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** `repository:name:pull,push` → the access entry (distribution's resource scope grammar). */
function parseScope(scope: string): { type: string; name: string; actions: string[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter(Boolean),
  };
}

async function startTokenServer(
  options: RegistryOptions,
  tls: IssuedCert,
  signing: IssuedCert,
): Promise<{ server: Server; realm: string; requests: TokenServerRequest[] }> {
  const expectedUsername = options.username ?? 'oauth2accesstoken';
  const signingKey = await importPKCS8(signing.keyPem, 'ES256');
  const x5c = [pemToDerBase64(signing.certPem)];
  const requests: TokenServerRequest[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    if (url.pathname !== '/token' || req.method !== 'GET') {
      send(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'not found' }] });
      return;
    }
    const scopes = url.searchParams.getAll('scope').flatMap((scope) => scope.split(' ').filter(Boolean));
    const credentials = basicCredentials(req.headers.authorization);
    const record: TokenServerRequest = { scopes, outcome: 'refused' };
    if (credentials !== undefined) record.username = credentials.username;
    requests.push(record);
    const refuse = (reason: string): void => {
      record.reason = reason;
      send(
        res,
        401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
        { 'www-authenticate': `Basic realm="${SERVICE}"` },
      );
    };
    if (url.searchParams.get('service') !== SERVICE) return refuse('unknown service');
    if (credentials === undefined) return refuse('no credentials');
    if (credentials.username !== expectedUsername) return refuse('wrong username');
    const introspection = await options.introspect(credentials.password);
    if (!introspection.active) return refuse('token not active');
    // oidc-provider introspects refresh tokens too (without a token_type); only an access
    // token (token_type Bearer, RFC 7662 §2.2) is a credential here.
    if (introspection.token_type !== 'Bearer') return refuse('not an access token');

    const access = scopes.map(parseScope).filter((entry) => entry !== undefined && entry.type === 'repository');
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ access })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c })
      .setIssuer(TOKEN_ISSUER)
      .setSubject(typeof introspection.sub === 'string' ? introspection.sub : credentials.username)
      .setAudience(SERVICE)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + REGISTRY_TOKEN_TTL_SECONDS)
      .setJti(randomUUID())
      .sign(signingKey);
    record.outcome = 'granted';
    send(res, 200, { token, access_token: token, expires_in: REGISTRY_TOKEN_TTL_SECONDS, issued_at: new Date(now * 1000).toISOString() });
  }

  const server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { errors: [{ code: 'UNKNOWN', message: 'token server error' }] });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { server, realm: `https://127.0.0.1:${(server.address() as AddressInfo).port}/token`, requests };
}

function registryConfig(dir: string, tls: IssuedCert, realm: string, rootCertBundle: string): string {
  const q = (value: string): string => JSON.stringify(value);
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(join(dir, 'data'))}`,
    '  delete:',
    '    enabled: true',
    'http:',
    '  addr: 127.0.0.1:0',
    `  secret: ${q(randomBytes(16).toString('hex'))}`,
    '  tls:',
    `    certificate: ${q(tls.certPath)}`,
    `    key: ${q(tls.keyPath)}`,
    'auth:',
    '  token:',
    `    realm: ${q(realm)}`,
    `    service: ${q(SERVICE)}`,
    `    issuer: ${q(TOKEN_ISSUER)}`,
    `    rootcertbundle: ${q(rootCertBundle)}`,
    '',
  ].join('\n');
}

/** Starts docker-registry and resolves with its port once it logs that it listens. */
function spawnRegistry(configPath: string): Promise<{ child: ChildProcess; port: number; log: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER_REGISTRY, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let settled = false;
    const timer = setTimeout(
      () => fail(new Error(`[registry] docker-registry did not start within ${START_TIMEOUT_MS} ms:\n${output}`)),
      START_TIMEOUT_MS,
    );
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const onData = (chunk: string): void => {
      output += chunk;
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), log: () => output });
      }
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.stderr?.setEncoding('utf8').on('data', onData);
    child.once('error', (error) => fail(new Error(`[registry] cannot run ${DOCKER_REGISTRY}: ${error.message}`)));
    child.once('exit', (code) => fail(new Error(`[registry] docker-registry exited (${String(code)}) before listening:\n${output}`)));
  });
}

/** Starts the token server and the registry behind it, on OS-assigned ports. */
export async function startTestRegistry(options: RegistryOptions): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'tb-registry-'));
  let pki: TestPki | undefined;
  let tokenServer: Server | undefined;
  try {
    pki = await createTestPki('Token Broker test registry CA');
    const [tls, signing] = await Promise.all([
      pki.issue('registry-tls', { commonName: '127.0.0.1', ips: ['127.0.0.1'], dnsNames: ['localhost'] }),
      pki.issue('registry-token-signing', { commonName: TOKEN_ISSUER, usage: 'none' }),
    ]);
    const tokens = await startTokenServer(options, tls, signing);
    tokenServer = tokens.server;
    const configPath = join(dir, 'config.yml');
    await mkdir(join(dir, 'data'), { recursive: true });
    await writeFile(configPath, registryConfig(dir, tls, tokens.realm, pki.caCertPath), { mode: 0o600 });
    const certDir = join(dir, 'certs');
    await mkdir(certDir);
    await copyFile(pki.caCertPath, join(certDir, 'ca.crt'));
    const registry = await spawnRegistry(configPath);
    const host = `127.0.0.1:${registry.port}`;
    const ownPki = pki;
    const ownTokenServer = tokenServer;
    let closing: Promise<void> | undefined;
    return {
      host,
      url: `https://${host}`,
      realm: tokens.realm,
      certDir,
      caCertPath: pki.caCertPath,
      tokenRequests: tokens.requests,
      registryLog: registry.log,
      close() {
        closing ??= (async () => {
          if (registry.child.exitCode === null && registry.child.signalCode === null) {
            const exited = new Promise<void>((resolve) => registry.child.once('exit', () => resolve()));
            registry.child.kill('SIGTERM');
            await exited;
          }
          await new Promise<void>((resolve) => {
            ownTokenServer.close(() => resolve());
            ownTokenServer.closeAllConnections();
          });
          await ownPki.cleanup();
          await rm(dir, { recursive: true, force: true });
        })();
        return closing;
      },
    };
  } catch (error) {
    tokenServer?.close();
    await pki?.cleanup();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
