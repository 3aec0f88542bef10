/**
 * The pieces every listener of the token API shares: an HTTP/1.1 server with bounded header
 * size, timeouts and connection count, a short JSON answer for malformed requests, and
 * promise-shaped listen/close.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9112.html RFC 9112} (HTTP/1.1)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

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

/** An HTTP server with the API's limits; `handler` sees only well-formed requests. */
export function makeHttpServer(limits: ApiLimits, handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
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

/** Resolves once `server` accepts connections on `target`; rejects with the raw listen error. */
export function listen(server: Server, target: { path: string } | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen({ ...target, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Stops accepting and drops every open connection (keep-alive ones too), so a port frees at once. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
