/**
 * The one-shot start URL of a browser sign-in (issue 10 item 1).
 *
 * A URL given to a browser is an argument of `xdg-open` / `open` and of the browser itself, so
 * every local user can read it in `/proc/<pid>/cmdline` (or `ps`). The broker therefore never gives
 * the browser the authorization URL: it gives `http://127.0.0.1:PORT/start/<random>`, served by the
 * sign-in's own loopback listener.
 *
 * - The first GET of the start path sets an HttpOnly, SameSite=Lax cookie unique to this sign-in
 *   and redirects to the authorization URL (`Cache-Control: no-store`, `Referrer-Policy: no-referrer`).
 * - Any later GET of it aborts the sign-in: someone else (or something else) opened the link too,
 *   and the person is told to start again rather than guess who won.
 * - The callback is accepted only with the cookie: an authorization response delivered by any other
 *   user agent — another user who completed the authorization URL as themselves — is turned away
 *   (and does not end the sign-in).
 *
 * On Linux the listener also drops connections owned by other users before they can fetch the
 * start URL (tcp-peer-uid.ts), which closes the race a cold browser would otherwise lose.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc8252.html#section-8.3 RFC 8252 §8.3} (loopback redirect considerations), {@link https://datatracker.ietf.org/doc/draft-ietf-httpbis-rfc6265bis/ RFC 6265bis} (SameSite cookies)
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** How long the cookie lives: a little more than the sign-in's own timeout (5 minutes). */
const COOKIE_MAX_AGE_SECONDS = 600;

export interface StartGate {
  /** `/start/<random>`: the only path the browser is given. */
  readonly path: string;
  /** True once the start URL was fetched (the browser has the authorization URL). */
  readonly started: boolean;
  /**
   * The answer to a GET of {@link StartGate.path}: on the first fetch a redirect to the
   * authorization URL with the cookie; afterwards `abort` (the caller ends the sign-in).
   */
  open(): { kind: 'redirect'; location: string; setCookie: string } | { kind: 'abort' };
  /** True when the request carries this sign-in's cookie (compared in constant time). */
  carriesCookie(req: Pick<IncomingMessage, 'headers'>): boolean;
}

/** `authorizationUrl` is where the first fetch is sent; it never leaves the broker otherwise. */
export function createStartGate(authorizationUrl: string): StartGate {
  const path = `/start/${randomBytes(24).toString('base64url')}`;
  // Unique per sign-in: cookies of 127.0.0.1 are shared across ports, and several sign-ins may run.
  const name = `tb_signin_${randomBytes(6).toString('hex')}`;
  const value = randomBytes(32).toString('base64url');
  const expected = Buffer.from(value);
  let fetches = 0;

  return {
    path,
    get started() {
      return fetches > 0;
    },
    open() {
      fetches += 1;
      if (fetches > 1) return { kind: 'abort' };
      return {
        kind: 'redirect',
        location: authorizationUrl,
        setCookie: `${name}=${value}; Path=/; Max-Age=${COOKIE_MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax`,
      };
    },
    carriesCookie(req) {
      const header = req.headers.cookie;
      if (typeof header !== 'string') return false;
      for (const pair of header.split(';')) {
        const eq = pair.indexOf('=');
        if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
        const presented = Buffer.from(pair.slice(eq + 1).trim());
        if (presented.length === expected.length && timingSafeEqual(presented, expected)) return true;
      }
      return false;
    },
  };
}
