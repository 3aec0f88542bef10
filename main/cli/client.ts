/**
 * The CLI's tiny client for the local token API over the Unix socket (or named pipe).
 *
 * `token`, `exec`, `git-credential` and `kubectl-credential` run on every script call, so their
 * one GET goes through {@link getJson}: a raw HTTP/1.1 request, which starts faster than loading
 * node:http (and `token --method --url`'s one POST through {@link postJson}) — over blocking libc
 * calls in the CLI's bins ({@link preferBlockingExchange}), over node:net elsewhere.
 * Everything else (other POSTs, the streamed sign-in) uses client-http.ts.
 */
import { resolveDataDir } from '../core/data-dir-path.js';
import { defaultSocketPath, socketPathTooLong } from '../core/socket-path.js';
import type { ErrorBody } from '../core/api/wire.js';
import { createBlockingExchange, type BlockingExchange } from './blocking-exchange.js';
import { assertBrokerIsOurs, checkBrokerPeer } from './broker-peer.js';
import { CliError, EXIT, exitCodeForApiError } from './exit.js';

/** The API's error body (a type-only import: the CLI's hot path loads none of the core). */
export type ApiErrorBody = ErrorBody;

export interface RequestOptions {
  body?: unknown;
  /** `X-Token-Broker-Client`: who asks, for the audit log and approval prompts. */
  client?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Gives up when the broker sends nothing for this long (ms); 0 waits forever (sign-in). */
  timeoutMs?: number;
  /** The account the request is about, so an error can say "did you mean". */
  account?: string;
}

/** Long enough for a person to answer an approval prompt in the app. */
export const DEFAULT_TIMEOUT_MS = 180_000;

export function brokerSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.TOKEN_BROKER_SOCKET;
  // Skip resolving the data directory when the socket is given explicitly.
  const path = override !== undefined && override !== '' ? override : defaultSocketPath(resolveDataDir(env), env);
  // The kernel would connect to the path cut short: say so instead of talking to whatever is there.
  const tooLong = socketPathTooLong(path);
  if (tooLong !== undefined) throw new CliError(tooLong, EXIT.error, 'CONFIG_INVALID');
  return path;
}

export function notRunning(socketPath: string): CliError {
  return new CliError(
    `no broker is running (nothing listens on ${socketPath}) — start one with \`token-broker serve\` or open the Token Broker app`,
    EXIT.error,
    'BROKER_NOT_RUNNING',
  );
}

/** Turns an API error body into a CliError with the right exit code; `account`: what the request was about. */
export function apiError(status: number, body: unknown, account?: string): CliError {
  const error = (body as Partial<ApiErrorBody> | undefined)?.error;
  if (error === undefined || typeof error.code !== 'string') {
    return new CliError(`the broker answered HTTP ${status} without an error body`);
  }
  return new CliError(describeApiError(error), exitCodeForApiError(error.code), error.code, {
    ...(account === undefined ? {} : { account }),
    ...(error.oauth_error === undefined ? {} : { oauthError: error.oauth_error }),
  });
}

/** The broker's message, plus the provider's OAuth error where the message does not already name it. */
export function describeApiError(error: ApiErrorBody['error']): string {
  if (error.oauth_error === undefined || error.message.includes(error.oauth_error)) return error.message;
  return `${error.message} (${error.oauth_error}${error.oauth_error_description ? `: ${error.oauth_error_description}` : ''})`;
}

/** Maps a connection error to the message the user needs. */
export function connectionError(error: NodeJS.ErrnoException, socketPath: string, timeoutMs: number): CliError {
  if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED' || error.code === 'ENOTSOCK') return notRunning(socketPath);
  if (error.name === 'AbortError') return new CliError('cancelled', EXIT.error, 'CANCELLED');
  if (error.code === 'ETIMEDOUT') {
    return new CliError(`the broker on ${socketPath} did not answer within ${Math.round(timeoutMs / 1000)} s`, EXIT.error, 'TIMEOUT');
  }
  return new CliError(`cannot talk to the broker on ${socketPath}: ${error.code ?? error.message}`);
}

/** Decodes a `Transfer-Encoding: chunked` body (RFC 9112 §7.1); our server sends Content-Length, but be safe. */
function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd === -1) break;
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Sends one request and resolves with every byte of the answer; rejects with a CliError or a system error. */
type Exchange = (socketPath: string, request: string, timeoutMs: number) => Promise<Buffer>;

/** The event-loop exchange on node:net, loaded on first use (the CLI's bins usually take the blocking one). */
const netExchange: Exchange = async (socketPath, request, timeoutMs) => {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const chunks: Buffer[] = [];
    if (timeoutMs > 0) {
      socket.setTimeout(timeoutMs, () => socket.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    }
    socket.once('connect', () => {
      // Nothing is sent to (or trusted from) a broker that runs as another user.
      assertBrokerIsOurs(socket, socketPath).then(
        () => socket.write(request),
        (error: unknown) => {
          socket.destroy();
          reject(error);
        },
      );
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('end', () => resolve(Buffer.concat(chunks)));
  });
};

let exchange: Exchange = netExchange;

/**
 * For a process that only talks to the broker (the CLI's bins, never the broker's own process):
 * requests go through blocking libc calls (blocking-exchange.ts) where this platform has them,
 * which starts ~6 ms faster than node:net. koffi is loaded with the first request, not here.
 */
export function preferBlockingExchange(): void {
  let blocking: BlockingExchange | undefined | null = null;
  exchange = (socketPath, request, timeoutMs) => {
    if (blocking === null) blocking = createBlockingExchange();
    if (blocking === undefined) return netExchange(socketPath, request, timeoutMs);
    try {
      return Promise.resolve(
        blocking(socketPath, Buffer.from(request), timeoutMs, (peer) => checkBrokerPeer(peer, socketPath), answerComplete),
      );
    } catch (error) {
      return Promise.reject(error as Error);
    }
  };
}

/**
 * GETs `path` and returns the parsed JSON of a 2xx answer; throws CliError otherwise. One
 * request per connection (`Connection: close`), read to the end.
 * @see {@link https://www.rfc-editor.org/rfc/rfc9112.html#section-9.6 RFC 9112 §9.6} (tear-down)
 */
export function getJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  return requestJson('GET', path, undefined, options);
}

/**
 * POSTs `body` as JSON, the same way: for the one POST of a hot command (`token --format header
 * --method --url` asks for a DPoP proof), without loading node:http.
 */
export function postJson<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
  return requestJson('POST', path, JSON.stringify(body), options);
}

function requestJson<T>(method: 'GET' | 'POST', path: string, payload: string | undefined, options: RequestOptions): Promise<T> {
  const socketPath = brokerSocketPath(options.env);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = (options.client ?? 'token-broker-cli').replace(/[^\x20-\x7e]/g, '');
  // No half-close: the server would treat our FIN as an aborted request. It closes after answering.
  const content = payload === undefined ? '' : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n`;
  const request = `${method} ${path} HTTP/1.1\r\nHost: broker\r\nAccept: application/json\r\nX-Token-Broker-Client: ${client}\r\n${content}Connection: close\r\n\r\n${payload ?? ''}`;
  return exchange(socketPath, request, timeoutMs).then(
    (raw) => answerOf<T>(raw, socketPath, options.account),
    (error: unknown) => {
      throw error instanceof CliError ? error : connectionError(error as NodeJS.ErrnoException, socketPath, timeoutMs);
    },
  );
}

/**
 * Whether `raw` holds a whole answer by its `Content-Length` (the broker always sends one); false
 * without one, so the answer is read until the broker closes.
 */
export function answerComplete(raw: Buffer): boolean {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd === -1) return false;
  const length = /\r\ncontent-length:[ \t]*(\d{1,9})[ \t]*\r\n/i.exec(raw.toString('latin1', 0, headEnd + 2))?.[1];
  return length !== undefined && raw.length >= headEnd + 4 + Number(length);
}

/** The parsed JSON of a 2xx answer; a CliError for an error answer or one that is not HTTP and JSON. */
function answerOf<T>(raw: Buffer, socketPath: string, account: string | undefined): T {
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, headEnd === -1 ? raw.length : headEnd).toString('latin1');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
  if (headEnd === -1 || status === undefined) throw new CliError(`the broker on ${socketPath} sent an incomplete answer`);
  let body: Buffer = raw.subarray(headEnd + 4);
  if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) body = dechunk(body);
  let json: unknown;
  try {
    json = body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
  } catch {
    throw new CliError(`the broker answered HTTP ${status} with a body that is not JSON`);
  }
  const code = Number(status);
  if (code < 200 || code > 299) throw apiError(code, json, account);
  return json as T;
}

/**
 * `?a=1&b=2` for the parameters that are set ('' when none), percent-encoded. Plain
 * encodeURIComponent rather than URLSearchParams: the hot commands build one query per start, and
 * URLSearchParams' first use costs more than the whole string (issue 15).
 */
export function queryString(params: Record<string, string | undefined>): string {
  let out = '';
  for (const name of Object.keys(params)) {
    const value = params[name];
    if (value !== undefined) out += `${out === '' ? '?' : '&'}${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  }
  return out;
}

/** Percent-encodes one path segment (account names). */
export const seg = (value: string): string => encodeURIComponent(value);
