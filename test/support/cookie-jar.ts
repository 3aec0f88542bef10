/**
 * A minimal cookie jar for driving one origin's HTML flows with plain fetch (RFC 6265 §5.2–5.4,
 * host-only cookies, path matching, expiry). Enough for oidc-provider's interaction and session
 * cookies; not a general-purpose browser jar.
 */

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  /** Epoch ms; undefined for session cookies. */
  expiresAt?: number;
}

/** RFC 6265 §5.1.4: the default path is the request path up to its last slash. */
function defaultPath(requestPath: string): string {
  if (!requestPath.startsWith('/')) return '/';
  const lastSlash = requestPath.lastIndexOf('/');
  return lastSlash <= 0 ? '/' : requestPath.slice(0, lastSlash);
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

export class CookieJar {
  readonly #origin: string;
  readonly #cookies = new Map<string, StoredCookie>();

  /** Cookies are kept for, and only sent to, this origin. */
  constructor(origin: string) {
    this.#origin = new URL(origin).origin;
  }

  /** Stores the Set-Cookie headers of a response to `requestUrl`. */
  store(requestUrl: URL, response: Response): void {
    if (requestUrl.origin !== this.#origin) return;
    for (const header of response.headers.getSetCookie()) this.#storeOne(requestUrl, header);
  }

  /** The Cookie header value for a request to `url`, or undefined when none apply. */
  headerFor(url: URL, now = Date.now()): string | undefined {
    if (url.origin !== this.#origin) return undefined;
    const pairs: string[] = [];
    for (const [key, cookie] of this.#cookies) {
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) {
        this.#cookies.delete(key);
        continue;
      }
      if (pathMatches(url.pathname, cookie.path)) pairs.push(`${cookie.name}=${cookie.value}`);
    }
    return pairs.length > 0 ? pairs.join('; ') : undefined;
  }

  #storeOne(requestUrl: URL, header: string): void {
    const [pair = '', ...attributes] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const cookie: StoredCookie = {
      name: pair.slice(0, eq).trim(),
      value: pair.slice(eq + 1).trim(),
      path: defaultPath(requestUrl.pathname),
    };
    let maxAge: number | undefined;
    for (const attribute of attributes) {
      const [rawName = '', ...rest] = attribute.split('=');
      const name = rawName.trim().toLowerCase();
      const value = rest.join('=').trim();
      if (name === 'path' && value.startsWith('/')) cookie.path = value;
      else if (name === 'max-age' && /^-?\d+$/.test(value)) maxAge = Number(value);
      else if (name === 'expires' && !Number.isNaN(Date.parse(value))) cookie.expiresAt = Date.parse(value);
    }
    // Max-Age wins over Expires (RFC 6265 §5.3 step 3).
    if (maxAge !== undefined) cookie.expiresAt = Date.now() + maxAge * 1000;
    const key = `${cookie.name}\u0000${cookie.path}`;
    if (cookie.expiresAt !== undefined && cookie.expiresAt <= Date.now()) this.#cookies.delete(key);
    else this.#cookies.set(key, cookie);
  }
}
