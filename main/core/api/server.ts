/**
 * The local token API server: HTTP/1.1 over a Unix domain socket (a per-user named pipe on
 * Windows), plus an optional loopback TCP listener guarded by a bearer key.
 *
 * The socket is the trust boundary: it is created in a 0700 directory owned by the user and
 * chmod 0600, so only the user's own processes can connect. Every listener bounds header and
 * body size, the time a client may take to send its request, and the number of connections, so
 * a misbehaving client cannot starve the others.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9112.html RFC 9112} (HTTP/1.1), docs/architecture.md "A token request"
 */
import { chmod, unlink } from 'node:fs/promises';
import type { BrokerService } from '../broker/types.js';
import { BrokerError } from '../errors.js';
import { silentLogger, systemClock, type Clock, type Logger } from '../ports.js';
import { closeServer, DEFAULT_API_LIMITS, listen, makeHttpServer, type ApiLimits } from './http-listener.js';
import { createRouter, type AdminPort, type ProxyStarter } from './routes.js';
import { assertPrivateSocketDir, assertSocketPathFits, removeStaleSocket } from './socket-guard.js';
import { createTcpListenerSlot, type TcpAddress, type TcpListenerOptions, type TcpListenerStatus } from './tcp-listener.js';
import type { Socket } from 'node:net';
import { UNVERIFIED_CALLER, type CallerInfo } from '../../shared/caller.js';
import { peerCredentialReader, type PeerIdentity } from './peer-credentials.js';
import type { RequestContext } from './routes.js';

/** A socket connection whose peer could not be read (Windows pipes; a reader that failed). */
const UNVERIFIED_SOCKET: RequestContext = Object.freeze({ tcp: false, caller: UNVERIFIED_CALLER });

/** The recorded form of a peer: uid, pid and executable when the kernel vouched for it. */
function callerInfo(peer: PeerIdentity): CallerInfo {
  if (!peer.verified) return UNVERIFIED_CALLER;
  return Object.freeze(
    peer.exe === undefined
      ? { verified: true, uid: peer.uid, pid: peer.pid }
      : { verified: true, uid: peer.uid, pid: peer.pid, exe: peer.exe },
  );
}

export type { AdminPort } from './routes.js';
export { DEFAULT_API_LIMITS, type ApiLimits } from './http-listener.js';
export type { TcpAddress, TcpListenerOptions, TcpListenerStatus } from './tcp-listener.js';

export interface ApiServerOptions {
  broker: BrokerService;
  /** Unix socket path, or a `\\.\pipe\…` name on Windows. */
  socketPath: string;
  /** Optional 127.0.0.1 listener at start; port 0 picks a free one. The key file is created if missing. */
  tcp?: TcpListenerOptions;
  logger?: Logger;
  /** Operations behind the admin endpoints (socket only); defaults to the broker. `false` disables them. */
  admin?: AdminPort | false;
  clock?: Clock;
  limits?: Partial<ApiLimits>;
  /** Starts proxies for `POST /v1/proxies` (admin, socket only); without it that route is not found. */
  proxies?: ProxyStarter;
}

export interface ApiServer {
  socketPath: string;
  /** Where the TCP listener is bound right now (it changes with {@link ApiServer.setTcpListener}). */
  readonly tcpAddress: TcpAddress | undefined;
  /** Off, running, or failed to bind its port (then not running, key revoked). */
  readonly tcpStatus: TcpListenerStatus;
  /**
   * Starts, re-binds or stops (`undefined`) the 127.0.0.1 listener while the Unix socket keeps
   * serving. The key file is re-read whenever a listener is left running; a failed re-bind
   * leaves the old listener serving and rejects with a BrokerError that says why.
   */
  setTcpListener(options: TcpListenerOptions | undefined): Promise<void>;
  /** Re-reads the running TCP listener's key file: the old key is refused from the next request on. */
  reloadTcpKey(): Promise<void>;
  /** Stops every listener and removes the socket file. */
  close(): Promise<void>;
}

/**
 * Starts the token API. Resolves once every listener accepts connections; `close()` stops them
 * and removes the socket file.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const limits: ApiLimits = { ...DEFAULT_API_LIMITS, ...options.limits };
  const logger = options.logger ?? silentLogger;
  let tcpStatus: () => TcpListenerStatus = () => ({ state: 'off' });
  const route = createRouter({
    broker: options.broker,
    admin: options.admin === false ? undefined : (options.admin ?? options.broker),
    clock: options.clock ?? systemClock,
    logger,
    bodyLimit: limits.maxBodySize,
    proxies: options.proxies,
    tcpStatus: () => tcpStatus(),
  });

  const socketPath = options.socketPath;
  // Only Windows has named pipes (libuv listens on a pipe for any path there). Elsewhere a
  // `\\.\pipe\…` string is just an odd relative file name, and gets every socket check.
  const pipe = process.platform === 'win32';
  if (!pipe) {
    assertSocketPathFits(socketPath);
    await assertPrivateSocketDir(socketPath);
    await removeStaleSocket(socketPath);
  }
  // Who connected, read from the kernel once per connection (never per request): the context
  // object every request on the connection is routed with.
  const peers = pipe ? undefined : peerCredentialReader();
  const contexts = new WeakMap<Socket, RequestContext>();
  const socketServer = makeHttpServer(limits, (req, res) => route(req, res, contexts.get(req.socket) ?? UNVERIFIED_SOCKET));
  socketServer.on('connection', (socket: Socket) => {
    if (peers !== undefined) contexts.set(socket, { tcp: false, caller: callerInfo(peers.describe(socket)) });
  });
  try {
    await listen(socketServer, { path: socketPath });
  } catch (error) {
    throw translateListenError(error, socketPath);
  }
  if (!pipe) await chmod(socketPath, 0o600);

  const tcp = createTcpListenerSlot({ limits, route, logger });
  tcpStatus = () => tcp.status;
  const closeSocket = async (): Promise<void> => {
    await closeServer(socketServer);
    if (!pipe) await unlink(socketPath).catch(() => {});
  };
  if (options.tcp !== undefined) {
    try {
      await tcp.set(options.tcp);
    } catch (error) {
      await Promise.all([tcp.close(), closeSocket()]);
      throw error;
    }
  }

  const tcpAddress = tcp.address;
  logger.info(
    `[api] serving the token API on ${socketPath}${tcpAddress === undefined ? '' : ` and http://${tcpAddress.host}:${tcpAddress.port}`}`,
  );

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    get tcpAddress() {
      return tcp.address;
    },
    get tcpStatus() {
      return tcp.status;
    },
    setTcpListener: (next) => tcp.set(next),
    reloadTcpKey: () => tcp.reloadKey(),
    close() {
      closing ??= Promise.all([tcp.close(), closeSocket()]).then(() => undefined);
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
