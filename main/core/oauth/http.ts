/**
 * The one HTTP client of the OAuth engine, built on got.
 *
 * Every request the engine makes goes through {@link HttpClient.request}: timeouts, a response
 * size cap, proxies from the environment, an extra CA, the User-Agent, the retry rule, and the
 * translation of got's errors into {@link BrokerError} codes all live here and nowhere else.
 *
 * HTTP error statuses are NOT thrown here: an OAuth error arrives as a 400 with a JSON body, and
 * only the response processors know how to read it.
 */
import type { Agent as HttpAgent, IncomingHttpHeaders } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import got, { CancelError, HTTPError, MaxRedirectsError, RequestError, TimeoutError } from 'got';
import { BrokerError } from '../errors.js';
import { BROKER_VERSION } from '../version.js';
import { readCaFile } from './ca-file.js';
import { createTunnelAgents, proxyForUrl, type TunnelAgents } from './proxy-agent.js';
import { capitalize, safeUrl } from './sanitize.js';

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

/**
 * Creates the HTTP client: got with connect/response timeouts, a 1 MiB response cap, proxies
 * from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` (CONNECT tunnels), an optional extra CA from
 * `TOKEN_BROKER_CA_FILE`, User-Agent `token-broker/<version>`, and no retries except when the
 * connection failed before the request was sent.
 *
 * @throws BrokerError `CONFIG_INVALID` when the CA file cannot be read.
 * @see {@link https://www.rfc-editor.org/rfc/rfc9110.html#section-10.1.5 RFC 9110 §10.1.5} (User-Agent), {@link https://www.rfc-editor.org/rfc/rfc9110.html#section-9.3.6 RFC 9110 §9.3.6} (CONNECT)
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const env = options.env ?? process.env;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const responseTimeoutMs = options.responseTimeoutMs ?? 30_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const connectRetries = options.connectRetries ?? 1;
  const retryDelayMs = options.retryDelayMs ?? 250;
  const userAgent = options.userAgent ?? `token-broker/${BROKER_VERSION}`;
  const ca = loadCertificateAuthorities(options.caFile ?? nonEmpty(env['TOKEN_BROKER_CA_FILE']));

  const tunnels = new Map<string, TunnelAgents>();
  const agentsFor = (url: URL): { http?: HttpAgent; https?: HttpsAgent } | undefined => {
    const proxy = proxyForUrl(url, env);
    if (proxy === undefined) return undefined;
    const key = proxy.href;
    let agents = tunnels.get(key);
    if (agents === undefined) {
      agents = createTunnelAgents(proxy, { connectTimeoutMs, ...(ca === undefined ? {} : { ca }) });
      tunnels.set(key, agents);
    }
    return agents;
  };

  const client = got.extend({
    throwHttpErrors: false,
    retry: { limit: 0 },
    decompress: true,
    timeout: {
      lookup: connectTimeoutMs,
      connect: connectTimeoutMs,
      secureConnect: connectTimeoutMs,
      response: responseTimeoutMs,
      request: requestTimeoutMs,
    },
    headers: { 'user-agent': userAgent },
    ...(ca === undefined ? {} : { https: { certificateAuthority: ca } }),
  });

  const once = async (request: HttpRequest): Promise<HttpResponse> => {
    const url = new URL(request.url);
    const agents = agentsFor(url);
    let tooLarge = false;
    const pending = client(url, {
      method: request.method,
      headers: request.headers ?? {},
      ...(request.form === undefined ? {} : { form: request.form }),
      // A POST is never redirected: the body holds credentials meant for this endpoint only.
      followRedirect: request.method === 'GET',
      maxRedirects: 3,
      responseType: 'buffer',
      ...(agents === undefined ? {} : { agent: agents }),
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
    const refuse = (): void => {
      tooLarge = true;
      pending.cancel();
    };
    // got's promise emits no 'response' before the body is read; progress carries the
    // announced length (`total`) from the first event, so an announced oversize stops at once.
    pending.on('downloadProgress', (progress: { transferred: number; total?: number }) => {
      if (progress.transferred > maxBytes || (progress.total !== undefined && progress.total > maxBytes)) refuse();
    });
    try {
      const response = await pending;
      if (response.rawBody.length > maxBytes) throw oversized(request);
      return {
        status: response.statusCode,
        headers: response.headers,
        body: response.rawBody.toString('utf8'),
        url: response.url,
      };
    } catch (error) {
      if (tooLarge) throw oversized(request);
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
 * The one place got's errors become BrokerErrors. The cause kept is a copy holding got's
 * message, name and code only: got's own error object carries the request options, and with
 * them a form body or an Authorization header that must never reach a log through `cause`.
 */
export function translateHttpError(error: unknown, request: Pick<HttpRequest, 'url' | 'purpose' | 'signal'>): BrokerError {
  if (error instanceof BrokerError) return error;
  const where = `the ${request.purpose ?? 'server'} at ${safeUrl(request.url)}`;
  const cause = redactedCause(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  if (request.signal?.aborted === true || code === 'ERR_ABORTED' || error instanceof CancelError) {
    return new BrokerError('CANCELLED', `The request to ${where} was cancelled.`, { cause });
  }
  if (error instanceof TimeoutError) {
    return new BrokerError('TIMEOUT', `Timed out (${error.event}) waiting for ${where}.`, { cause });
  }
  if (error instanceof MaxRedirectsError) {
    return new BrokerError('PROVIDER_ERROR', `Too many redirects from ${where}.`, { cause });
  }
  if (error instanceof HTTPError) {
    const status = error.response.statusCode;
    return new BrokerError('PROVIDER_ERROR', `${capitalize(where)} answered HTTP ${status}.`, { cause, status });
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
