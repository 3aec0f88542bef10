/**
 * Proxy support for got, which has none built in: the proxy is chosen from the environment the
 * way curl does it, and requests go through an HTTP CONNECT tunnel (RFC 9110 §9.3.6), so TLS
 * stays end to end between the broker and the provider.
 */
import http, { type Agent as HttpAgent, type ClientRequestArgs } from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';

/**
 * The proxy for a URL from `HTTPS_PROXY`/`https_proxy` (https URLs) or `HTTP_PROXY`/`http_proxy`
 * (http URLs), unless `NO_PROXY`/`no_proxy` names the host. Loopback hosts never use a proxy:
 * a proxy cannot reach this machine's loopback interface.
 */
export function proxyForUrl(url: URL, env: NodeJS.ProcessEnv): URL | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isLoopbackHost(host)) return undefined;
  const raw =
    url.protocol === 'https:'
      ? (env['HTTPS_PROXY'] ?? env['https_proxy'])
      : url.protocol === 'http:'
        ? (env['HTTP_PROXY'] ?? env['http_proxy'])
        : undefined;
  if (raw === undefined || raw.trim() === '') return undefined;
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
  if (matchesNoProxy(host, port, env['NO_PROXY'] ?? env['no_proxy'] ?? '')) return undefined;
  try {
    return new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    return undefined;
  }
}

/** Whether a `NO_PROXY` list (`*`, `host`, `.suffix`, `*.suffix`, `host:port`, IPs) covers the host. */
export function matchesNoProxy(host: string, port: string, noProxy: string): boolean {
  for (const rawEntry of noProxy.split(/[\s,]+/)) {
    const entry = rawEntry.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    let name = entry;
    let entryPort: string | undefined;
    const portMatch = /^(.*?)(?::(\d+))?$/.exec(entry.startsWith('[') ? entry.replace(/^\[|\](?=:|$)/g, '') : entry);
    if (portMatch !== null && isIP(entry) === 0) {
      name = portMatch[1] ?? entry;
      entryPort = portMatch[2];
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    name = name.replace(/^\*?\./, '.');
    if (name.startsWith('.')) {
      if (host.endsWith(name) || host === name.slice(1)) return true;
    } else if (host === name || host.endsWith(`.${name}`)) {
      return true;
    }
  }
  return false;
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface TunnelAgents {
  http: HttpAgent;
  https: https.Agent;
}

interface TunnelOptions {
  connectTimeoutMs: number;
  /** Trust anchors for an https:// proxy itself. */
  ca?: string[];
}

type ConnectionCallback = (error: Error | null, socket?: Duplex) => void;

/** An error from the proxy (non-2xx answer to CONNECT); code `ERR_PROXY_TUNNEL`. */
export class ProxyTunnelError extends Error {
  readonly code = 'ERR_PROXY_TUNNEL';
  constructor(
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = 'ProxyTunnelError';
  }
}

/**
 * Agents for got's `agent` option that open every connection as a CONNECT tunnel through the
 * proxy. Node's Agent accepts an asynchronous `createConnection(options, callback)`.
 */
export function createTunnelAgents(proxy: URL, options: TunnelOptions): TunnelAgents {
  class HttpTunnelAgent extends http.Agent {
    override createConnection(args: ClientRequestArgs, callback: ConnectionCallback): undefined {
      openTunnel(proxy, targetOf(args, 80), options).then(
        (socket) => callback(null, socket),
        (error: Error) => callback(error),
      );
      return undefined;
    }
  }
  class HttpsTunnelAgent extends https.Agent {
    override createConnection(args: ClientRequestArgs & tls.ConnectionOptions, callback: ConnectionCallback): undefined {
      const target = targetOf(args, 443);
      openTunnel(proxy, target, options).then(
        (socket) => {
          const { host: _host, port: _port, path: _path, ...tlsArgs } = args;
          const servername = args.servername ?? (isIP(target.host) === 0 ? target.host : undefined);
          // `host` is what the certificate is checked against. Without it an IP-address target
          // (no SNI) would be checked against the tunnel socket's host — the proxy side — letting
          // the proxy present its own certificate.
          callback(null, tls.connect({ ...tlsArgs, socket, host: target.host, ...(servername === undefined ? {} : { servername }) }));
        },
        (error: Error) => callback(error),
      );
      return undefined;
    }
  }
  return { http: new HttpTunnelAgent({ keepAlive: false }), https: new HttpsTunnelAgent({ keepAlive: false }) };
}

function targetOf(args: ClientRequestArgs, defaultPort: number): { host: string; port: number } {
  const host = (args.hostname ?? args.host ?? 'localhost').replace(/^\[|\]$/g, '');
  const port = args.port === undefined || args.port === null || args.port === '' ? defaultPort : Number(args.port);
  return { host, port };
}

function openTunnel(proxy: URL, target: { host: string; port: number }, options: TunnelOptions): Promise<Socket> {
  const authority = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const headers: Record<string, string> = { host: authority };
  if (proxy.username !== '') {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    headers['proxy-authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  const secure = proxy.protocol === 'https:';
  const request = (secure ? https : http).request({
    host: proxy.hostname.replace(/^\[|\]$/g, ''),
    port: proxy.port === '' ? (secure ? 443 : 80) : Number(proxy.port),
    method: 'CONNECT',
    path: authority,
    headers,
    agent: false,
    ...(secure && options.ca !== undefined ? { ca: options.ca } : {}),
  });
  return new Promise<Socket>((resolve, reject) => {
    const timer = setTimeout(() => {
      request.destroy(
        Object.assign(new Error(`Proxy tunnel not established within ${options.connectTimeoutMs} ms`), { code: 'ETIMEDOUT' }),
      );
    }, options.connectTimeoutMs);
    request.once('connect', (response, socket, head) => {
      clearTimeout(timer);
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) {
        socket.destroy();
        reject(new ProxyTunnelError(`proxy answered CONNECT with HTTP ${status}`, status));
        return;
      }
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    request.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end();
  });
}
