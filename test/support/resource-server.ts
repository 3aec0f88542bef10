/**
 * A test resource server (an API behind OAuth) on 127.0.0.1 with an OS-assigned port: the
 * protected resource for DPoP tests and the upstream for the authenticating proxy.
 *
 * With `introspect` it checks every request the way RFC 9449 §7 and RFC 6750 §2.1 say: the
 * access token through the authorization server's introspection endpoint (RFC 7662); a token
 * bound to a key (`cnf.jkt`) only with `Authorization: DPoP` and a valid proof of that key
 * (test/support/dpop-verifier.ts) — presented as `Bearer` it is refused; an unbound token only
 * as `Bearer`. Refusals are 401 with a `WWW-Authenticate` challenge (`invalid_token`,
 * `invalid_dpop_proof`, or `use_dpop_nonce` with a `DPoP-Nonce`). Without `introspect` it
 * serves everyone (a plain upstream, for measuring a proxy's own overhead).
 *
 * Routes (any path prefix works for `/echo`):
 * - `ANY /echo…` → JSON `{method, path, query, headers, bodyBytes, auth}` (credential headers
 *   are reported as present, never by value);
 * - `POST|PUT /upload` → streams the body through SHA-256 without keeping it: `{bytes, sha256}`;
 * - `GET /download?bytes=N` → N bytes of {@link downloadPattern}, written with backpressure;
 * - `GET /sse` → `text/event-stream`: event 0 at once, the rest once {@link ResourceServer.releaseStreams} is called;
 * - `GET /ws` (WebSocket upgrade) → echoes every message back;
 * - `failNext(n)` answers the next n requests `401 error="invalid_token"` whatever they carry.
 *
 * @see RFC 9449 §7, RFC 6750 §3, RFC 7662, RFC 6455
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { createDpopVerifier, DpopRefusal, type DpopVerifierOptions } from './dpop-verifier.js';

export type Introspect = (token: string) => Promise<{ active: boolean } & Record<string, unknown>>;

export interface ResourceServerOptions {
  /** Token check; without it every request is served (a plain upstream). */
  introspect?: Introspect;
  /** Demand the current server nonce in every DPoP proof (RFC 9449 §9). */
  requireNonce?: boolean;
  /** Require this `aud` in every token (e.g. for exchanged tokens). */
  audience?: string;
  /** Passed to the DPoP verifier (window, clock, algorithms). */
  dpop?: Omit<DpopVerifierOptions, 'requireNonce'>;
}

/** One request as the server saw it; tokens appear only as a short SHA-256 fingerprint. */
export interface ResourceRequest {
  method: string;
  path: string;
  status: number;
  scheme?: 'bearer' | 'dpop' | string;
  error?: string;
  sub?: string;
  clientId?: string;
  jkt?: string;
  tokenFingerprint?: string;
}

export interface ResourceServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  requests: ResourceRequest[];
  /** The nonce clients must put in proofs now. */
  nonce(): string;
  rotateNonce(): string;
  /** Answer the next `count` requests 401 invalid_token, as an API that revoked the token would. */
  failNext(count: number): void;
  /** SSE streams held open after their first event. */
  readonly openStreams: number;
  /** Lets every held SSE stream send its remaining events and end. */
  releaseStreams(): void;
  close(): Promise<void>;
}

interface Principal {
  scheme: string;
  sub?: string;
  clientId?: string;
  jkt?: string;
  scope?: string;
  aud?: unknown;
  tokenFingerprint: string;
}

class Refusal extends Error {
  constructor(
    readonly scheme: 'Bearer' | 'DPoP',
    readonly error: string | undefined,
    description: string,
  ) {
    super(description);
  }
}

const PATTERN_BLOCK = patternBlock();
const CREDENTIAL_HEADERS = new Set(['authorization', 'dpop', 'proxy-authorization', 'cookie']);

/**
 * The bytes `/download` serves: a fixed 64 KiB pseudo-random block, repeated and cut at `bytes`.
 * Tests compare digests with {@link downloadDigest}.
 */
export function downloadPattern(): Buffer {
  return PATTERN_BLOCK;
}

/** SHA-256 (hex) of the first `bytes` bytes `/download` serves. */
export function downloadDigest(bytes: number): string {
  const hash = createHash('sha256');
  for (let left = bytes; left > 0; left -= PATTERN_BLOCK.length)
    hash.update(left >= PATTERN_BLOCK.length ? PATTERN_BLOCK : PATTERN_BLOCK.subarray(0, left));
  return hash.digest('hex');
}

export async function startResourceServer(options: ResourceServerOptions = {}): Promise<ResourceServer> {
  const verifier = createDpopVerifier({ ...options.dpop, requireNonce: options.requireNonce === true });
  const requests: ResourceRequest[] = [];
  const heldStreams = new Set<() => void>();
  let failures = 0;
  let url = '';

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });

  async function authenticate(req: IncomingMessage): Promise<Principal | undefined> {
    if (failures > 0) {
      failures -= 1;
      throw new Refusal(
        schemeOf(req.headers.authorization) === 'dpop' ? 'DPoP' : 'Bearer',
        'invalid_token',
        'the access token was revoked',
      );
    }
    if (options.introspect === undefined) return undefined;
    const match = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*)$/i.exec(req.headers.authorization ?? '');
    if (match === null) throw new Refusal('Bearer', undefined, 'an access token is required');
    const scheme = (match[1] as string).toLowerCase();
    const token = match[2] as string;
    const info = await options.introspect(token);
    const fingerprint = fingerprintOf(token);
    const challengeScheme = scheme === 'dpop' ? 'DPoP' : 'Bearer';
    if (!info.active) throw new Refusal(challengeScheme, 'invalid_token', 'the access token is not active');
    const jkt = (info.cnf as { jkt?: unknown } | undefined)?.jkt;
    if (options.audience !== undefined && info.aud !== options.audience) {
      throw new Refusal(challengeScheme, 'invalid_token', 'the access token is for another audience');
    }
    if (scheme === 'bearer' && typeof jkt === 'string') {
      // RFC 9449 §7.2: a DPoP-bound token presented as a bearer token is refused.
      throw new Refusal('DPoP', 'invalid_token', 'this token is bound to a key; present it with Authorization: DPoP and a proof');
    }
    if (scheme === 'dpop') {
      if (typeof jkt !== 'string') throw new Refusal('DPoP', 'invalid_token', 'this token is not bound to a key');
      try {
        await verifier.verify(req.headers.dpop, {
          method: req.method ?? 'GET',
          url: `${url}${req.url ?? '/'}`,
          accessToken: token,
          boundJkt: jkt,
        });
      } catch (error) {
        if (error instanceof DpopRefusal) throw new Refusal('DPoP', error.error, error.message);
        throw error;
      }
    }
    return {
      scheme,
      ...(typeof info.sub === 'string' ? { sub: info.sub } : {}),
      ...(typeof info.client_id === 'string' ? { clientId: info.client_id } : {}),
      ...(typeof jkt === 'string' ? { jkt } : {}),
      ...(typeof info.scope === 'string' ? { scope: info.scope } : {}),
      aud: info.aud,
      tokenFingerprint: fingerprint,
    };
  }

  function challenge(refusal: Refusal): Record<string, string> {
    const params = [
      ...(refusal.error === undefined ? [] : [`error="${refusal.error}"`, `error_description="${refusal.message}"`]),
      ...(refusal.scheme === 'DPoP' ? ['algs="ES256 EdDSA"'] : []),
    ];
    const value = `${refusal.scheme}${params.length > 0 ? ` ${params.join(', ')}` : ''}`;
    return {
      'www-authenticate': refusal.error === undefined ? `Bearer realm="resource", DPoP algs="ES256 EdDSA"` : value,
      ...(refusal.error === 'use_dpop_nonce' ? { 'dpop-nonce': verifier.currentNonce() } : {}),
    };
  }

  function record(req: IncomingMessage, status: number, principal?: Principal, error?: string): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const scheme = schemeOf(req.headers.authorization);
    requests.push({
      method: req.method ?? 'GET',
      path,
      status,
      ...(scheme === undefined ? {} : { scheme }),
      ...(error === undefined ? {} : { error }),
      ...(principal?.sub === undefined ? {} : { sub: principal.sub }),
      ...(principal?.clientId === undefined ? {} : { clientId: principal.clientId }),
      ...(principal?.jkt === undefined ? {} : { jkt: principal.jkt }),
      ...(principal === undefined ? {} : { tokenFingerprint: principal.tokenFingerprint }),
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let principal: Principal | undefined;
    try {
      principal = await authenticate(req);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      record(req, 401, undefined, error.error);
      req.resume();
      res.writeHead(401, { ...challenge(error), 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ error: error.error ?? 'unauthorized', error_description: error.message }));
      return;
    }
    const target = new URL(req.url ?? '/', url);
    if (options.requireNonce === true) res.setHeader('dpop-nonce', verifier.currentNonce());
    if (target.pathname === '/upload' && (req.method === 'POST' || req.method === 'PUT')) {
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of req) {
        bytes += (chunk as Buffer).length;
        hash.update(chunk as Buffer);
      }
      record(req, 200, principal);
      sendJson(res, 200, { bytes, sha256: hash.digest('hex') });
      return;
    }
    if (target.pathname === '/download' && req.method === 'GET') {
      const bytes = Number(target.searchParams.get('bytes') ?? '0');
      if (!Number.isSafeInteger(bytes) || bytes < 0) {
        sendJson(res, 400, { error: 'bytes must be a non-negative integer' });
        return;
      }
      record(req, 200, principal);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes) });
      await writePattern(res, bytes);
      return;
    }
    if (target.pathname === '/sse' && req.method === 'GET') {
      record(req, 200, principal);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write('id: 0\ndata: first\n\n');
      await new Promise<void>((resolve) => {
        heldStreams.add(resolve);
        res.once('close', resolve);
      });
      res.write('id: 1\ndata: second\n\n');
      res.end('id: 2\ndata: last\n\n');
      return;
    }
    if (target.pathname.startsWith('/echo')) {
      let bodyBytes = 0;
      for await (const chunk of req) bodyBytes += (chunk as Buffer).length;
      record(req, 200, principal);
      sendJson(res, 200, {
        method: req.method,
        path: target.pathname,
        query: Object.fromEntries(target.searchParams),
        headers: reportedHeaders(req),
        bodyBytes,
        auth:
          principal === undefined
            ? null
            : {
                scheme: principal.scheme,
                sub: principal.sub ?? null,
                client_id: principal.clientId ?? null,
                jkt: principal.jkt ?? null,
                scope: principal.scope ?? null,
                aud: principal.aud ?? null,
              },
      });
      return;
    }
    record(req, 404, principal);
    req.resume();
    sendJson(res, 404, { error: 'not_found' });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: String((error as Error).message) });
      else res.destroy();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    authenticate(req).then(
      (principal) => {
        if ((req.url ?? '').split('?')[0] !== '/ws') {
          record(req, 404, principal);
          socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
          return;
        }
        record(req, 101, principal);
        wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      },
      (error: unknown) => {
        const refusal = error instanceof Refusal ? error : new Refusal('Bearer', 'server_error', String(error));
        record(req, 401, undefined, refusal.error);
        const headers = Object.entries(challenge(refusal))
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('');
        socket.end(`HTTP/1.1 401 Unauthorized\r\n${headers}Content-Length: 0\r\nConnection: close\r\n\r\n`);
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    nonce: () => verifier.currentNonce(),
    rotateNonce: () => verifier.rotateNonce(),
    failNext(count) {
      failures = count;
    },
    get openStreams() {
      return heldStreams.size;
    },
    releaseStreams() {
      for (const release of heldStreams) release();
      heldStreams.clear();
    },
    close() {
      for (const release of heldStreams) release();
      heldStreams.clear();
      for (const client of wss.clients) client.terminate();
      wss.close();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function schemeOf(authorization: string | undefined): string | undefined {
  const scheme = /^(\S+)/.exec(authorization ?? '')?.[1];
  return scheme?.toLowerCase();
}

function fingerprintOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url').slice(0, 16);
}

function reportedHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = CREDENTIAL_HEADERS.has(name) ? '<present>' : value;
  }
  return headers;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
    'cache-control': 'no-store',
  });
  res.end(payload);
}

/** Writes `bytes` bytes of the pattern, waiting for 'drain' whenever the socket is full. */
async function writePattern(res: ServerResponse, bytes: number): Promise<void> {
  let left = bytes;
  while (left > 0 && !res.destroyed) {
    const chunk = left >= PATTERN_BLOCK.length ? PATTERN_BLOCK : PATTERN_BLOCK.subarray(0, left);
    left -= chunk.length;
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  res.end();
}

function patternBlock(): Buffer {
  // A SHA-256 chain: deterministic, incompressible enough that no layer can cheat by compressing.
  const block = Buffer.alloc(64 * 1024);
  let state = createHash('sha256').update('token-broker download pattern').digest();
  for (let at = 0; at < block.length; at += state.length) {
    state.copy(block, at);
    state = createHash('sha256').update(state).digest();
  }
  return block;
}
