/**
 * Completes sign-ins at the fixture authorization server (test/support/auth-server.ts) the way a
 * user would: through oidc-provider's devInteractions login and consent pages, either over plain
 * HTTP (fetch with a cookie jar, redirects followed by hand) or in a real Chromium page.
 *
 * The final hop — the redirect to the client's redirect URI — is really requested, so a loopback
 * listener under test receives its callback exactly as from a browser (RFC 8252 §7.3).
 */
import type { Page } from 'playwright-core';
import { FIXTURE_USER, type AuthServer } from './auth-server.js';
import { CookieJar } from './cookie-jar.js';

export interface LoginOptions {
  /** Defaults to the fixture's test user. */
  username?: string;
  password?: string;
}

export interface HttpLoginOptions extends LoginOptions {
  /** Cancel at the login page instead of signing in; the client gets error=access_denied. */
  deny?: boolean;
  /**
   * Request the final redirect URI (default true). When false the URL is only returned, for
   * tests that look at the authorization response without a listener.
   */
  deliver?: boolean;
  /** The broker's sign-in cookie to deliver the callback with, when the start URL was followed separately ({@link followStartUrl}). */
  cookie?: string;
}

const DEFAULT_USER = FIXTURE_USER;
const MAX_HOPS = 20;

interface HtmlForm {
  id?: string;
  action: string;
  method: string;
  fields: Record<string, string>;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

function attributesOf(tag: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of tag.matchAll(/([a-zA-Z_:.-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'))?/g)) {
    const name = match[1];
    if (name) attributes[name.toLowerCase()] = decodeEntities(match[2] ?? match[3] ?? '');
  }
  return attributes;
}

/** The forms of a server-rendered page, with the values of their named inputs. */
function parseForms(html: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attributes = attributesOf(match[1] ?? '');
    const fields: Record<string, string> = {};
    for (const input of (match[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
      const inputAttributes = attributesOf(input[1] ?? '');
      if (inputAttributes.name) fields[inputAttributes.name] = inputAttributes.value ?? '';
    }
    forms.push({
      ...(attributes.id ? { id: attributes.id } : {}),
      action: attributes.action ?? '',
      method: (attributes.method ?? 'get').toLowerCase(),
      fields,
    });
  }
  return forms;
}

/** What went wrong on an error page, for the thrown message (oidc-provider renders `<pre>` pairs). */
function describePage(status: number, html: string): string {
  const details = [...html.matchAll(/<pre><strong>([^<]*)<\/strong>:\s*([^<]*)<\/pre>/g)]
    .map((match) => `${match[1]}=${decodeEntities(match[2] ?? '')}`)
    .join(', ');
  const heading = /<h1>([^<]*)<\/h1>/.exec(html)?.[1]?.trim();
  const paragraph = /<p class="red">([^<]*)<\/p>/.exec(html)?.[1]?.trim();
  return `HTTP ${status}${heading ? ` "${heading}"` : ''}${paragraph ? ` (${paragraph})` : ''}${details ? `: ${details}` : ''}`;
}

/** A fetch-based user agent bound to the authorization server's origin. */
class HttpAgent {
  readonly origin: string;
  readonly #jar: CookieJar;

  constructor(origin: string) {
    this.origin = new URL(origin).origin;
    this.#jar = new CookieJar(this.origin);
  }

  async request(url: URL, init: { method?: string; form?: Record<string, string> } = {}): Promise<{ response: Response; body: string }> {
    const headers: Record<string, string> = { accept: 'text/html' };
    const cookie = this.#jar.headerFor(url);
    if (cookie) headers.cookie = cookie;
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      headers,
      redirect: 'manual',
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    this.#jar.store(url, response);
    return { response, body: await response.text() };
  }
}

function redirectTarget(response: Response, base: URL): URL | undefined {
  if (response.status < 300 || response.status >= 400) return undefined;
  const location = response.headers.get('location');
  if (!location) throw new Error(`[login] HTTP ${response.status} without a Location header at ${base.pathname}`);
  return new URL(location, base);
}

/**
 * Requests the client's redirect URI like a browser would: no fragment on the wire, and the
 * cookie the broker's start URL set (the loopback listener accepts the callback only with it).
 */
async function deliverCallback(url: URL, cookie?: string): Promise<void> {
  try {
    const response = await fetch(url, { redirect: 'manual', ...(cookie === undefined ? {} : { headers: { cookie } }) });
    await response.arrayBuffer();
  } catch (cause) {
    throw new Error(`[login] could not deliver the callback to ${url.origin}${url.pathname}`, { cause });
  }
}

type DriveOutcome = { kind: 'left-origin'; url: URL } | { kind: 'page'; url: URL; status: number; body: string };

/**
 * Walks redirects and devInteractions pages (login, consent) until the user agent either leaves
 * the authorization server's origin (the redirect to the client) or lands on a page that is
 * neither (a device-flow result page, an error page).
 */
async function driveInteractions(
  agent: HttpAgent,
  start: { url: URL; method?: string; form?: Record<string, string> },
  opts: LoginOptions & { deny?: boolean },
): Promise<DriveOutcome> {
  const username = opts.username ?? DEFAULT_USER.username;
  const password = opts.password ?? DEFAULT_USER.password;
  let url = start.url;
  let method = start.method ?? 'GET';
  let form = start.form;

  for (let hop = 0; hop < MAX_HOPS; hop += 1) {
    if (url.origin !== agent.origin) return { kind: 'left-origin', url };
    const { response, body } = await agent.request(url, { method, ...(form ? { form } : {}) });
    const next = redirectTarget(response, url);
    method = 'GET';
    form = undefined;
    if (next) {
      url = next;
      continue;
    }
    const page = response.status === 200 ? parseForms(body).find((candidate) => candidate.fields.prompt !== undefined) : undefined;
    if (!page) return { kind: 'page', url, status: response.status, body };
    if (opts.deny) {
      const abort = /href="([^"]*\/abort)"/.exec(body)?.[1];
      if (!abort) throw new Error(`[login] no cancel link on the ${page.fields.prompt} page`);
      url = new URL(decodeEntities(abort), url);
      continue;
    }
    method = 'POST';
    form = page.fields.prompt === 'login' ? { ...page.fields, login: username, password } : { ...page.fields };
    url = new URL(page.action, url);
  }
  throw new Error(`[login] gave up after ${MAX_HOPS} redirects`);
}

/**
 * Follows an authorization URL through login and consent over plain HTTP as the test user,
 * then requests the final redirect (e.g. the loopback callback) and resolves with that URL
 * (including any fragment). With `deny: true` the user cancels and the redirect carries
 * `error=access_denied`; wrong credentials end the same way.
 *
 * @see RFC 6749 §4.1.1–4.1.2
 */
export async function completeLoginHttp(authorizationUrl: string, opts: HttpLoginOptions = {}): Promise<string> {
  const started = await followStartUrl(authorizationUrl);
  const url = started.url;
  const cookie = started.cookie ?? opts.cookie;
  const agent = new HttpAgent(url);
  const outcome = await driveInteractions(agent, { url: new URL(url) }, opts);
  if (outcome.kind === 'page') {
    throw new Error(`[login] authorization did not redirect back: ${describePage(outcome.status, outcome.body)}`);
  }
  if (opts.deliver !== false) await deliverCallback(outcome.url, cookie);
  return outcome.url.href;
}

/**
 * The broker gives the browser a one-shot start URL on its loopback listener, which sets the
 * sign-in's cookie and redirects to the authorization URL. Opens it like a browser (once) and
 * returns where it leads, with the cookie to send back with the callback. Any other URL (an
 * authorization URL built by a test itself) is returned as it is.
 */
export async function followStartUrl(url: string): Promise<{ url: string; cookie?: string }> {
  const parsed = new URL(url);
  if (!/^\/start\//.test(parsed.pathname) || !['127.0.0.1', 'localhost'].includes(parsed.hostname)) return { url };
  const response = await fetch(parsed, { redirect: 'manual' });
  await response.arrayBuffer();
  const location = response.headers.get('location');
  if (response.status !== 302 || location === null)
    throw new Error(`[login] the start URL answered HTTP ${response.status}, not a redirect`);
  const cookie = response.headers.getSetCookie()[0]?.split(';')[0];
  return { url: new URL(location, parsed).href, ...(cookie === undefined ? {} : { cookie }) };
}

/**
 * Enters a device user code at the server's verification page, confirms it, signs in and
 * consents, all over HTTP. With `deny: true` the user aborts at the confirmation step and the
 * polling client gets `access_denied`.
 *
 * @see RFC 8628 §3.3
 */
export async function approveDeviceCode(server: AuthServer, userCode: string, opts: LoginOptions & { deny?: boolean } = {}): Promise<void> {
  const agent = new HttpAgent(server.issuer);
  const verification = new URL(`${server.issuer}/device`);

  const input = await agent.request(verification);
  const inputForm = parseForms(input.body).find((candidate) => candidate.fields.xsrf !== undefined);
  if (!inputForm) throw new Error(`[login] no user code form: ${describePage(input.response.status, input.body)}`);

  const confirmPage = await agent.request(new URL(inputForm.action, verification), {
    method: 'POST',
    form: { ...inputForm.fields, user_code: userCode },
  });
  const confirmForm = parseForms(confirmPage.body).find((candidate) => candidate.fields.confirm !== undefined);
  if (!confirmForm) {
    throw new Error(`[login] user code not accepted: ${describePage(confirmPage.response.status, confirmPage.body)}`);
  }

  const { confirm: _confirm, ...withoutConfirm } = confirmForm.fields;
  const outcome = await driveInteractions(
    agent,
    {
      url: new URL(confirmForm.action, verification),
      method: 'POST',
      form: opts.deny ? { ...withoutConfirm, abort: 'yes' } : confirmForm.fields,
    },
    { ...opts, deny: false },
  );
  if (outcome.kind === 'left-origin') throw new Error(`[login] device flow left the server for ${outcome.url.origin}`);
  const expected = opts.deny ? /interrupted/i : /Sign-in Success/;
  if (!expected.test(outcome.body)) {
    throw new Error(`[login] device ${opts.deny ? 'denial' : 'approval'} failed: ${describePage(outcome.status, outcome.body)}`);
  }
}

async function submitAndWait(page: Page, before: string): Promise<void> {
  await Promise.all([
    page.waitForURL((url) => url.href !== before, { waitUntil: 'domcontentloaded' }),
    page.locator('form button[type="submit"]').first().click(),
  ]);
}

/**
 * Same as {@link completeLoginHttp}, but typed and clicked in a real Chromium page: opens the
 * authorization URL, fills the devInteractions login form, consents, and returns once the page
 * has loaded the client's redirect URI (so a loopback page's script has run). With `deny: true`
 * it clicks "Cancel" instead, and the redirect carries `error=access_denied`.
 */
export async function completeLoginInChromium(
  page: Page,
  authorizationUrl: string,
  opts: LoginOptions & { deny?: boolean } = {},
): Promise<void> {
  const username = opts.username ?? DEFAULT_USER.username;
  const password = opts.password ?? DEFAULT_USER.password;
  // devInteractions pages @import a web font; without network that must not hold up 'load'.
  await page.goto(authorizationUrl, { waitUntil: 'domcontentloaded' });
  // A broker start URL has redirected to the provider by now: the provider's origin is the one walked.
  const origin = /^\/start\//.test(new URL(authorizationUrl).pathname) ? new URL(page.url()).origin : new URL(authorizationUrl).origin;

  for (let step = 0; step < MAX_HOPS; step += 1) {
    const current = page.url();
    if (new URL(current).origin !== origin) {
      await page.waitForLoadState('load');
      return;
    }
    if (opts.deny && (await page.locator('a[href$="/abort"]').count()) > 0) {
      await Promise.all([
        page.waitForURL((url) => url.href !== current, { waitUntil: 'domcontentloaded' }),
        page.locator('a[href$="/abort"]').first().click(),
      ]);
    } else if ((await page.locator('form input[name="login"]').count()) > 0) {
      await page.locator('form input[name="login"]').fill(username);
      await page.locator('form input[name="password"]').fill(password);
      await submitAndWait(page, current);
    } else if ((await page.locator('form input[name="prompt"][value="consent"]').count()) > 0) {
      await submitAndWait(page, current);
    } else {
      const text = (await page.locator('body').innerText()).replace(/\s+/g, ' ').slice(0, 300);
      throw new Error(`[login] unexpected page in Chromium at ${new URL(current).pathname}: ${text}`);
    }
  }
  throw new Error(`[login] gave up after ${MAX_HOPS} pages in Chromium`);
}
