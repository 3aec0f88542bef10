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
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { UNVERIFIED_CALLER } from '../../shared/caller.js';
import type { ErrorInfo } from '../../shared/errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { createConnectionBudget, type ConnectionBudget } from '../net/connection-budget.js';
import { tcpListenerOwner } from '../net/tcp-peer-uid.js';

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
  /** Off, running on a port, or failed to bind the configured port (and why): for health and the tray. */
  readonly status: TcpListenerStatus;
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

/** What `GET /v1/health`, `serve` and the window say about the TCP listener. */
export type TcpListenerStatus =
  | { state: 'off' }
  | { state: 'running'; port: number }
  /** The configured port could not be bound (taken by another program, say): not running. */
  | { state: 'failed'; port: number; error: ErrorInfo };

/**
 * Connections that have not sent an authenticated request yet: at most this many at a time (a new
 * one evicts the oldest), each for at most {@link ADMIT_WITHIN_MS}. Any local process can open
 * TCP connections; only key holders get to keep theirs.
 */
export const MAX_UNAUTHENTICATED_CONNECTIONS = 64;
export const ADMIT_WITHIN_MS = 3_000;

/** Every request on the TCP listener carries this context: nobody vouches for a TCP peer. */
const CLOSE = { Connection: 'close' };

const TCP_CONTEXT: RequestContext = Object.freeze({ tcp: true, caller: UNVERIFIED_CALLER });

type Route = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext) => void;
type BearerCheck = (authorization: string | undefined) => boolean;

interface Running {
  server: Server;
  port: number;
  keyFile: string;
  bearerOk: BearerCheck;
  budget: ConnectionBudget;
}

const refuseAll: BearerCheck = () => false;

export function createTcpListenerSlot(deps: { limits: ApiLimits; route: Route; logger: Logger }): TcpListenerSlot {
  const { limits, route, logger } = deps;
  let running: Running | undefined;
  let failure: { port: number; error: ErrorInfo } | undefined;
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
    const budget = createConnectionBudget({ maxPending: MAX_UNAUTHENTICATED_CONNECTIONS, admitWithinMs: ADMIT_WITHIN_MS });
    const guard: Omit<Running, 'server'> = { port, keyFile, bearerOk, budget };
    const server = makeHttpServer(limits, (req, res) => {
      if (req.headers.origin !== undefined || !isLoopbackHost(req.headers.host, guard.port)) {
        sendError(res, new BrokerError('FORBIDDEN', 'Requests from web pages (Origin) or for a non-loopback Host are refused.'), CLOSE);
        return;
      }
      if (!guard.bearerOk(req.headers.authorization)) {
        sendError(res, new BrokerError('UNAUTHORIZED', 'Send Authorization: Bearer <key> with the key from the API key file.'), {
          'WWW-Authenticate': 'Bearer realm="token-broker"',
          ...CLOSE,
        });
        return;
      }
      guard.budget.admit(req.socket);
      route(req, res, TCP_CONTEXT);
    });
    server.on('connection', (socket: Socket) => guard.budget.track(socket));
    try {
      await listen(server, { host: LOOPBACK, port });
    } catch (error) {
      budget.close();
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
    previous.budget.close();
    await closeServer(previous.server);
    logger.info(`[api] TCP listener on ${LOOPBACK}:${previous.port} stopped`);
  };

  /**
   * The configured port is someone else's: clients will send the key there. Keys they could have
   * sent must not work later, so the key is revoked now — the file is removed while no listener
   * of ours runs (a client then has no key to leak), or replaced when an old listener keeps
   * serving (it takes the new key at once). A listener that binds later creates a fresh key.
   */
  const revokeKey = async (keyFile: string): Promise<void> => {
    try {
      if (running === undefined) {
        await rm(keyFile, { force: true });
      } else {
        await writeFileAtomic(keyFile, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
        running.bearerOk = await readKey(keyFile);
      }
    } catch (error) {
      logger.warn(`[api] could not revoke the TCP listener key after the failed bind: ${toBrokerError(error).code}`);
    }
  };

  return {
    get address() {
      return running === undefined ? undefined : { host: LOOPBACK, port: running.port };
    },
    get status(): TcpListenerStatus {
      if (failure !== undefined) return { state: 'failed', port: failure.port, error: failure.error };
      return running === undefined ? { state: 'off' } : { state: 'running', port: running.port };
    },
    set(options) {
      return serialize(async () => {
        if (closed) throw new BrokerError('BROKER_NOT_RUNNING', 'The token API has stopped.');
        if (options === undefined) {
          failure = undefined;
          return stop();
        }
        const bearerOk = await readKey(options.keyFile);
        if (running !== undefined && (options.port === 0 || options.port === running.port)) {
          failure = undefined;
          running.bearerOk = bearerOk;
          running.keyFile = options.keyFile;
          return;
        }
        let next: Running;
        try {
          next = await bind(options.port, options.keyFile, bearerOk);
        } catch (error) {
          const brokerError = toBrokerError(error);
          // With an old listener left serving (the caller puts its port back in the settings),
          // nothing is failing; without one, the listener is down and says why.
          failure = running === undefined ? { port: options.port, error: brokerError.toJSON() } : undefined;
          await revokeKey(options.keyFile);
          throw brokerError;
        }
        failure = undefined;
        const previous = running;
        running = next;
        if (previous !== undefined) {
          previous.budget.close();
          await closeServer(previous.server);
        }
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
    const owner = tcpListenerOwner(port);
    const who = owner === undefined ? 'another program' : `another program (uid ${owner})`;
    return new BrokerError(
      'CONFIG_INVALID',
      `Port ${port} on ${LOOPBACK} is in use by ${who}; the TCP listener is not running and its key was revoked, since clients may send it there. Choose another port, or 0 for any free one.`,
      { cause: error },
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
