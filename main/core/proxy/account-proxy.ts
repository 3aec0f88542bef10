/**
 * An authenticating proxy for one account: the proxy server (proxy-server.ts) with the broker's
 * credentials for the account and its audit trail. Used for the proxies declared in config.json
 * (started by the daemon) and for `token-broker proxy` (started over the API, stopped when the
 * command ends).
 */
import { parseListenAddress, LISTEN_ADDRESS_RULE } from '../../shared/proxy-listen.js';
import { loadOrCreateApiKey } from '../api/tcp-auth.js';
import type { BrokerService } from '../broker/types.js';
import { BrokerError } from '../errors.js';
import type { Logger } from '../ports.js';
import { parseUpstream, startProxy, type ProxyListen, type ProxyOptions, type RunningProxy } from './proxy-server.js';

/** A proxy as config.json, the CLI and the API describe it. */
export interface ProxySpec {
  account: string;
  upstream: string;
  /** `127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT`; exactly one of `listen` and `socket`. */
  listen?: string | undefined;
  socket?: string | undefined;
}

export interface AccountProxyDeps {
  broker: BrokerService;
  logger: Logger;
  /**
   * The 0600 API key file (the TCP listener's): on TCP, where the kernel cannot name the peer
   * (not Linux), a client must present this key.
   */
  apiKeyFile: string;
  /** Test hooks and limits passed through to the proxy server. */
  options?: Pick<ProxyOptions, 'tcpPeer' | 'unixPeer' | 'limits' | 'ca'>;
}

/** Where a spec says to listen. @throws BrokerError `INVALID_REQUEST` */
export function proxyListenOf(spec: ProxySpec): ProxyListen {
  if ((spec.listen === undefined) === (spec.socket === undefined)) {
    throw new BrokerError('INVALID_REQUEST', 'A proxy listens on exactly one of a TCP address (listen) or a Unix socket (socket).');
  }
  if (spec.socket !== undefined) {
    if (!spec.socket.startsWith('/')) throw new BrokerError('INVALID_REQUEST', 'The proxy socket must be an absolute path.');
    return { path: spec.socket };
  }
  const address = parseListenAddress(spec.listen as string);
  if (address === undefined) throw new BrokerError('INVALID_REQUEST', `The proxy's listen address must be ${LISTEN_ADDRESS_RULE}.`);
  return address;
}

/**
 * How the proxy is named in the audit log and the approval prompt: by its upstream (the address
 * it listens on may be a port the OS picks only later).
 */
export function proxyClientName(upstream: string): string {
  return `proxy ${parseUpstream(upstream).host}`;
}

/**
 * Starts a proxy for `spec.account` (asking once for `approval: ask` accounts); every proxied
 * request is audited under the account with the client name `proxy <upstream host>`.
 * @throws BrokerError `ACCOUNT_NOT_FOUND`, `DENIED`, `INVALID_REQUEST` (a bad spec),
 *   `CONFIG_INVALID` (bad upstream, address in use), `SOCKET_INSECURE`.
 */
export async function startAccountProxy(spec: ProxySpec, deps: AccountProxyDeps): Promise<RunningProxy> {
  const listen = proxyListenOf(spec);
  const upstream = await deps.broker.openUpstream(spec.account, proxyClientName(spec.upstream));
  const apiKey = 'port' in listen ? await loadOrCreateApiKey(deps.apiKeyFile) : undefined;
  return startProxy({
    ...deps.options,
    upstream: spec.upstream,
    listen,
    credentials: upstream,
    onRequest: (record) => upstream.record(record),
    logger: deps.logger,
    ...(apiKey === undefined ? {} : { apiKey }),
  });
}
