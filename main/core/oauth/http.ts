/**
 * The one HTTP client of the OAuth engine, on node:http / node:https.
 *
 * Every request the engine makes goes through {@link HttpClient.request}: timeouts, a response
 * size cap, proxies from the environment, an extra CA, the User-Agent, the retry rule, and the
 * translation of connection errors into {@link BrokerError} codes all live here and nowhere else.
 *
 * HTTP error statuses are NOT thrown here: an OAuth error arrives as a 400 with a JSON body, and
 * only the response processors know how to read it.
 *
 * Why not got (used until issue 15's last round): the broker used a sliver of it (no retries, no
 * cache, no HTTP/2, its own proxy agents) and paid for all of it. Loading and running got on a
 * daemon's first provider request grew its V8 heap by ~1.3 MB that never came back (its code,
 * its 90 KB source kept for lazy compilation, the objects of its option machinery), the whole of
 * the "idle RSS after a refresh" excess in `npm run bench` (footprint). The few things got did
 * for us are below: phase timeouts, decompression with a cap, GET redirects.
 */
import http, { type Agent as HttpAgent, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { BrokerError } from '../errors.js';
import { BROKER_VERSION } from '../version.js';
import { readCaFile } from './ca-file.js';
import { createTunnelAgents, proxyForUrl, type TunnelAgents } from './proxy-agent.js';
import { safeUrl } from './sanitize.js';

/** One request as the grant modules describe it. */
export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  /** Sent as `application/x-www-form-urlencoded` (RFC 6749 §3.2, appendix B). */
  form?: Record<string, string>;
  signal?: AbortSignal;
  /** Names the endpoint in error messages, e.g. `token endpoint`. */
  purpose?: string;
}

/** A fully read response (any status); the body is at most `maxResponseBytes` long. */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The final URL after redirects (GET only). */
  url: string;
}

/** The HTTP port of the OAuth engine. Tests may pass their own implementation. */
export interface HttpClient {
  /**
   * Sends one request and resolves with the response whatever its status.
   * Rejects only with a BrokerError: `PROVIDER_UNREACHABLE`, `TIMEOUT`, `CANCELLED`,
   * `INVALID_RESPONSE` (body over the cap) or `PROVIDER_ERROR`.
   */
  request(request: HttpRequest): Promise<HttpResponse>;
}

export interface HttpClientOptions {
  /** Environment to read proxies and `TOKEN_BROKER_CA_FILE` from; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** TCP + TLS connect timeout; default 10 s. */
  connectTimeoutMs?: number;
  /** Time from request sent to first response byte; default 30 s. */
  responseTimeoutMs?: number;
  /** Whole request, connect to last byte; default 60 s. */
  requestTimeoutMs?: number;
  /** Response bodies over this size are refused with INVALID_RESPONSE; default 1 MiB. */
  maxResponseBytes?: number;
  /** PEM file with extra trusted CAs (added to Node's roots); default env TOKEN_BROKER_CA_FILE. */
  caFile?: string;
  /** Default `token-broker/<version>`. */
  userAgent?: string;
  /** Retries after a connection failed before anything was sent; default 1. */
  connectRetries?: number;
  /** Delay before such a retry; default 250 ms. */
  retryDelayMs?: number;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Connection errors raised before a single request byte left this machine. Only these make a
 * retry safe: a token request that reached the server may have consumed a one-time code or a
 * rotating refresh token (OAuth 2.0 Security BCP, RFC 9700 §4.14).
 */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

const TLS_TRUST_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** What to check for each kind of certificate the client refused. */
function tlsAdvice(code: string, url: string): string {
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return "Either the server's certificate is out of date or this machine's clock is wrong: check the date here first.";
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `The certificate is for another host name than ${hostOf(url)}: check the host in the URL (the name the provider documents, not an IP address or an alias).`;
  }
  return "If it is signed by a private CA, point TOKEN_BROKER_CA_FILE at that CA's PEM file (a proxy that inspects TLS has such a CA too).";
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the one in the URL';
  }
}

/**
 * An https URL against a plain-http server (OpenSSL's "wrong version number": the answer was not
 * TLS), or an http URL against a TLS server (it hung up on the cleartext request): the scheme in
 * the URL is the usual typo, most often `https://` for a local test server.
 */
function schemeMismatch(error: unknown, code: unknown, url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const message = error instanceof Error ? error.message : '';
  const notTls =
    code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/i.test(message);
  if (parsed.protocol === 'https:' && notTls) {
    return `it does not speak TLS at ${parsed.host}; it looks like a plain http server. If it is a local test server, use http://${parsed.host}${parsed.pathname} (https:// is the usual typo); otherwise check the port.`;
  }
  if (parsed.protocol === 'http:' && (code === 'ECONNRESET' || /socket hang up/i.test(message))) {
    return `the connection to ${parsed.host} was closed before any answer (ECONNRESET). If the server speaks TLS, use https://${parsed.host}${parsed.pathname}.`;
  }
  return undefined;
}

/** Redirect statuses a GET follows (RFC 9110 §15.4). */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 3;

/** A phase of the request ran out of time; `event` names it (`connect`, `secureConnect`, `response`, `request`). */
class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly event: string,
    ms: number,
  ) {
    super(`Timeout awaiting '${event}' for ${ms}ms`);
    this.name = 'TimeoutError';
  }
}

/** The connection or the exchange failed (the socket's error, with its `code`). */
class RequestError extends Error {
  readonly code: string | undefined;
  constructor(cause: Error) {
    super(cause.message);
    this.name = 'RequestError';
    const code = (cause as { code?: unknown }).code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

class CancelError extends Error {
  readonly code = 'ERR_ABORTED';
  constructor() {
    super('The request was cancelled');
    this.name = 'CancelError';
  }
}

class MaxRedirectsError extends Error {
  constructor() {
    super(`Redirected more than ${MAX_REDIRECTS} times`);
    this.name = 'MaxRedirectsError';
  }
}

class OversizeError extends Error {
  constructor() {
    super('response over the size limit');
    this.name = 'OversizeError';
  }
}

interface Limits {
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  requestTimeoutMs: number;
  maxBytes: number;
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Decodes `content-encoding` (what got's `decompress` did); undefined for identity. */
function decoderFor(encoding: string | undefined): NodeJS.ReadWriteStream | undefined {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

/**
 * One exchange: sends the request and reads the whole response, within the phase timeouts and
 * the size cap (counted after decompression, so a compressed bomb stops at the cap too).
 */
function exchange(
  url: URL,
  options: { method: string; headers: Record<string, string>; body?: string; agent?: HttpAgent; ca?: string[]; signal?: AbortSignal },
  limits: Limits,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let phase: NodeJS.Timeout | undefined;
    let req: ClientRequest | undefined;
    let body: Readable | undefined;
    let forgetSocket: (() => void) | undefined;
    const finish = (error: Error | undefined, value?: RawResponse): void => {
      if (settled) return;
      settled = true;
      forgetSocket?.();
      clearTimeout(phase);
      clearTimeout(whole);
      options.signal?.removeEventListener('abort', onAbort);
      if (error !== undefined) {
        body?.destroy();
        req?.destroy();
        reject(error);
      } else resolve(value as RawResponse);
    };
    const inPhase = (event: string, ms: number): void => {
      clearTimeout(phase);
      phase = setTimeout(() => finish(new TimeoutError(event, ms)), ms);
    };
    const onAbort = (): void => finish(new CancelError());
    const whole = setTimeout(() => finish(new TimeoutError('request', limits.requestTimeoutMs)), limits.requestTimeoutMs);
    if (options.signal?.aborted === true) return finish(new CancelError());
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const secure = url.protocol === 'https:';
    try {
      req = (secure ? https : http).request(url, {
        method: options.method,
        headers: options.headers,
        ...(options.agent === undefined ? {} : { agent: options.agent }),
        ...(secure && options.ca !== undefined ? { ca: options.ca } : {}),
      });
    } catch (error) {
      return finish(new RequestError(error as Error));
    }
    inPhase('connect', limits.connectTimeoutMs);
    req.once('socket', (socket) => {
      const connected = (): void => {
        if (settled) return;
        if (req?.writableFinished === true) inPhase('response', limits.responseTimeoutMs);
        else clearTimeout(phase);
      };
      // A kept-alive socket is ready; a new one once connected, a TLS one once its handshake is
      // done (got's `secureConnect`).
      if (req?.reusedSocket === true || (!socket.connecting && !('encrypted' in socket))) return connected();
      const ready = 'encrypted' in socket ? 'secureConnect' : 'connect';
      if (ready === 'secureConnect') inPhase('secureConnect', limits.connectTimeoutMs);
      socket.once(ready, connected);
      forgetSocket = () => socket.off(ready, connected);
    });
    req.once('finish', () => {
      // The request is written: the response phase runs until the status line and headers.
      if (!settled && req?.socket !== null && req?.socket.connecting === false) inPhase('response', limits.responseTimeoutMs);
    });
    req.once('error', (error) => finish(new RequestError(error)));
    req.once('response', (res: IncomingMessage) => {
      clearTimeout(phase);
      const announced = Number(res.headers['content-length']);
      if (Number.isFinite(announced) && announced > limits.maxBytes) return finish(new OversizeError());
      const decoder = decoderFor(res.headers['content-encoding']);
      body = decoder === undefined ? res : (res.pipe(decoder) as unknown as Readable);
      const chunks: Buffer[] = [];
      let length = 0;
      res.once('error', (error) => finish(new RequestError(error)));
      // Closed before the whole body arrived (the server or the network hung up mid-answer).
      res.once('close', () => {
        if (!res.complete) finish(new RequestError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
      });
      body.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length > limits.maxBytes) finish(new OversizeError());
        else chunks.push(chunk);
      });
      if (decoder !== undefined) body.once('error', (error) => finish(new RequestError(error)));
      body.once('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks, length) }));
    });
    req.end(options.body);
  });
}

/**
 * Creates the HTTP client: node:http / node:https with connect/response/request timeouts, a
 * 1 MiB response cap (also after decompression), proxies from `HTTPS_PROXY`/`HTTP_PROXY`/
 * `NO_PROXY` (CONNECT tunnels), an optional extra CA from `TOKEN_BROKER_CA_FILE`, User-Agent
 * `token-broker/<version>`, GET redirects (at most 3; the Authorization header is dropped when the
 * origin changes), and no retries except when the connection failed before the request was sent.
 *
 * @throws BrokerError `CONFIG_INVALID` when the CA file cannot be read.
 * @see {@link https://www.rfc-editor.org/rfc/rfc9110.html#section-10.1.5 RFC 9110 §10.1.5} (User-Agent), {@link https://www.rfc-editor.org/rfc/rfc9110.html#section-9.3.6 RFC 9110 §9.3.6} (CONNECT)
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const env = options.env ?? process.env;
  const limits: Limits = {
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    responseTimeoutMs: options.responseTimeoutMs ?? 30_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
    maxBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  };
  const connectRetries = options.connectRetries ?? 1;
  const retryDelayMs = options.retryDelayMs ?? 250;
  const userAgent = options.userAgent ?? `token-broker/${BROKER_VERSION}`;
  const ca = loadCertificateAuthorities(options.caFile ?? nonEmpty(env['TOKEN_BROKER_CA_FILE']));

  const tunnels = new Map<string, TunnelAgents>();
  const agentFor = (url: URL): HttpAgent | undefined => {
    const proxy = proxyForUrl(url, env);
    if (proxy === undefined) return undefined;
    const key = proxy.href;
    let agents = tunnels.get(key);
    if (agents === undefined) {
      agents = createTunnelAgents(proxy, { connectTimeoutMs: limits.connectTimeoutMs, ...(ca === undefined ? {} : { ca }) });
      tunnels.set(key, agents);
    }
    return url.protocol === 'https:' ? agents.https : agents.http;
  };

  const once = async (request: HttpRequest): Promise<HttpResponse> => {
    let url = new URL(request.url);
    const headers: Record<string, string> = { 'user-agent': userAgent, 'accept-encoding': 'gzip, deflate, br' };
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
    let body: string | undefined;
    if (request.form !== undefined) {
      body = new URLSearchParams(request.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    try {
      for (let redirects = 0; ; redirects += 1) {
        if (url.protocol !== 'http:' && url.protocol !== 'https:') {
          throw new RequestError(Object.assign(new Error(`Unsupported protocol "${url.protocol}"`), { code: 'ERR_UNSUPPORTED_PROTOCOL' }));
        }
        const agent = agentFor(url);
        const response = await exchange(
          url,
          {
            method: request.method,
            headers,
            ...(body === undefined ? {} : { body }),
            ...(agent === undefined ? {} : { agent }),
            ...(ca === undefined ? {} : { ca }),
            ...(request.signal === undefined ? {} : { signal: request.signal }),
          },
          limits,
        );
        const location = response.headers.location;
        // A POST is never redirected: the body holds credentials meant for this endpoint only.
        if (request.method !== 'GET' || !REDIRECT_STATUSES.has(response.status) || location === undefined) {
          return { status: response.status, headers: response.headers, body: response.body.toString('utf8'), url: url.href };
        }
        if (redirects >= MAX_REDIRECTS) throw new MaxRedirectsError();
        const next = URL.canParse(location, url.href) ? new URL(location, url) : undefined;
        if (next === undefined) {
          throw new RequestError(Object.assign(new Error('Invalid redirect location'), { code: 'ERR_INVALID_URL' }));
        }
        // Credentials meant for one origin never follow a redirect to another (as got did).
        if (next.origin !== url.origin) {
          delete headers['authorization'];
          delete headers['cookie'];
        }
        url = next;
      }
    } catch (error) {
      if (error instanceof OversizeError) throw oversized(request);
      throw translateHttpError(error, request);
    }
  };

  return {
    async request(request) {
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await once(request);
        } catch (error) {
          if (attempt >= connectRetries || !wasNotSent(error) || request.signal?.aborted === true) throw error;
          await delay(retryDelayMs);
        }
      }
    },
  };
}

function oversized(request: HttpRequest): BrokerError {
  return new BrokerError(
    'INVALID_RESPONSE',
    `The ${request.purpose ?? 'server'} at ${safeUrl(request.url)} sent a response larger than the limit; refusing it.`,
  );
}

function wasNotSent(error: unknown): boolean {
  if (!(error instanceof BrokerError) || error.code !== 'PROVIDER_UNREACHABLE') return false;
  const cause = error.cause as { code?: unknown; event?: unknown } | undefined;
  if (typeof cause?.code === 'string' && NOT_SENT_CODES.has(cause.code)) return true;
  return false;
}

/**
 * The one place connection errors become BrokerErrors. The cause kept is a copy holding the
 * error's message, name and code only, so nothing of the request (a form body, an Authorization
 * header) can reach a log through `cause`.
 */
export function translateHttpError(error: unknown, request: Pick<HttpRequest, 'url' | 'purpose' | 'signal'>): BrokerError {
  if (error instanceof BrokerError) return error;
  const where = `the ${request.purpose ?? 'server'} at ${safeUrl(request.url)}`;
  const cause = redactedCause(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  if (request.signal?.aborted === true || code === 'ERR_ABORTED' || code === 'ABORT_ERR' || error instanceof CancelError) {
    return new BrokerError('CANCELLED', `The request to ${where} was cancelled.`, { cause });
  }
  if (error instanceof TimeoutError) {
    return new BrokerError('TIMEOUT', `Timed out (${error.event}) waiting for ${where}.`, { cause });
  }
  if (error instanceof MaxRedirectsError) {
    return new BrokerError('PROVIDER_ERROR', `Too many redirects from ${where}.`, { cause });
  }
  if (typeof code === 'string' && TLS_TRUST_CODES.has(code)) {
    return new BrokerError(
      'PROVIDER_UNREACHABLE',
      `The TLS certificate of ${where} is not trusted (${code}). ${tlsAdvice(code, request.url)}`,
      {
        cause,
      },
    );
  }
  const scheme = schemeMismatch(error, code, request.url);
  if (scheme !== undefined) return new BrokerError('PROVIDER_UNREACHABLE', `Could not reach ${where}: ${scheme}`, { cause });
  if (code === 'ERR_PROXY_TUNNEL') {
    return new BrokerError('PROVIDER_UNREACHABLE', `The proxy refused to connect to ${where}: ${(error as Error).message}`, { cause });
  }
  if (error instanceof RequestError) {
    const detail = typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? ` (${code})` : '';
    return new BrokerError('PROVIDER_UNREACHABLE', `Could not reach ${where}${detail}.`, { cause });
  }
  return new BrokerError('INTERNAL', `Unexpected failure while talking to ${where}.`, { cause });
}

function redactedCause(error: unknown): Error | undefined {
  if (!(error instanceof Error)) return undefined;
  const copy = new Error(error.message);
  copy.name = error.name;
  const { code, event } = error as { code?: unknown; event?: unknown };
  if (typeof code === 'string') Object.assign(copy, { code });
  if (typeof event === 'string') Object.assign(copy, { event });
  return copy;
}

function loadCertificateAuthorities(file: string | undefined): string[] | undefined {
  if (file === undefined) return undefined;
  // Setting `ca` replaces Node's trust store, so the extra CA is added to the built-in roots.
  return [...rootCertificates, readCaFile(file)];
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
