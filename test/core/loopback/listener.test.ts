import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../../main/core/errors.js';
import { parseLoopbackRedirectUri, startLoopbackListener } from '../../../main/core/loopback/index.js';
import { validateAuthorizationResponse } from '../../../main/core/oauth/callback.js';
import { freePort, rejectionOf, send } from '../oauth/helpers/http-util.js';

const STATE = 'expected-state-value-with-enough-entropy-0123456789';
const ISSUER = 'http://127.0.0.1:9/issuer';

function codeListener(overrides: { redirectUri?: string; timeoutMs?: number; signal?: AbortSignal; issRequired?: boolean } = {}) {
  return startLoopbackListener({
    ...(overrides.redirectUri === undefined ? {} : { redirectUri: overrides.redirectUri }),
    ...(overrides.timeoutMs === undefined ? {} : { timeoutMs: overrides.timeoutMs }),
    ...(overrides.signal === undefined ? {} : { signal: overrides.signal }),
    handle: (params) =>
      validateAuthorizationResponse(params, { state: STATE, issuer: ISSUER, issRequired: overrides.issRequired ?? false }),
  });
}

function callbackUrl(redirectUri: string, params: Record<string, string>): string {
  return `${redirectUri}?${new URLSearchParams(params).toString()}`;
}

const AUTHORIZATION_URL = 'https://idp.example/authorize?response_type=code&state=s';

/**
 * Opens the sign-in's start URL as the browser would: it redirects to the authorization URL and
 * sets the cookie the callback must come back with. Returns the `cookie` header to send.
 */
async function begin(listener: { startUrl(url: string): string }): Promise<Record<string, string>> {
  const start = await send(listener.startUrl(AUTHORIZATION_URL));
  expect(start.status).toBe(302);
  expect(start.headers.location).toBe(AUTHORIZATION_URL);
  return { cookie: String(start.headers['set-cookie']?.[0]).split(';')[0] as string };
}

describe('parseLoopbackRedirectUri', () => {
  it('defaults to 127.0.0.1, any port, /callback', () => {
    expect(parseLoopbackRedirectUri()).toEqual({ host: '127.0.0.1', port: 0, path: '/callback' });
  });
  it('keeps a fixed port, a localhost host and the path', () => {
    expect(parseLoopbackRedirectUri('http://localhost:8123/oauth/cb')).toEqual({ host: 'localhost', port: 8123, path: '/oauth/cb' });
    expect(parseLoopbackRedirectUri('http://127.0.0.1/cb')).toEqual({ host: '127.0.0.1', port: 0, path: '/cb' });
  });
  it.each([
    'https://127.0.0.1/cb',
    'http://0.0.0.0/cb',
    'http://example.com/cb',
    'http://127.0.0.1/cb?x=1',
    'http://192.168.1.2/cb',
    'not a url',
  ])('refuses %s', (uri) => {
    expect(() => parseLoopbackRedirectUri(uri)).toThrow(BrokerError);
  });
});

describe('loopback listener', () => {
  it('binds 127.0.0.1 on an OS-assigned port and accepts one valid callback from the browser that started it, then closes', async () => {
    const listener = await codeListener();
    expect(listener.address.address).toBe('127.0.0.1');
    expect(listener.address.port).toBeGreaterThan(0);
    expect(listener.redirectUri).toBe(`http://127.0.0.1:${listener.address.port}/callback`);
    const headers = await begin(listener);

    const response = await send(callbackUrl(listener.redirectUri, { code: 'the-code', state: STATE }), { headers });
    expect(response.status).toBe(200);
    expect(response.body).toContain('Signed in');
    await expect(listener.result).resolves.toEqual({ code: 'the-code' });

    // Self-contained: a CSP allowing only the nonce'd inline style, and no external resource.
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(response.body).toContain(`<style nonce="${nonce}">`);
    expect(response.body).not.toMatch(/(src|href)=/i);
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['cache-control']).toBe('no-store');

    // Replayed callback: the listener is gone.
    const replay = await rejectionOf(send(callbackUrl(listener.redirectUri, { code: 'the-code', state: STATE }), { headers }));
    expect(replay.code).toBe('ECONNREFUSED');
  });

  it('the start URL carries nothing of the authorization request, sets an HttpOnly SameSite=Lax cookie and is not cached', async () => {
    const listener = await codeListener();
    const url = listener.startUrl(AUTHORIZATION_URL);
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${listener.address.port}/start/[A-Za-z0-9_-]{32}$`));
    const start = await send(url);
    expect(start.headers['set-cookie']?.[0]).toMatch(/; HttpOnly; SameSite=Lax$/);
    expect(start.headers['cache-control']).toBe('no-store');
    expect(start.headers['referrer-policy']).toBe('no-referrer');
    await listener.close();
  });

  it('a second fetch of the start URL ends the sign-in (someone else opened the link)', async () => {
    const listener = await codeListener();
    await begin(listener);
    const again = await send(listener.startUrl(AUTHORIZATION_URL));
    expect(again.status).toBe(409);
    expect(again.body).toContain('opened a second time');
    expect((await rejectionOf(listener.result)).code).toBe('CALLBACK_INVALID');
  });

  it('ignores a callback without the cookie (another user agent delivered it): 400, the sign-in goes on', async () => {
    const listener = await codeListener();
    const before = await send(callbackUrl(listener.redirectUri, { code: 'early', state: STATE }));
    expect(before.status).toBe(400);
    const headers = await begin(listener);
    const foreign = await send(callbackUrl(listener.redirectUri, { code: 'stolen', state: STATE }));
    expect(foreign.status).toBe(400);
    expect(foreign.body).toContain('did not come from the browser');
    const ok = await send(callbackUrl(listener.redirectUri, { code: 'good', state: STATE }), { headers });
    expect(ok.status).toBe(200);
    await expect(listener.result).resolves.toEqual({ code: 'good' });
  });

  it('answers 404 on other paths without consuming the listener', async () => {
    const listener = await codeListener();
    const headers = await begin(listener);
    const origin = `http://127.0.0.1:${listener.address.port}`;
    expect((await send(`${origin}/favicon.ico`, { headers })).status).toBe(404);
    expect((await send(`${origin}/callback/extra?code=x&state=${STATE}`, { headers })).status).toBe(404);
    const ok = await send(callbackUrl(listener.redirectUri, { code: 'c2', state: STATE }), { headers });
    expect(ok.status).toBe(200);
    await expect(listener.result).resolves.toEqual({ code: 'c2' });
  });

  it('rejects a request with a foreign Host header (DNS rebinding) without consuming', async () => {
    const listener = await codeListener();
    const headers = await begin(listener);
    const evil = await send(callbackUrl(listener.redirectUri, { code: 'x', state: STATE }), {
      headers: { ...headers, host: `evil.example:${listener.address.port}` },
    });
    expect(evil.status).toBe(400);
    const ok = await send(callbackUrl(listener.redirectUri, { code: 'good', state: STATE }), { headers });
    expect(ok.status).toBe(200);
    await expect(listener.result).resolves.toEqual({ code: 'good' });
  });

  it('ignores a wrong or missing state (and an error= with a wrong state): 400 page, the sign-in goes on', async () => {
    const listener = await codeListener();
    const headers = await begin(listener);
    for (const params of [
      { code: 'c', state: 'attacker-state' },
      { code: 'c' },
      { error: 'access_denied', state: 'wrong' },
      { code: 'c', state: 'other', iss: 'https://evil.example' },
    ]) {
      const response = await send(callbackUrl(listener.redirectUri, params), { headers });
      expect(response.status, JSON.stringify(params)).toBe(400);
      expect(response.body).toContain('does not carry the state');
    }
    const repeatedState = await send(`${listener.redirectUri}?code=c&state=${STATE}&state=x`, { headers });
    expect(repeatedState.status).toBe(400);
    const ok = await send(callbackUrl(listener.redirectUri, { code: 'real', state: STATE }), { headers });
    expect(ok.status).toBe(200);
    await expect(listener.result).resolves.toEqual({ code: 'real' });
  });

  it('fails on a callback with the right state but without a code', async () => {
    const listener = await codeListener();
    const headers = await begin(listener);
    const response = await send(callbackUrl(listener.redirectUri, { state: STATE }), { headers });
    expect(response.status).toBe(400);
    expect((await rejectionOf(listener.result)).code).toBe('CALLBACK_INVALID');
  });

  it('fails on a repeated parameter', async () => {
    const listener = await codeListener();
    const headers = await begin(listener);
    await send(`${listener.redirectUri}?code=a&code=b&state=${STATE}`, { headers });
    expect((await rejectionOf(listener.result)).code).toBe('CALLBACK_INVALID');
  });

  it('surfaces access_denied as OAUTH_ERROR and HTML-escapes the description in the page', async () => {
    const listener = await codeListener();
    const headers = await begin(listener);
    const response = await send(
      callbackUrl(listener.redirectUri, { error: 'access_denied', error_description: '<script>alert(1)</script> no', state: STATE }),
      { headers },
    );
    expect(response.status).toBe(400);
    expect(response.body).not.toContain('<script>');
    expect(response.body).toContain('&#60;script&#62;');
    const error = await rejectionOf(listener.result);
    expect(error.code).toBe('OAUTH_ERROR');
    expect(error.oauthError).toBe('access_denied');
    expect(error.oauthErrorDescription).toBe('<script>alert(1)</script> no');
  });

  it('rejects an iss that is not the issuer (RFC 9207)', async () => {
    const listener = await codeListener();
    const headers = await begin(listener);
    await send(callbackUrl(listener.redirectUri, { code: 'c', state: STATE, iss: 'https://evil.example' }), { headers });
    const error = await rejectionOf(listener.result);
    expect(error.code).toBe('ISSUER_MISMATCH');
    // Both issuers exactly as compared.
    expect(error.message).toContain(`"https://evil.example", not "${ISSUER}"`);
  });

  it('requires iss when the provider advertises it, and accepts the right one', async () => {
    const missing = await codeListener({ issRequired: true });
    const missingHeaders = await begin(missing);
    await send(callbackUrl(missing.redirectUri, { code: 'c', state: STATE }), { headers: missingHeaders });
    expect((await rejectionOf(missing.result)).code).toBe('ISSUER_MISMATCH');

    const good = await codeListener({ issRequired: true });
    const goodHeaders = await begin(good);
    await send(callbackUrl(good.redirectUri, { code: 'c', state: STATE, iss: ISSUER }), { headers: goodHeaders });
    await expect(good.result).resolves.toEqual({ code: 'c' });
  });

  it('accepts exactly one of two concurrent callbacks', async () => {
    let calls = 0;
    const listener = await startLoopbackListener({
      handle: (params) => {
        calls += 1;
        return params.get('code');
      },
    });
    const headers = await begin(listener);
    const results = await Promise.allSettled([
      send(callbackUrl(listener.redirectUri, { code: 'first', state: STATE }), { headers }),
      send(callbackUrl(listener.redirectUri, { code: 'second', state: STATE }), { headers }),
    ]);
    expect(calls).toBe(1);
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.status : 'refused'));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(
      statuses.filter((s) => s !== 200).every((s) => s === 410 || s === 'refused'),
      JSON.stringify(statuses),
    ).toBe(true);
    expect(['first', 'second']).toContain(await listener.result);
  });

  it('times out with TIMEOUT and closes', async () => {
    const listener = await codeListener({ timeoutMs: 50 });
    expect((await rejectionOf(listener.result)).code).toBe('TIMEOUT');
    expect((await rejectionOf(send(listener.redirectUri))).code).toBe('ECONNREFUSED');
  });

  it('is cancelled by an AbortSignal and closes', async () => {
    const controller = new AbortController();
    const listener = await codeListener({ signal: controller.signal });
    controller.abort();
    expect((await rejectionOf(listener.result)).code).toBe('CANCELLED');
    await listener.close();
    expect((await rejectionOf(send(listener.redirectUri))).code).toBe('ECONNREFUSED');
  });

  it('refuses to start with an already aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await rejectionOf(codeListener({ signal: controller.signal }))).code).toBe('CANCELLED');
  });

  it('uses a fixed port and a localhost redirect URI while binding 127.0.0.1', async () => {
    const port = await freePort();
    const listener = await codeListener({ redirectUri: `http://localhost:${port}/cb` });
    expect(listener.redirectUri).toBe(`http://localhost:${port}/cb`);
    expect(listener.address).toMatchObject({ address: '127.0.0.1', port });
    // The start URL is on the redirect URI's host, so its cookie goes back with the callback.
    const startUrl = new URL(listener.startUrl(AUTHORIZATION_URL));
    expect(startUrl.host).toBe(`localhost:${port}`);
    const start = await send(`http://127.0.0.1:${port}${startUrl.pathname}`, { headers: { host: `localhost:${port}` } });
    const cookie = String(start.headers['set-cookie']?.[0]).split(';')[0] as string;
    const response = await send(`http://127.0.0.1:${port}/cb?code=z&state=${STATE}`, { headers: { host: `localhost:${port}`, cookie } });
    expect(response.status).toBe(200);
    await expect(listener.result).resolves.toEqual({ code: 'z' });
  });

  it('reports a fixed port in use as CONFIG_INVALID', async () => {
    const first = await codeListener();
    const error = await rejectionOf(codeListener({ redirectUri: `http://127.0.0.1:${first.address.port}/callback` }));
    expect(error.code).toBe('CONFIG_INVALID');
    await first.close();
  });

  it('relays the URL fragment in fragment mode, guarded by the cookie and the relay key', async () => {
    const listener = await startLoopbackListener({ mode: 'fragment', handle: (params) => params.get('access_token') });
    const headers = await begin(listener);
    const page = await send(listener.redirectUri, { headers });
    expect(page.status).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(page.body).toContain(`<script nonce="${nonce}">`);
    expect(page.body).toContain("credentials: 'same-origin'");
    const relayKey = /'x-token-broker-relay': "([^"]+)"/.exec(page.body)?.[1];
    expect(relayKey).toBeTruthy();

    const forged = await send(listener.redirectUri, {
      method: 'POST',
      body: 'access_token=evil',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(forged.status).toBe(403);
    const withoutCookie = await send(listener.redirectUri, {
      method: 'POST',
      body: 'access_token=evil&state=s',
      headers: { 'x-token-broker-relay': String(relayKey) },
    });
    expect(withoutCookie.status).toBe(400);
    const crossOrigin = await send(listener.redirectUri, {
      method: 'POST',
      body: 'access_token=evil',
      headers: { ...headers, 'x-token-broker-relay': String(relayKey), origin: 'https://evil.example' },
    });
    expect(crossOrigin.status).toBe(403);

    const relayed = await send(listener.redirectUri, {
      method: 'POST',
      body: 'access_token=good&state=s',
      headers: { ...headers, 'x-token-broker-relay': String(relayKey) },
    });
    expect(relayed.status).toBe(200);
    expect(JSON.parse(relayed.body)).toMatchObject({ ok: true });
    await expect(listener.result).resolves.toBe('good');
  });
});
