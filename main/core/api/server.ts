/**
 * The local token API server: HTTP/1.1 over a Unix domain socket (a per-user named pipe on
 * Windows), plus an optional loopback TCP listener guarded by a bearer key.
 *
 * The socket is the trust boundary: it is created in a 0700 directory owned by the user and
 * chmod 0600, so only the user's own processes can connect. Every listener bounds header and
 * body size, the time a client may take to send its request, and the number of connections, so
 * a misbehaving client cannot starve the others.
 *
 * @see RFC 9112 (HTTP/1.1), DESIGN.md "The local token API"
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { chmod, unlink } from 'node:fs/promises';
import type { BrokerService } from '../broker/types.js';
import { BrokerError } from '../errors.js';
import { silentLogger, systemClock, type Clock, type Logger } from '../ports.js';
import { createRouter, sendError, type AdminPort } from './routes.js';
import { assertPrivateSocketDir, isWindowsPipe, removeStaleSocket } from './socket-guard.js';
import { createBearerCheck, isLoopbackHost, loadOrCreateApiKey } from './tcp-auth.js';

export type { AdminPort } from './routes.js';

export interface ApiLimits {
  /** Largest request head (request line + headers) in bytes; larger → 431. */
  maxHeaderSize: number;
  /** Largest request body in bytes; larger → 413. */
  maxBodySize: number;
  /** Time allowed to receive the request headers (slowloris), ms. */
  headersTimeoutMs: number;
  /** Time allowed to receive the whole request, ms. */
  requestTimeoutMs: number;
  /** Idle keep-alive connections are closed after this, ms. */
  keepAliveTimeoutMs: number;
  /** Connections above this are refused by the kernel-facing listener. */
  maxConnections: number;
}

export const DEFAULT_API_LIMITS: ApiLimits = {
  maxHeaderSize: 8 * 1024,
  maxBodySize: 64 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 512,
};

export interface ApiServerOptions {
  broker: BrokerService;
  /** Unix socket path, or a `\\.\pipe\…` name on Windows. */
  socketPath: string;
  /** Optional 127.0.0.1 listener; port 0 picks a free one. The key file is created if missing. */
  tcp?: { port: number; keyFile: string };
  logger?: Logger;
  /** Operations behind the admin endpoints (socket only); defaults to the broker. `false` disables them. */
  admin?: AdminPort | false;
  clock?: Clock;
  limits?: Partial<ApiLimits>;
}

export interface ApiServer {
  socketPath: string;
  tcpAddress?: { host: string; port: number };
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';

function makeHttpServer(limits: ApiLimits, handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderSize,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the two timeouts above on this interval (default 30 s): keep it short so a
      // slowloris connection is cut close to headersTimeout.
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
      noDelay: true,
    },
    handler,
  );
  server.maxConnections = limits.maxConnections;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => answerClientError(error, socket));
  return server;
}

/** Malformed or oversized requests get a short JSON answer and the connection is closed. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // The parser may report more errors after we answered; destroying now would drop the answer.
  if (socket.writableEnded) return;
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'INVALID_REQUEST', 'The request headers are too large.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'TIMEOUT', 'The request took too long to arrive.']
        : [400, 'Bad Request', 'INVALID_REQUEST', 'The request is not valid HTTP/1.1.'];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function listen(server: Server, target: { path: string } | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen({ ...target, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Starts the token API. Resolves once every listener accepts connections; `close()` stops them
 * and removes the socket file.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const limits: ApiLimits = { ...DEFAULT_API_LIMITS, ...options.limits };
  const logger = options.logger ?? silentLogger;
  const route = createRouter({
    broker: options.broker,
    admin: options.admin === false ? undefined : (options.admin ?? options.broker),
    clock: options.clock ?? systemClock,
    logger,
    bodyLimit: limits.maxBodySize,
  });

  const socketPath = options.socketPath;
  const pipe = process.platform === 'win32' || isWindowsPipe(socketPath);
  if (!pipe) {
    await assertPrivateSocketDir(socketPath);
    await removeStaleSocket(socketPath);
  }
  const socketServer = makeHttpServer(limits, (req, res) => route(req, res, { tcp: false }));
  try {
    await listen(socketServer, { path: socketPath });
  } catch (error) {
    throw translateListenError(error, socketPath);
  }
  if (!pipe) await chmod(socketPath, 0o600);

  let tcpServer: Server | undefined;
  let tcpAddress: { host: string; port: number } | undefined;
  if (options.tcp !== undefined) {
    try {
      const key = await loadOrCreateApiKey(options.tcp.keyFile);
      const bearerOk = createBearerCheck(key);
      let port = options.tcp.port;
      tcpServer = makeHttpServer(limits, (req, res) => {
        if (req.headers.origin !== undefined || !isLoopbackHost(req.headers.host, port)) {
          sendError(res, new BrokerError('FORBIDDEN', 'Requests from web pages (Origin) or for a non-loopback Host are refused.'));
          return;
        }
        if (!bearerOk(req.headers.authorization)) {
          sendError(res, new BrokerError('UNAUTHORIZED', 'Send Authorization: Bearer <key> with the key from the API key file.'), {
            'WWW-Authenticate': 'Bearer realm="token-broker"',
          });
          return;
        }
        route(req, res, { tcp: true });
      });
      await listen(tcpServer, { host: LOOPBACK, port });
      const address = tcpServer.address();
      if (address !== null && typeof address === 'object') port = address.port;
      tcpAddress = { host: LOOPBACK, port };
    } catch (error) {
      await closeServer(socketServer);
      if (tcpServer?.listening) await closeServer(tcpServer);
      if (!pipe) await unlink(socketPath).catch(() => {});
      throw error;
    }
  }

  logger.info(`[api] listening on ${socketPath}${tcpAddress === undefined ? '' : ` and http://${tcpAddress.host}:${tcpAddress.port}`}`);

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    ...(tcpAddress === undefined ? {} : { tcpAddress }),
    close() {
      closing ??= (async () => {
        await Promise.all([closeServer(socketServer), tcpServer === undefined ? undefined : closeServer(tcpServer)]);
        if (!pipe) await unlink(socketPath).catch(() => {});
      })();
      return closing;
    },
  };
}

function translateListenError(error: unknown, socketPath: string): BrokerError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new BrokerError('BROKER_ALREADY_RUNNING', `Another process is listening on ${socketPath}.`, { cause: error });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new BrokerError('SOCKET_INSECURE', `Cannot create the socket ${socketPath} (${code}).`, { cause: error });
  }
  return new BrokerError('INTERNAL', `Cannot listen on ${socketPath} (${code ?? 'unknown error'}).`, { cause: error });
}
