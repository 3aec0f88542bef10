/**
 * The authenticating local proxy: tools that know nothing about OAuth talk plain HTTP to a
 * loopback port or a Unix socket, and the proxy forwards each request to one upstream with a
 * fresh `Authorization` (Bearer, or DPoP with a proof per request) from the broker.
 *
 * - Only the user: a Unix socket is private by its file permissions (0600 in a 0700 directory)
 *   and its peer's kernel credentials must name this user. On TCP (loopback only) requests with an
 *   `Origin` or a non-loopback `Host` are refused (web pages, DNS rebinding), and the client's uid
 *   is read from the kernel's socket table on Linux (../net/tcp-peer-uid.ts); where that is not possible the
 *   API key is required (`Proxy-Authorization: Bearer KEY`, or `Authorization: Bearer KEY`, which
 *   is stripped anyway).
 * - Streaming both ways with backpressure (node:http pipes; nothing is buffered), SSE included;
 *   WebSocket (and any other) upgrades are passed through as raw byte pipes after the handshake.
 * - An upstream 401 `error="invalid_token"` to an idempotent request without a body makes the
 *   broker refresh (once) and the request is repeated once; a DPoP `use_dpop_nonce` challenge is
 *   answered the same way. A request with a body is never repeated (it is streamed, not kept),
 *   but every `DPoP-Nonce` is remembered, so the next request carries it.
 * - Each request is reported to `onRequest` (method, upstream host, status; never a token) for
 *   the audit log.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9110.html#section-7.6 RFC 9110 §7.6} (intermediaries), {@link https://www.rfc-editor.org/rfc/rfc6750.html#section-3.1 RFC 6750 §3.1}, {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-7 RFC 9449 §7}, {@link https://www.rfc-editor.org/rfc/rfc9449.html#section-9 §9}, {@link https://www.rfc-editor.org/rfc/rfc6455.html#section-4 RFC 6455 §4}
 */
import { chmod, unlink } from 'node:fs/promises';
import http, { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { httpStatusForError } from '../api/http-status.js';
import { assertPrivateSocketDir, removeStaleSocket } from '../api/socket-guard.js';
import { createBearerCheck } from '../api/tcp-auth.js';
import { BrokerError, toBrokerError, type ErrorCode } from '../errors.js';
import { silentLogger, type Logger } from '../ports.js';
import { challengeError, parseWwwAuthenticate } from '../oauth/www-authenticate.js';
import { downstreamResponseHeaders, isIdempotent, upstreamRequestHeaders, upstreamUrl, type UpstreamCredentials } from './headers.js';
import { peerCredentialReader } from '../api/peer-credentials.js';
import { createTcpOwnerLookup } from '../net/tcp-peer-uid.js';
import { socketInodeProcess, tcpPeerOwner } from './tcp-peer.js';

/** One upstream request's need for credentials. */
export interface ProxyAuthorizeRequest {
  method: string;
  /** The absolute upstream URL (the DPoP proof's `htu`). */
  url: string;
  /**
   * The `Authorization` value the upstream just refused with `invalid_token`: hand out another
   * token (refresh, unless a newer one is already cached).
   */
  rejected?: string;
}

/** Where the proxy gets credentials: the broker, for one account. */
export interface ProxyCredentials {
  authorize(request: ProxyAuthorizeRequest): Promise<UpstreamCredentials>;
  /** A `DPoP-Nonce` the upstream sent (RFC 9449 §9); remember it for that origin. */
  rememberNonce?(url: string, nonce: string): void;
}

/** What the audit log learns about a proxied request (never a token). */
export interface ProxyRequestRecord {
  method: string;
  /** The upstream's host (and port). */
  host: string;
  /** The status the client received (101 for an upgrade). */
  status: number;
  outcome: 'granted' | 'refused' | 'needs_login' | 'denied' | 'error';
  code?: ErrorCode;
  caller?: { verified: boolean; uid?: number; pid?: number; exe?: string };
}

export type ProxyListen = { host: string; port: number } | { path: string };

export interface ProxyLimits {
  maxHeaderSize: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  /** Time to connect to the upstream and get its response head. */
  upstreamTimeoutMs: number;
}

export const DEFAULT_PROXY_LIMITS: ProxyLimits = {
  maxHeaderSize: 16 * 1024,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024,
  upstreamTimeoutMs: 60_000,
};

export interface ProxyOptions {
  /** `https://api.example.com[/base/path]`. */
  upstream: string;
  /** Loopback TCP (`127.0.0.1` or `::1`; port 0 picks one) or a Unix socket path. */
  listen: ProxyListen;
  credentials: ProxyCredentials;
  /** Accepted on TCP instead of the uid check (required where the kernel cannot name the peer). */
  apiKey?: string;
  /**
   * The uid owning the client end of a TCP connection; default the kernel's tables on Linux, read
   * by the same module the sign-in listener uses (main/core/net/tcp-peer-uid.ts), undefined elsewhere.
   */
  tcpPeer?: (socket: Socket) => Promise<number | undefined>;
  /** The uid allowed on TCP; default this process's. */
  allowedUid?: number;
  /**
   * Who is on the other end of a Unix-socket connection; default the kernel's peer credentials
   * (main/core/api/peer-credentials.ts, as the broker's own socket): another uid is refused, an
   * unverifiable peer is let in on the socket's file permissions.
   */
  unixPeer?: (socket: Socket) => Promise<Verdict>;
  onRequest?: (record: ProxyRequestRecord) => void;
  logger?: Logger;
  /** Trusted CAs for an https upstream (default Node's). */
  ca?: string[];
  limits?: Partial<ProxyLimits>;
}

export interface RunningProxy {
  /** `http://127.0.0.1:PORT` on TCP; the socket path otherwise. */
  readonly url: string;
  readonly listen: ProxyListen;
  close(): Promise<void>;
}

type Caller = NonNullable<ProxyRequestRecord['caller']>;

/** The per-connection verdict: allowed (with who), or refused and why. */
export type Verdict = { allowed: true; caller: Caller } | { allowed: false; caller?: Caller; reason: string };

const JSON_HEAD = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1']);
/** How long a refusal waits for the refused peer's process to be found (audit detail only). */
const PID_SCAN_MS = 300;

/**
 * Starts a proxy for one upstream.
 * @throws BrokerError `CONFIG_INVALID` (bad upstream URL, non-loopback TCP host, port in use),
 *   `SOCKET_INSECURE` / `BROKER_ALREADY_RUNNING` (socket directory or path not usable).
 */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const upstream = parseUpstream(options.upstream);
  const limits = { ...DEFAULT_PROXY_LIMITS, ...options.limits };
  const logger = options.logger ?? silentLogger;
  const tcp = 'port' in options.listen;
  if ('port' in options.listen && !LOOPBACK_HOSTS.has(options.listen.host)) {
    throw new BrokerError('CONFIG_INVALID', `The proxy listens on loopback only (127.0.0.1 or ::1), not ${options.listen.host}.`);
  }
  const transport = upstream.protocol === 'https:' ? https : http;
  const agent =
    upstream.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, scheduling: 'lifo', ...(options.ca === undefined ? {} : { ca: options.ca }) })
      : new http.Agent({ keepAlive: true, scheduling: 'lifo' });
  const keyOk = options.apiKey === undefined ? undefined : createBearerCheck(options.apiKey);
  const allowedUid = options.allowedUid ?? process.getuid?.();
  const tcpPeer = options.tcpPeer ?? kernelTcpPeer();
  const unixPeer = options.unixPeer ?? kernelUnixPeer(allowedUid);
  const verdicts = new WeakMap<Socket, Promise<Verdict>>();
  const upgraded = new Set<Duplex>();
  let port = 0;
  let scanning = false;

  const checkConnection = async (socket: Socket): Promise<Verdict> => {
    if (!tcp) return unixPeer(socket).catch(() => ({ allowed: false, reason: 'the peer could not be checked' }));
    const uid = await tcpPeer(socket).catch(() => undefined);
    if (uid === undefined) return { allowed: false, reason: 'the kernel does not show who connected' };
    if (uid === allowedUid) return { allowed: true, caller: { verified: true, uid } };
    // Another user: which of their processes it was goes into the audit log, looked up while the
    // connection is still open (briefly: the refusal waits at most PID_SCAN_MS), one scan at a
    // time (each reads that user's processes' fd tables; a flood of refused connections must not
    // become a flood of scans).
    const caller: Caller = { verified: true, uid };
    if (!scanning) {
      scanning = true;
      const scan = tcpPeerOwner(socket)
        .then((owner) => (owner === undefined ? undefined : socketInodeProcess(owner.inode, { uid })))
        .finally(() => {
          scanning = false;
        });
      const found = await Promise.race([scan, delay(PID_SCAN_MS)]);
      if (found !== undefined) Object.assign(caller, found);
    }
    return { allowed: false, caller, reason: `uid ${uid} is not this user` };
  };

  /** Origin/Host checks, then the connection's verdict, then the API key as the alternative. */
  const admit = async (req: IncomingMessage): Promise<Verdict> => {
    if (tcp && (req.headers.origin !== undefined || !isLoopbackHost(req.headers.host, port))) {
      return { allowed: false, reason: 'requests from web pages (Origin) or for a non-loopback Host are refused' };
    }
    let verdict = verdicts.get(req.socket);
    if (verdict === undefined) {
      verdict = checkConnection(req.socket);
      verdicts.set(req.socket, verdict);
    }
    const decided = await verdict;
    if (decided.allowed || !tcp || keyOk === undefined) return decided;
    const presented = req.headers['proxy-authorization'] ?? req.headers.authorization;
    return keyOk(presented) ? { allowed: true, caller: decided.caller ?? { verified: false } } : decided;
  };

  const report = (record: ProxyRequestRecord): void => {
    try {
      options.onRequest?.(record);
    } catch (error) {
      logger.warn(`[proxy] audit hook failed: ${toBrokerError(error).code}`);
    }
  };

  const refuse = (res: ServerResponse, req: IncomingMessage, verdict: Verdict & { allowed: false }): void => {
    req.resume();
    const needsKey = tcp && keyOk !== undefined;
    sendError(
      res,
      new BrokerError(
        'FORBIDDEN',
        `Refused: ${verdict.reason}.${needsKey ? ' Send Proxy-Authorization: Bearer <key> with the proxy API key.' : ''}`,
      ),
    );
    report({
      method: req.method ?? 'GET',
      host: upstream.host,
      status: 403,
      outcome: 'refused',
      code: 'FORBIDDEN',
      ...(verdict.caller ? { caller: verdict.caller } : {}),
    });
  };

  const failed = (res: ServerResponse, req: IncomingMessage, error: BrokerError, caller: Caller): void => {
    req.resume();
    sendError(res, error);
    report({ method: req.method ?? 'GET', host: upstream.host, status: httpStatusForError(error.code), ...outcomeOf(error), caller });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const verdict = await admit(req);
    if (!verdict.allowed) return refuse(res, req, verdict);
    const method = req.method ?? 'GET';
    const target = upstreamUrl(upstream, req.url);
    if (target === undefined) {
      return failed(
        res,
        req,
        new BrokerError('INVALID_REQUEST', 'The proxy takes origin-form request targets (/path?query) under the upstream path only.'),
        verdict.caller,
      );
    }
    const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
    const path = `${target.pathname}${target.search}`;
    let credentials: UpstreamCredentials;
    try {
      credentials = await options.credentials.authorize({ method, url: target.href });
    } catch (error) {
      return failed(res, req, toBrokerError(error), verdict.caller);
    }

    const attempt = (creds: UpstreamCredentials, retry: boolean): void => {
      const upstreamReq = transport.request({
        agent,
        protocol: upstream.protocol,
        hostname: upstream.hostname.replace(/^\[|\]$/g, ''),
        port: upstream.port,
        method,
        path,
        setHost: false,
        headers: upstreamRequestHeaders(req.rawHeaders, upstream.host, creds) as unknown as OutgoingHttpHeaders,
        timeout: limits.upstreamTimeoutMs,
      });
      let answered: number | undefined;
      // One listener per attempt: a client gone early takes the upstream request with it; a
      // relayed answer is reported when the client has it (or gave up on it).
      const onClose = (): void => {
        if (!res.writableFinished) upstreamReq.destroy();
        if (answered !== undefined) report({ method, host: upstream.host, status: answered, outcome: 'granted', caller: verdict.caller });
      };
      res.once('close', onClose);
      upstreamReq.once('timeout', () => upstreamReq.destroy(new BrokerError('TIMEOUT', 'The upstream did not answer in time.')));
      upstreamReq.once('error', (error) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const translated = upstreamError(error, upstream);
        sendError(res, translated);
        report({
          method,
          host: upstream.host,
          status: httpStatusForError(translated.code),
          outcome: 'error',
          code: translated.code,
          caller: verdict.caller,
        });
      });
      upstreamReq.once('response', (upstreamRes) => {
        upstreamReq.setTimeout(0);
        const status = upstreamRes.statusCode ?? 502;
        const nonce = headerValue(upstreamRes.headers['dpop-nonce']);
        if (nonce !== undefined) options.credentials.rememberNonce?.(target.href, nonce);
        if (status === 401 && retry && !hasBody) {
          const error = challengeError(parseWwwAuthenticate(upstreamRes.headers['www-authenticate']));
          const again =
            error === 'use_dpop_nonce' && nonce !== undefined
              ? { method, url: target.href }
              : error === 'invalid_token' && isIdempotent(method)
                ? { method, url: target.href, rejected: creds.authorization }
                : undefined;
          if (again !== undefined) {
            upstreamRes.resume();
            res.off('close', onClose);
            options.credentials.authorize(again).then(
              (fresh) => attempt(fresh, false),
              (failure: unknown) => failed(res, req, toBrokerError(failure), verdict.caller),
            );
            return;
          }
        }
        res.writeHead(
          status,
          upstreamRes.statusMessage,
          downstreamResponseHeaders(upstreamRes.rawHeaders) as unknown as OutgoingHttpHeaders,
        );
        answered = status;
        // pipe(), not pipeline(): the same backpressure without an AbortController per request.
        // An upstream that stops mid-body leaves the client with a cut response, never a hang.
        upstreamRes.once('close', () => {
          if (!upstreamRes.complete) res.destroy();
        });
        upstreamRes.pipe(res);
      });
      if (hasBody) {
        req.once('close', () => {
          if (!req.complete) upstreamReq.destroy();
        });
        req.pipe(upstreamReq);
      } else {
        req.resume();
        upstreamReq.end();
      }
    };
    attempt(credentials, true);
  };

  const handleUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    socket.on('error', () => socket.destroy());
    const verdict = await admit(req);
    const method = req.method ?? 'GET';
    if (!verdict.allowed) {
      writeRawError(socket, new BrokerError('FORBIDDEN', `Refused: ${verdict.reason}.`));
      report({
        method,
        host: upstream.host,
        status: 403,
        outcome: 'refused',
        code: 'FORBIDDEN',
        ...(verdict.caller ? { caller: verdict.caller } : {}),
      });
      return;
    }
    const target = upstreamUrl(upstream, req.url);
    if (target === undefined) {
      writeRawError(
        socket,
        new BrokerError('INVALID_REQUEST', 'The proxy takes origin-form request targets under the upstream path only.'),
      );
      return;
    }
    const attempt = (creds: UpstreamCredentials, retry: boolean): void => {
      const upstreamReq: ClientRequest = transport.request({
        protocol: upstream.protocol,
        hostname: upstream.hostname.replace(/^\[|\]$/g, ''),
        port: upstream.port,
        method,
        path: `${target.pathname}${target.search}`,
        setHost: false,
        headers: upstreamRequestHeaders(req.rawHeaders, upstream.host, creds, true) as unknown as OutgoingHttpHeaders,
        timeout: limits.upstreamTimeoutMs,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      });
      socket.once('close', () => upstreamReq.destroy());
      upstreamReq.once('timeout', () => upstreamReq.destroy());
      upstreamReq.once('error', (error) => {
        const translated = upstreamError(error, upstream);
        writeRawError(socket, translated);
        report({
          method,
          host: upstream.host,
          status: httpStatusForError(translated.code),
          outcome: 'error',
          code: translated.code,
          caller: verdict.caller,
        });
      });
      upstreamReq.once('upgrade', (upstreamRes, upstreamSocket, upstreamHead) => {
        upstreamReq.setTimeout(0);
        upgraded.add(socket);
        upgraded.add(upstreamSocket);
        const lines = downstreamResponseHeaders(upstreamRes.rawHeaders, true);
        let response = `HTTP/1.1 ${upstreamRes.statusCode ?? 101} ${upstreamRes.statusMessage ?? 'Switching Protocols'}\r\n`;
        for (let i = 0; i < lines.length; i += 2) response += `${lines[i]}: ${lines[i + 1]}\r\n`;
        socket.write(`${response}\r\n`);
        if (upstreamHead.length > 0) socket.write(upstreamHead);
        if (head.length > 0) upstreamSocket.write(head);
        const end = (): void => {
          socket.destroy();
          upstreamSocket.destroy();
          upgraded.delete(socket);
          upgraded.delete(upstreamSocket);
        };
        upstreamSocket.on('error', end);
        upstreamSocket.on('close', end);
        socket.on('close', end);
        socket.pipe(upstreamSocket).pipe(socket);
        report({ method, host: upstream.host, status: upstreamRes.statusCode ?? 101, outcome: 'granted', caller: verdict.caller });
      });
      upstreamReq.once('response', (upstreamRes) => {
        const status = upstreamRes.statusCode ?? 502;
        const nonce = headerValue(upstreamRes.headers['dpop-nonce']);
        if (nonce !== undefined) options.credentials.rememberNonce?.(target.href, nonce);
        if (status === 401 && retry) {
          const error = challengeError(parseWwwAuthenticate(upstreamRes.headers['www-authenticate']));
          if (error === 'invalid_token' || (error === 'use_dpop_nonce' && nonce !== undefined)) {
            upstreamRes.resume();
            options.credentials
              .authorize({ method, url: target.href, ...(error === 'invalid_token' ? { rejected: creds.authorization } : {}) })
              .then(
                (fresh) => attempt(fresh, false),
                (failure: unknown) => writeRawError(socket, toBrokerError(failure)),
              );
            return;
          }
        }
        // The upstream declined the upgrade: relay its answer and close.
        const lines = downstreamResponseHeaders(upstreamRes.rawHeaders);
        let response = `HTTP/1.1 ${status} ${upstreamRes.statusMessage ?? ''}\r\n`;
        for (let i = 0; i < lines.length; i += 2) {
          if ((lines[i] as string).toLowerCase() !== 'content-length') response += `${lines[i]}: ${lines[i + 1]}\r\n`;
        }
        socket.write(`${response}Connection: close\r\n\r\n`);
        upstreamRes.pipe(socket);
        report({ method, host: upstream.host, status, outcome: 'granted', caller: verdict.caller });
      });
      upstreamReq.end();
    };
    try {
      attempt(await options.credentials.authorize({ method, url: target.href }), true);
    } catch (error) {
      const failure = toBrokerError(error);
      writeRawError(socket, failure);
      report({ method, host: upstream.host, status: httpStatusForError(failure.code), ...outcomeOf(failure), caller: verdict.caller });
    }
  };

  const server: Server = http.createServer(
    {
      maxHeaderSize: limits.maxHeaderSize,
      headersTimeout: limits.headersTimeoutMs,
      // Uploads and downloads may take as long as they take; only the head is timed.
      requestTimeout: 0,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
      noDelay: true,
    },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        logger.error(`[proxy] request failed: ${toBrokerError(error).code}`);
        if (!res.headersSent) sendError(res, toBrokerError(error));
        else res.destroy();
      });
    },
  );
  server.maxConnections = limits.maxConnections;
  server.on('connection', (socket: Socket) => {
    // Started at once, so the kernel lookup runs while the request head arrives.
    verdicts.set(socket, checkConnection(socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    handleUpgrade(req, socket, head).catch(() => socket.destroy());
  });
  server.on('clientError', (_error, socket: Duplex) => {
    if (socket.writable && !socket.writableEnded) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  if ('path' in options.listen) {
    const socketPath = options.listen.path;
    await assertPrivateSocketDir(socketPath);
    await removeStaleSocket(socketPath);
    await listenOn(server, { path: socketPath });
    await chmod(socketPath, 0o600);
  } else {
    await listenOn(server, { host: options.listen.host, port: options.listen.port });
    const address = server.address();
    if (address !== null && typeof address === 'object') port = address.port;
  }
  const listen: ProxyListen = 'path' in options.listen ? { path: options.listen.path } : { host: options.listen.host, port };
  logger.info(`[proxy] ${describeListen(listen)} → ${upstream.origin}${upstream.pathname === '/' ? '' : upstream.pathname}`);

  let closing: Promise<void> | undefined;
  return {
    url: 'path' in listen ? listen.path : `http://${listen.host === '::1' ? '[::1]' : listen.host}:${listen.port}`,
    listen,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
          for (const socket of upgraded) socket.destroy();
        });
        agent.destroy();
        if ('path' in listen) await unlink(listen.path).catch(() => {});
      })();
      return closing;
    },
  };
}

/** The TCP peer's uid from the kernel's tables (Linux; one shared read per few ms under a flood). */
function kernelTcpPeer(): (socket: Socket) => Promise<number | undefined> {
  if (process.platform !== 'linux') return async () => undefined;
  const owners = createTcpOwnerLookup();
  return async (socket) => {
    const owner = await owners.ownerOf(socket);
    return owner.known ? owner.uid : undefined;
  };
}

/** The Unix-socket peer from its kernel credentials: this user (or unverifiable: the 0600 socket decides), else refused. */
function kernelUnixPeer(allowedUid: number | undefined): (socket: Socket) => Promise<Verdict> {
  return async (socket) => {
    const peer = peerCredentialReader().describe(socket);
    if (!peer.verified) return { allowed: true, caller: { verified: false } };
    const caller: Caller = { verified: true, uid: peer.uid, pid: peer.pid, ...(peer.exe === undefined ? {} : { exe: peer.exe }) };
    return allowedUid === undefined || peer.uid === allowedUid
      ? { allowed: true, caller }
      : { allowed: false, caller, reason: `uid ${peer.uid} is not this user` };
  };
}

/** Validates the upstream: an absolute http(s) URL without credentials, query or fragment. */
export function parseUpstream(value: string): URL {
  const url = URL.parse(value);
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new BrokerError('CONFIG_INVALID', 'The upstream must be an absolute http(s) URL, e.g. https://api.example.com.');
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new BrokerError('CONFIG_INVALID', 'The upstream URL must not carry credentials, a query or a fragment.');
  }
  return url;
}

/** DNS rebinding defence: only the literal loopback names with our port. */
function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const h = host.toLowerCase();
  return h === `127.0.0.1:${port}` || h === `localhost:${port}` || h === `[::1]:${port}`;
}

/** Resolves with undefined after `ms`, without keeping the process alive. */
function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => {
    setTimeout(() => resolve(undefined), ms).unref();
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function outcomeOf(error: BrokerError): Pick<ProxyRequestRecord, 'outcome' | 'code'> {
  const outcome = error.code === 'NEEDS_LOGIN' ? 'needs_login' : error.code === 'DENIED' ? 'denied' : 'error';
  return { outcome, code: error.code };
}

function upstreamError(error: unknown, upstream: URL): BrokerError {
  if (error instanceof BrokerError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const detail = typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? ` (${code})` : '';
  return new BrokerError('PROVIDER_UNREACHABLE', `Could not reach the upstream ${upstream.origin}${detail}.`);
}

function errorPayload(error: BrokerError): string {
  return JSON.stringify({ error: { code: error.code, message: error.message } });
}

function sendError(res: ServerResponse, error: BrokerError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const payload = errorPayload(error);
  res.writeHead(httpStatusForError(error.code), { ...JSON_HEAD, 'content-length': String(Buffer.byteLength(payload)) });
  res.end(payload);
}

/** An error answer on a socket that asked for an upgrade (no ServerResponse exists there). */
function writeRawError(socket: Duplex, error: BrokerError): void {
  if (!socket.writable) return;
  const payload = errorPayload(error);
  const status = httpStatusForError(error.code);
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\n` +
      `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
  );
}

function listenOn(server: Server, target: { path: string } | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new BrokerError(
            'CONFIG_INVALID',
            `${describeListen(target)} is in use by another program. Choose another port (or 0 for any free one) or path.`,
          ),
        );
      } else if (error.code === 'EACCES' || error.code === 'EPERM') {
        reject(new BrokerError('CONFIG_INVALID', `${describeListen(target)} needs privileges. Choose a port above 1023 or another path.`));
      } else {
        reject(new BrokerError('INTERNAL', `Cannot listen on ${describeListen(target)} (${error.code ?? 'unknown error'}).`));
      }
    };
    server.once('error', onError);
    server.listen({ ...target, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function describeListen(listen: { path: string } | { host: string; port: number }): string {
  return 'path' in listen ? listen.path : `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
}
