/**
 * The optional loopback TCP listener of the token API, as a slot that can be filled, re-bound
 * and emptied while the broker runs (the settings page applies changes at once).
 *
 * - Always 127.0.0.1: a TCP port is reachable by every local process and, through the browser,
 *   by every web page, so each request needs the bearer key and browser-shaped requests are
 *   refused (tcp-auth.ts).
 * - The key is read from its file when the listener starts and on {@link TcpListenerSlot.reloadKey};
 *   requests compare against the copy in memory, so the hot path never touches the disk. A
 *   regenerated key refuses the old one from the next request on, keep-alive connections included.
 * - A new port is bound before the old listener closes: a failed re-bind (port taken) leaves the
 *   old listener serving and reports why.
 * - A key file that cannot be read opens nothing: the running listener then refuses every request.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6750.html#section-2.1 RFC 6750 §2.1} (bearer tokens in the Authorization header)
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { BrokerError, toBrokerError } from '../errors.js';
import type { Logger } from '../ports.js';
import { closeServer, listen, makeHttpServer, type ApiLimits } from './http-listener.js';
import { sendError, type RequestContext } from './routes.js';
import { createBearerCheck, isLoopbackHost, loadOrCreateApiKey } from './tcp-auth.js';

/** The only address the listener ever binds. */
export const LOOPBACK = '127.0.0.1';

export interface TcpListenerOptions {
  /** 0 picks a free port (and keeps the current one when a listener already runs). */
  port: number;
  /** The 0600 bearer key file; created with a fresh key when missing. */
  keyFile: string;
}

export interface TcpAddress {
  host: string;
  port: number;
}

export interface TcpListenerSlot {
  /** Where the listener is bound right now; undefined while it is off. */
  readonly address: TcpAddress | undefined;
  /**
   * Starts, re-binds or stops (`undefined`) the listener; re-reads the key file whenever it
   * leaves a listener running. Calls are serialized.
   */
  set(options: TcpListenerOptions | undefined): Promise<void>;
  /** Re-reads the running listener's key file (after it was regenerated). No-op while off. */
  reloadKey(): Promise<void>;
  /** Stops the listener for good; later `set` calls fail with BROKER_NOT_RUNNING. */
  close(): Promise<void>;
}

type Route = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => void;
type BearerCheck = (authorization: string | undefined) => boolean;

interface Running {
  server: Server;
  port: number;
  keyFile: string;
  bearerOk: BearerCheck;
}

const refuseAll: BearerCheck = () => false;

export function createTcpListenerSlot(deps: { limits: ApiLimits; route: Route; logger: Logger }): TcpListenerSlot {
  const { limits, route, logger } = deps;
  let running: Running | undefined;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();

  const serialize = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task);
    queue = next.catch(() => undefined);
    return next;
  };

  /** Reads the key; on failure the running listener (if any) stops accepting any key. */
  const readKey = async (keyFile: string): Promise<BearerCheck> => {
    try {
      return createBearerCheck(await loadOrCreateApiKey(keyFile));
    } catch (error) {
      if (running !== undefined) running.bearerOk = refuseAll;
      logger.warn(`[api] TCP listener key unusable, refusing every request: ${toBrokerError(error).code}`);
      throw error;
    }
  };

  const bind = async (port: number, keyFile: string, bearerOk: BearerCheck): Promise<Running> => {
    // Read on every request, so a key reload or the OS-assigned port applies at once.
    const guard: Omit<Running, 'server'> = { port, keyFile, bearerOk };
    const server = makeHttpServer(limits, (req, res) => {
      if (req.headers.origin !== undefined || !isLoopbackHost(req.headers.host, guard.port)) {
        sendError(res, new BrokerError('FORBIDDEN', 'Requests from web pages (Origin) or for a non-loopback Host are refused.'));
        return;
      }
      if (!guard.bearerOk(req.headers.authorization)) {
        sendError(res, new BrokerError('UNAUTHORIZED', 'Send Authorization: Bearer <key> with the key from the API key file.'), {
          'WWW-Authenticate': 'Bearer realm="token-broker"',
        });
        return;
      }
      route(req, res, { tcp: true });
    });
    try {
      await listen(server, { host: LOOPBACK, port });
    } catch (error) {
      throw translateTcpListenError(error, port);
    }
    const address = server.address();
    if (address !== null && typeof address === 'object') guard.port = address.port;
    // The same object the request handler reads: later changes to it reach the handler.
    return Object.assign(guard, { server });
  };

  const stop = async (): Promise<void> => {
    const previous = running;
    running = undefined;
    if (previous === undefined) return;
    await closeServer(previous.server);
    logger.info(`[api] TCP listener on ${LOOPBACK}:${previous.port} stopped`);
  };

  return {
    get address() {
      return running === undefined ? undefined : { host: LOOPBACK, port: running.port };
    },
    set(options) {
      return serialize(async () => {
        if (closed) throw new BrokerError('BROKER_NOT_RUNNING', 'The token API has stopped.');
        if (options === undefined) return stop();
        const bearerOk = await readKey(options.keyFile);
        if (running !== undefined && (options.port === 0 || options.port === running.port)) {
          running.bearerOk = bearerOk;
          running.keyFile = options.keyFile;
          return;
        }
        const next = await bind(options.port, options.keyFile, bearerOk);
        const previous = running;
        running = next;
        if (previous !== undefined) await closeServer(previous.server);
        logger.info(`[api] TCP listener on http://${LOOPBACK}:${next.port}`);
      });
    },
    reloadKey() {
      return serialize(async () => {
        if (running === undefined) return;
        running.bearerOk = await readKey(running.keyFile);
        logger.info('[api] TCP listener key reloaded');
      });
    },
    close() {
      return serialize(async () => {
        closed = true;
        await stop();
      });
    },
  };
}

function translateTcpListenError(error: unknown, port: number): BrokerError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new BrokerError(
      'CONFIG_INVALID',
      `Port ${port} on ${LOOPBACK} is in use by another program. Choose another port, or 0 for any free one.`,
      {
        cause: error,
      },
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new BrokerError(
      'CONFIG_INVALID',
      `Port ${port} on ${LOOPBACK} needs privileges. Choose a port above 1023, or 0 for any free one.`,
      {
        cause: error,
      },
    );
  }
  return new BrokerError('INTERNAL', `Cannot listen on ${LOOPBACK}:${port} (${code ?? 'unknown error'}).`, { cause: error });
}
