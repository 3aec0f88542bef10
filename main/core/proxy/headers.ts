/**
 * Header rewriting for the authenticating proxy (pure functions).
 *
 * Toward the upstream: hop-by-hop fields go (RFC 9110 §7.6.1), every credential the client sent
 * goes (`Authorization`, `DPoP`, `Proxy-Authorization`: the proxy is the only authority, and a
 * client's own header must never reach the upstream beside ours), `Host` becomes the upstream's,
 * and the fresh `Authorization` (and `DPoP` proof) is added. Toward the client: hop-by-hop
 * fields go, everything else passes unchanged and in order.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9110.html#section-7.6.1 RFC 9110 §7.6.1} (Connection), {@link https://www.rfc-editor.org/rfc/rfc9110.html#section-7.2 §7.2} (Host), {@link https://www.rfc-editor.org/rfc/rfc6455.html#section-4.1 RFC 6455 §4.1} (the upgrade request)
 */

/** Fields that describe one connection and never travel past it (RFC 9110 §7.6.1 and legacy ones). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Client credentials the proxy replaces or must not forward, `Host` (replaced), and `Expect`
 * (Node already answered `100-continue` to the client; the upstream gets the body at once).
 */
const CLIENT_CREDENTIALS = new Set(['authorization', 'dpop', 'host', 'expect']);

/** What the proxy adds to each upstream request. */
export interface UpstreamCredentials {
  authorization: string;
  dpop?: string;
}

/** Names listed in `Connection` (lower case): they are hop-by-hop too. */
function connectionOptions(rawHeaders: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() !== 'connection') continue;
    for (const option of (rawHeaders[i + 1] as string).split(',')) {
      const name = option.trim().toLowerCase();
      if (name !== '') names.add(name);
    }
  }
  return names;
}

/**
 * The flat `[name, value, …]` header list for the upstream request. For a WebSocket upgrade
 * (`upgrade: true`), `Connection: Upgrade` and `Upgrade` are kept, as the handshake needs them.
 * @see {@link https://www.rfc-editor.org/rfc/rfc9110.html#section-7.6.1 RFC 9110 §7.6.1}, {@link https://www.rfc-editor.org/rfc/rfc6455.html#section-4.1 RFC 6455 §4.1}
 */
export function upstreamRequestHeaders(
  rawHeaders: readonly string[],
  upstreamHost: string,
  credentials: UpstreamCredentials,
  upgrade = false,
): string[] {
  const listed = connectionOptions(rawHeaders);
  const out: string[] = ['Host', upstreamHost];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (CLIENT_CREDENTIALS.has(lower)) continue;
    if (HOP_BY_HOP.has(lower) || listed.has(lower)) {
      if (!(upgrade && lower === 'upgrade')) continue;
    }
    out.push(name, rawHeaders[i + 1] as string);
  }
  if (upgrade) out.push('Connection', 'Upgrade');
  out.push('Authorization', credentials.authorization);
  if (credentials.dpop !== undefined) out.push('DPoP', credentials.dpop);
  return out;
}

/**
 * The flat header list of an upstream response as sent to the client: hop-by-hop fields
 * removed (Node frames the body itself), the rest unchanged and in order.
 * @see {@link https://www.rfc-editor.org/rfc/rfc9110.html#section-7.6.1 RFC 9110 §7.6.1}
 */
export function downstreamResponseHeaders(rawHeaders: readonly string[], upgrade = false): string[] {
  const listed = connectionOptions(rawHeaders);
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if ((HOP_BY_HOP.has(lower) || listed.has(lower)) && !(upgrade && (lower === 'upgrade' || lower === 'connection'))) continue;
    out.push(name, rawHeaders[i + 1] as string);
  }
  return out;
}

/**
 * The upstream URL of a request: the configured base (which may have a path, e.g.
 * `https://api.example.com/v2`) joined with the request target's path and query. Only
 * origin-form targets (`/path?query`) are accepted; anything else (absolute-form, `*`) is
 * refused with undefined, so a client cannot redirect the proxy to another host.
 * @see {@link https://www.rfc-editor.org/rfc/rfc9112.html#section-3.2.1 RFC 9112 §3.2.1}
 */
export function upstreamUrl(base: URL, target: string | undefined): URL | undefined {
  if (target === undefined || !target.startsWith('/') || target.startsWith('//')) return undefined;
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  const search = query === -1 ? '' : target.slice(query);
  const prefix = base.pathname.replace(/\/+$/, '');
  const url = new URL(base.href);
  url.pathname = `${prefix}${path}`;
  url.search = search;
  // The URL parser resolves `..` (also percent-encoded): a request must not climb above the base path.
  const inside = prefix === '' || url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
  return inside && url.origin === base.origin ? url : undefined;
}

/** Methods RFC 9110 §9.2.2 defines as idempotent: a refused one may be repeated. */
export function isIdempotent(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || method === 'PUT' || method === 'DELETE' || method === 'TRACE';
}
