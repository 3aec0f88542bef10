import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useAuthServer, useChromium, useFixture } from './fixtures.js';
import { startCallbackListener, type CallbackListener } from './callback-listener.js';
import { CookieJar } from './cookie-jar.js';
import { approveDeviceCode, completeLoginHttp, completeLoginInChromium } from './login.js';

const server = useAuthServer();
const listener = useFixture<CallbackListener>({
  name: 'callback listener',
  scope: 'file',
  setup: startCallbackListener,
  teardown: (started) => started.close(),
});

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizationUrl(challenge: string, state: string, redirectUri = listener.redirectUri()): string {
  const url = new URL(`${server.issuer}/auth`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: server.clients.public.clientId,
    redirect_uri: redirectUri,
    scope: 'openid api:read',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  return url.href;
}

async function redeem(code: string, verifier: string, redirectUri = listener.redirectUri()): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: server.clients.public.clientId,
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    }).toString(),
  });
  return (await response.json()) as Record<string, unknown>;
}

describe('completeLoginHttp (test/support/login.ts)', () => {
  it('signs in, consents and delivers the code to the loopback listener', async () => {
    const { verifier, challenge } = pkcePair();
    const seen = listener.nextCallback();
    const finalUrl = new URL(await completeLoginHttp(authorizationUrl(challenge, 'one')));
    const callback = await seen;
    expect(callback.href).toBe(finalUrl.href);
    expect(callback.searchParams.get('state')).toBe('one');
    const tokens = await redeem(callback.searchParams.get('code') ?? '', verifier);
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'openid api:read' });
    expect((await server.introspect(String(tokens.access_token))).sub).toBe('alice');
  });

  it('answers access_denied when the user cancels', async () => {
    const seen = listener.nextCallback();
    const finalUrl = new URL(await completeLoginHttp(authorizationUrl(pkcePair().challenge, 'two'), { deny: true }));
    expect(finalUrl.searchParams.get('error')).toBe('access_denied');
    expect(finalUrl.searchParams.get('state')).toBe('two');
    expect(finalUrl.searchParams.get('iss')).toBe(server.issuer);
    expect(finalUrl.searchParams.get('code')).toBeNull();
    expect((await seen).href).toBe(finalUrl.href);
  });

  it('answers access_denied for a wrong password', async () => {
    const seen = listener.nextCallback();
    const finalUrl = new URL(await completeLoginHttp(authorizationUrl(pkcePair().challenge, 'three'), { password: 'not-it' }));
    expect(finalUrl.searchParams.get('error')).toBe('access_denied');
    expect(finalUrl.href).not.toContain('not-it');
    await seen;
  });

  it('returns the URL without requesting it when delivery is off', async () => {
    const unused = `http://127.0.0.1:1/never-listening`;
    const finalUrl = new URL(await completeLoginHttp(authorizationUrl(pkcePair().challenge, 'four', unused), { deliver: false }));
    expect(`${finalUrl.origin}${finalUrl.pathname}`).toBe(unused);
    expect(finalUrl.searchParams.get('code')).toBeTruthy();
  });

  it('reports a refused authorization request instead of looping', async () => {
    const url = new URL(authorizationUrl(pkcePair().challenge, 'five'));
    url.searchParams.set('client_id', 'no-such-client');
    await expect(completeLoginHttp(url.href)).rejects.toThrow(/HTTP 400.*invalid_client/);
  });
});

describe('approveDeviceCode (test/support/login.ts)', () => {
  async function deviceAuthorization(): Promise<{ deviceCode: string; userCode: string }> {
    const response = await fetch(`${server.issuer}/device/auth`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: server.clients.public.clientId, scope: 'openid' }),
    });
    const body = (await response.json()) as { device_code: string; user_code: string };
    return { deviceCode: body.device_code, userCode: body.user_code };
  }

  async function poll(deviceCode: string): Promise<Record<string, unknown>> {
    const response = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        client_id: server.clients.public.clientId,
        device_code: deviceCode,
      }),
    });
    return (await response.json()) as Record<string, unknown>;
  }

  it('approves a user code typed without its dash and in lower case', async () => {
    const { deviceCode, userCode } = await deviceAuthorization();
    await approveDeviceCode(server, userCode.replace('-', '').toLowerCase());
    expect(typeof (await poll(deviceCode)).access_token).toBe('string');
  });

  it('fails loudly for an unknown user code and for a wrong password', async () => {
    await expect(approveDeviceCode(server, 'BCDF-GHJK')).rejects.toThrow(/user code not accepted/);
    const { deviceCode, userCode } = await deviceAuthorization();
    await expect(approveDeviceCode(server, userCode, { password: 'nope' })).rejects.toThrow(/device approval failed/);
    expect((await poll(deviceCode)).error).toBe('access_denied');
  });
});

describe('CookieJar (test/support/cookie-jar.ts)', () => {
  function response(...cookies: string[]): Response {
    const headers = new Headers();
    for (const cookie of cookies) headers.append('set-cookie', cookie);
    return new Response(null, { headers });
  }

  it('matches paths, replaces and expires cookies, and stays on its origin', () => {
    const jar = new CookieJar('http://127.0.0.1:1234');
    jar.store(new URL('http://127.0.0.1:1234/auth'), response('a=1; path=/; httponly', 'b=2; path=/interaction/x'));
    expect(jar.headerFor(new URL('http://127.0.0.1:1234/interaction/x'))).toBe('a=1; b=2');
    expect(jar.headerFor(new URL('http://127.0.0.1:1234/interaction/xy'))).toBe('a=1');
    expect(jar.headerFor(new URL('http://127.0.0.1:9999/interaction/x'))).toBeUndefined();
    jar.store(new URL('http://127.0.0.1:1234/auth'), response('a=3; path=/', 'b=; path=/interaction/x; max-age=0'));
    expect(jar.headerFor(new URL('http://127.0.0.1:1234/interaction/x'))).toBe('a=3');
    jar.store(new URL('http://127.0.0.1:1234/auth'), response('a=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT'));
    expect(jar.headerFor(new URL('http://127.0.0.1:1234/'))).toBeUndefined();
  });
});

describe('completeLoginInChromium (test/support/login.ts)', () => {
  const browser = useChromium();

  it('types the credentials and consents in a real browser', async () => {
    const page = await browser.newPage();
    try {
      const { verifier, challenge } = pkcePair();
      const seen = listener.nextCallback();
      await completeLoginInChromium(page, authorizationUrl(challenge, 'chromium'));
      const callback = await seen;
      expect(new URL(page.url()).href).toBe(callback.href);
      expect(callback.searchParams.get('state')).toBe('chromium');
      expect(callback.searchParams.get('iss')).toBe(server.issuer);
      const tokens = await redeem(callback.searchParams.get('code') ?? '', verifier);
      expect(typeof tokens.access_token).toBe('string');
      expect(typeof tokens.refresh_token).toBe('string');
    } finally {
      await page.close();
    }
  });

  it('cancels in the browser when asked to deny', async () => {
    const page = await browser.newPage();
    try {
      const seen = listener.nextCallback();
      await completeLoginInChromium(page, authorizationUrl(pkcePair().challenge, 'no'), { deny: true });
      const callback = await seen;
      expect(callback.searchParams.get('error')).toBe('access_denied');
      expect(callback.searchParams.get('state')).toBe('no');
    } finally {
      await page.close();
    }
  });

  it('follows the implicit fixture route to a loopback page that sees the fragment', async () => {
    const page = await browser.newPage();
    try {
      const url = new URL(`${server.issuer}/implicit/authorize`);
      url.search = new URLSearchParams({
        response_type: 'token',
        client_id: server.clients.public.clientId,
        redirect_uri: listener.redirectUri('/implicit'),
        state: 'frag',
        scope: 'api:read',
      }).toString();
      const seen = listener.nextCallback();
      await completeLoginInChromium(page, url.href);
      expect((await seen).pathname).toBe('/implicit');
      const fragment = new URLSearchParams(await page.evaluate(() => window.location.hash.slice(1)));
      expect(fragment.get('state')).toBe('frag');
      expect((await server.introspect(fragment.get('access_token') ?? '')).active).toBe(true);
    } finally {
      await page.close();
    }
  });
});
