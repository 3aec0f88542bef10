/**
 * Self-test of the fixture options the security suites rely on: a second resource owner (an
 * attacker's own account at the same provider) and a provider that narrows rotated refresh
 * tokens to the scope of a scoped refresh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type AuthServer } from './auth-server.js';
import { completeLoginHttp } from './login.js';
import { startCallbackListener, type CallbackListener } from './callback-listener.js';

const MALLORY = { username: 'mallory', password: 'mallory-secret' };

let server: AuthServer;
let listener: CallbackListener;

beforeAll(async () => {
  server = await startAuthServer({ extraUsers: [MALLORY], narrowRotatedRefreshTokens: true });
  listener = await startCallbackListener();
});

afterAll(async () => {
  await listener.close();
  await server.close();
});

async function token(form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const { clientId, clientSecret } = server.clients.basic;
  const response = await fetch(`${server.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('a second resource owner', () => {
  it('signs in with its own password (password grant and login page) and is its own subject', async () => {
    const grant = await token({ grant_type: 'password', username: MALLORY.username, password: MALLORY.password, scope: 'api' });
    expect(grant.status).toBe(200);
    expect((await server.introspect(grant.body.access_token as string)).sub).toBe('mallory');
    expect((await token({ grant_type: 'password', username: MALLORY.username, password: 'wrong', scope: 'api' })).status).toBe(400);

    const url = new URL(`${server.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: server.clients.basic.clientId,
      response_type: 'code',
      redirect_uri: listener.redirectUri(),
      scope: 'openid email profile',
      state: 's',
    }).toString();
    const final = new URL(await completeLoginHttp(url.href, MALLORY));
    const code = final.searchParams.get('code') as string;
    const exchanged = await token({ grant_type: 'authorization_code', code, redirect_uri: listener.redirectUri() });
    expect(exchanged.status).toBe(200);
    const payload = JSON.parse(Buffer.from((exchanged.body.id_token as string).split('.')[1] as string, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(payload.sub).toBe('mallory');
  });
});

describe('narrowRotatedRefreshTokens', () => {
  it('a scoped refresh leaves a refresh token that only holds that scope', async () => {
    const grant = await token({
      grant_type: 'password',
      username: server.user.username,
      password: server.user.password,
      scope: 'api:read api:write',
    });
    expect(grant.body.scope).toBe('api:read api:write');
    const scoped = await token({ grant_type: 'refresh_token', refresh_token: grant.body.refresh_token as string, scope: 'api:read' });
    expect(scoped.status).toBe(200);
    expect(scoped.body.scope).toBe('api:read');
    const after = await token({ grant_type: 'refresh_token', refresh_token: scoped.body.refresh_token as string });
    expect(after.status).toBe(200);
    expect(after.body.scope).toBe('api:read');
    // The original, rotated away, is dead (oidc-provider revokes the grant on reuse).
    expect((await token({ grant_type: 'refresh_token', refresh_token: grant.body.refresh_token as string })).status).toBe(400);
  });
});
