/**
 * The RFC 8252 loopback redirect listener: a one-shot HTTP server on 127.0.0.1 that receives
 * exactly one authorization response and then closes.
 *
 * - Binds 127.0.0.1 only, never all interfaces; port 0 (OS-assigned) unless the redirect URI
 *   fixes one. A `localhost` redirect URI is honoured in the URI but still bound on 127.0.0.1.
 * - Requests for other paths get 404 and do not consume the listener; so do requests whose
 *   Host header is not this listener (DNS rebinding).
 * - The browser is given a one-shot start URL, never the authorization URL (start-gate.ts): its
 *   first fetch sets a cookie and redirects; a second fetch ends the sign-in.
 * - Only a callback from that browser (with the cookie) carrying this sign-in's `state` settles
 *   the flow; anything else — a forged callback, an `error=` with a wrong state, a callback
 *   delivered by another user agent — gets a 400 page and is ignored. A callback with the right
 *   state settles it, valid or not, and the listener closes.
 * - On Linux, connections opened by other users are turned away before they can send anything
 *   (the kernel's socket table names each connection's owner, net/tcp-peer-uid.ts).
 * - Connections are bounded (32 at once, at most 16 that have not sent a request, each for at most
 *   5 s) so idle connections cannot exhaust the broker's file descriptors.
 * - Timeout (default 5 minutes) and an AbortSignal close it too.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8252.html#section-7.3 RFC 8252 §7.3}, {@link https://www.rfc-editor.org/rfc/rfc8252.html#section-8.3 §8.3}
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { BrokerError } from '../errors.js';
import { createConnectionBudget } from '../net/connection-budget.js';
import { createTcpOwnerLookup } from '../net/tcp-peer-uid.js';
import { createStartGate, type StartGate } from './start-gate.js';
import { fragmentRelayPage, newNonce, pageHeaders, plainPage, resultPage } from './pages.js';

export const DEFAULT_LOOPBACK_TIMEOUT_MS = 5 * 60 * 1000;
export const DEFAULT_REDIRECT_URI = 'http://127.0.0.1/callback';
const MAX_RELAY_BODY_BYTES = 16 * 1024;
/** Connections at once; a browser opens a handful. */
const MAX_CONNECTIONS = 32;
const MAX_PENDING_CONNECTIONS = 16;
const ADMIT_WITHIN_MS = 5_000;
/** Sent (and the connection closed) to a connection another local user opened (Linux). */
const OTHER_USER_BODY = 'This sign-in belongs to another user.\n';
const OTHER_USER_ANSWER =
  `HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n` +
  `Content-Length: ${Buffer.byteLength(OTHER_USER_BODY)}\r\nConnection: close\r\n\r\n${OTHER_USER_BODY}`;
const BIND_ADDRESS = '127.0.0.1';

/** A parsed loopback redirect URI. */
export interface LoopbackRedirect {
  /** `127.0.0.1` or `localhost`, as it appears in the redirect URI. */
  host: '127.0.0.1' | 'localhost';
  /** 0 = any free port (RFC 8252 §7.3). */
  port: number;
  path: string;
}

/**
 * Parses a redirect URI for the loopback listener. Only `http://127.0.0.1[:port]/path` and
 * `http://localhost[:port]/path` are accepted; no port means any free port. Default
 * `http://127.0.0.1/callback`.
 * @throws BrokerError `CONFIG_INVALID` for anything else.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8252.html#section-7.3 RFC 8252 §7.3}, {@link https://www.rfc-editor.org/rfc/rfc8252.html#section-8.3 §8.3}
 */
export function parseLoopbackRedirectUri(redirectUri: string = DEFAULT_REDIRECT_URI): LoopbackRedirect {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    throw new BrokerError('CONFIG_INVALID', 'The redirect URI is not a valid URL.');
  }
  if (url.protocol !== 'http:') throw new BrokerError('CONFIG_INVALID', 'A loopback redirect URI uses http:// (RFC 8252 §7.3).');
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
    throw new BrokerError(
      'CONFIG_INVALID',
      'The redirect URI must point at 127.0.0.1 or localhost: the broker only listens on the loopback interface.',
    );
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new BrokerError('CONFIG_INVALID', 'The redirect URI must not contain credentials, a query or a fragment.');
  }
  return { host: url.hostname, port: url.port === '' ? 0 : Number(url.port), path: url.pathname === '' ? '/' : url.pathname };
}

export interface LoopbackOptions<T> {
  /** Default `http://127.0.0.1/callback` (any free port). */
  redirectUri?: string;
  /**
   * `query`: the response is in the callback URL's query (code flow).
   * `fragment`: it is in the URL fragment (implicit); a relay page posts it back.
   */
  mode?: 'query' | 'fragment';
  /**
   * Validates the callback parameters; its value resolves `result`, a throw (a BrokerError
   * whose message is safe to show) rejects it. Called at most once.
   */
  handle: (params: URLSearchParams) => T;
  /** Default 5 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface LoopbackListener<T> {
  /** The redirect URI to send, with the actual port. */
  redirectUri: string;
  /**
   * Arms the sign-in with its authorization URL and returns the one-shot start URL
   * (`http://127.0.0.1:PORT/start/<random>`) — the only URL a browser or a person is given.
   */
  startUrl(authorizationUrl: string): string;
  /** Where the socket is bound; always 127.0.0.1. */
  address: AddressInfo;
  /** Settles once: the handled callback, or TIMEOUT / CANCELLED / the handler's error. */
  result: Promise<T>;
  /** Closes the listener; pending `result` rejects with CANCELLED. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the loopback listener and resolves once it is listening (so the redirect URI with
 * the real port is known before the authorization URL is built).
 * @throws BrokerError `CONFIG_INVALID` for a bad redirect URI or a fixed port in use;
 *   `CANCELLED` when the signal is already aborted.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8252.html#section-7.3 RFC 8252 §7.3}
 */
export async function startLoopbackListener<T>(options: LoopbackOptions<T>): Promise<LoopbackListener<T>> {
  const redirect = parseLoopbackRedirectUri(options.redirectUri);
  const mode = options.mode ?? 'query';
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOOPBACK_TIMEOUT_MS;
  if (options.signal?.aborted === true) throw new BrokerError('CANCELLED', 'Sign-in was cancelled.');
  const relayKey = randomBytes(32).toString('base64url');

  let settled = false;
  let resolveResult!: (value: T) => void;
  let rejectResult!: (error: unknown) => void;
  const result = new Promise<T>((resolve, reject) => {
    resolveResult = resolve;
    rejectResult = reject;
  });
  // The caller may attach its handler later (after opening the browser); never an unhandled rejection.
  result.catch(() => {});

  const server: Server = createServer((req, res) => {
    handleRequest(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, (n) => plainPage(n, 'Error', 'Internal error.'));
    });
  });
  server.headersTimeout = 5_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 1_000;
  server.maxConnections = MAX_CONNECTIONS;
  // Idle connections cost a descriptor each: those that send no request in time are closed, and
  // the oldest makes way for a new one (a flood evicts itself, not the browser).
  const budget = createConnectionBudget({ maxPending: MAX_PENDING_CONNECTIONS, admitWithinMs: ADMIT_WITHIN_MS });
  const ownUid = process.getuid?.();
  // Who opened each connection (Linux): decided once per connection, before any of its requests
  // is handled. Connections of other users are answered 403 and closed; so is one the kernel's
  // tables do not list (fail closed). Without the tables (other systems), the cookie decides.
  const owners = ownUid === undefined ? undefined : createTcpOwnerLookup();
  const verdicts = new WeakMap<Socket, Promise<boolean>>();
  server.on('connection', (socket: Socket) => {
    socket.on('error', () => {});
    if (owners === undefined) {
      budget.track(socket);
      return;
    }
    const verdict = owners.ownerOf(socket).then((owner) => {
      const ours = owner.known ? owner.uid === ownUid : owner.reason === 'unsupported';
      if (ours) budget.track(socket);
      else {
        // Written at once (the kernel takes it whole) and closed: the descriptor is free again at once.
        socket.write(OTHER_USER_ANSWER);
        socket.destroy();
      }
      return ours;
    });
    verdicts.set(socket, verdict);
  });
  let gate: StartGate | undefined;

  const timers: { timeout?: NodeJS.Timeout } = {};
  // Captured once listening: server.address() is null as soon as close() begins.
  const bound = { port: 0 };
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    if (closing === undefined) {
      budget.close();
      closing = new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    }
    return closing;
  };
  const onAbort = (): void => settle(() => rejectResult(new BrokerError('CANCELLED', 'Sign-in was cancelled.')));
  const settle = (action: () => void): void => {
    if (settled) return;
    settled = true;
    if (timers.timeout !== undefined) clearTimeout(timers.timeout);
    options.signal?.removeEventListener('abort', onAbort);
    action();
    void close();
  };

  const origin = (port: number): string => `http://${redirect.host}:${port}`;
  const allowedHosts = (port: number): Set<string> => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if ((await verdicts.get(req.socket)) === false) {
      req.socket.destroy();
      return;
    }
    budget.admit(req.socket);
    const port = bound.port;
    if (!allowedHosts(port).has(String(req.headers.host ?? '').toLowerCase())) {
      send(res, 400, (n) => plainPage(n, 'Bad request', 'Unexpected Host header.'));
      return;
    }
    const url = new URL(req.url ?? '/', origin(port));
    if (gate !== undefined && url.pathname === gate.path) {
      openStart(req, res, gate);
      return;
    }
    if (url.pathname !== redirect.path) {
      send(res, 404, (n) => plainPage(n, 'Not found', 'This is Token Broker\u2019s sign-in listener.'));
      return;
    }
    if (settled) {
      send(res, 410, (n) => plainPage(n, 'Sign-in finished', 'This sign-in has already been handled. Return to Token Broker.'), true);
      return;
    }
    // Only the browser that opened the start URL may deliver the authorization response.
    if (gate === undefined || !gate.carriesCookie(req)) {
      ignored(
        res,
        'This response did not come from the browser this sign-in was started in, so it was ignored.',
        mode === 'fragment' && req.method === 'POST',
      );
      return;
    }
    if (mode === 'fragment' && req.method === 'POST') {
      await handleRelayPost(req, res, port);
      return;
    }
    if (req.method !== 'GET') {
      send(res, 405, (n) => plainPage(n, 'Method not allowed', 'Use GET.'), false, { allow: 'GET' });
      return;
    }
    if (mode === 'fragment' && url.search === '') {
      send(res, 200, (n) => fragmentRelayPage(n, relayKey, redirect.path));
      return;
    }
    consume(url.searchParams, res, 'html');
  }

  async function handleRelayPost(req: IncomingMessage, res: ServerResponse, port: number): Promise<void> {
    const originHeader = req.headers.origin;
    if (
      req.headers['x-token-broker-relay'] !== relayKey ||
      (originHeader !== undefined && !allowedHosts(port).has(originHeader.replace(/^http:\/\//, '')))
    ) {
      sendJson(res, 403, { ok: false, message: 'Forbidden.' });
      return;
    }
    const body = await readBody(req, MAX_RELAY_BODY_BYTES);
    if (body === undefined) {
      sendJson(res, 413, { ok: false, message: 'Too large.' });
      return;
    }
    consume(new URLSearchParams(body), res, 'json');
  }

  /** The start URL: the first GET gets the cookie and the authorization URL, a second ends the sign-in. */
  function openStart(req: IncomingMessage, res: ServerResponse, startGate: StartGate): void {
    if (req.method !== 'GET') {
      send(res, 405, (n) => plainPage(n, 'Method not allowed', 'Use GET.'), false, { allow: 'GET' });
      return;
    }
    if (settled) {
      send(res, 410, (n) => plainPage(n, 'Sign-in finished', 'This sign-in has already been handled. Return to Token Broker.'), true);
      return;
    }
    const opened = startGate.open();
    if (opened.kind === 'redirect') {
      res.writeHead(302, {
        location: opened.location,
        'set-cookie': opened.setCookie,
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
      });
      res.end();
      return;
    }
    const message =
      'The sign-in link was opened a second time (another tab, or someone else who saw it), so this sign-in was stopped. Start it again in Token Broker.';
    send(res, 409, (n) => resultPage(n, { ok: false, message }), true);
    settle(() => rejectResult(new BrokerError('CALLBACK_INVALID', message)));
  }

  /** A request that must not end the sign-in: a 400 page (or JSON for the relay) and nothing else. */
  function ignored(res: ServerResponse, message: string, json: boolean): void {
    if (json) sendJson(res, 400, { ok: false, message }, true);
    else
      send(res, 400, (n) => resultPage(n, { ok: false, message: `${message} Continue in the browser window Token Broker opened.` }), true);
  }

  function consume(params: URLSearchParams, res: ServerResponse, format: 'html' | 'json'): void {
    // A relay POST may finish reading its body after another request already settled the flow.
    if (settled) {
      if (format === 'json') sendJson(res, 410, { ok: false, message: 'This sign-in has already been handled.' }, true);
      else send(res, 410, (n) => plainPage(n, 'Sign-in finished', 'This sign-in has already been handled. Return to Token Broker.'), true);
      return;
    }
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: options.handle(params) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    // Without this sign-in's state it is not this sign-in's answer (a forged or stale callback,
    // an `error=` aimed at ending it): shown a 400 page, it does not settle anything.
    if (!outcome.ok && outcome.error instanceof BrokerError && outcome.error.code === 'STATE_MISMATCH') {
      ignored(res, 'This response does not carry the state of the sign-in in progress, so it was ignored.', format === 'json');
      return;
    }
    const message = outcome.ok
      ? 'You are signed in. You can close this window and return to Token Broker.'
      : `${errorMessage(outcome.error)} Return to Token Broker to try again.`;
    const status = outcome.ok ? 200 : 400;
    const final = outcome;
    if (format === 'json') sendJson(res, status, { ok: outcome.ok, message }, true);
    else send(res, status, (n) => resultPage(n, { ok: final.ok, message }), true);
    settle(() => (final.ok ? resolveResult(final.value) : rejectResult(final.error)));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new BrokerError(
          'CONFIG_INVALID',
          error.code === 'EADDRINUSE'
            ? `Port ${redirect.port} on 127.0.0.1 is in use; the redirect URI fixes it. Close the other program or use a redirect URI without a port.`
            : `Could not listen on 127.0.0.1 for the sign-in callback (${error.code ?? 'error'}).`,
          { cause: error },
        ),
      );
    });
    server.listen({ host: BIND_ADDRESS, port: redirect.port, exclusive: true }, () => resolve());
  });
  server.on('error', () => {});

  const address = server.address() as AddressInfo;
  bound.port = address.port;
  timers.timeout = setTimeout(() => {
    settle(() => rejectResult(new BrokerError('TIMEOUT', `No sign-in callback arrived within ${Math.round(timeoutMs / 1000)} s.`)));
  }, timeoutMs);
  options.signal?.addEventListener('abort', onAbort, { once: true });

  return {
    redirectUri: `http://${redirect.host}:${address.port}${redirect.path}`,
    startUrl(authorizationUrl) {
      gate ??= createStartGate(authorizationUrl);
      return `${origin(address.port)}${gate.path}`;
    },
    address,
    result,
    close: async () => {
      settle(() => rejectResult(new BrokerError('CANCELLED', 'The sign-in listener was closed.')));
      await close();
    },
  };
}

function errorMessage(error: unknown): string {
  return error instanceof BrokerError ? error.message : 'The sign-in response could not be processed.';
}

/** Sends a page rendered with a fresh CSP nonce that its headers allow. */
function send(
  res: ServerResponse,
  status: number,
  render: (nonce: string) => string,
  closeConnection = false,
  extra: Record<string, string> = {},
): void {
  const nonce = newNonce();
  res.writeHead(status, { ...pageHeaders(nonce, extra), ...(closeConnection ? { connection: 'close' } : {}) });
  res.end(render(nonce));
}

function sendJson(res: ServerResponse, status: number, body: unknown, closeConnection = false): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(closeConnection ? { connection: 'close' } : {}),
  });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
