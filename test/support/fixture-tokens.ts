/**
 * Tokens straight from the fixture authorization server, for self-tests of the real-consumer
 * fixtures (the Kubernetes API stand-in, the registry token server) that must not depend on the
 * broker they are there to test: authorization code + PKCE (RFC 7636) as the public client,
 * signed in over HTTP by the login helper, and client credentials for the basic client.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AuthServer } from './auth-server.js';
import { completeLoginHttp } from './login.js';

export interface FixtureTokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  id_token?: string;
  refresh_token?: string;
  scope?: string;
}

async function postToken(
  server: AuthServer,
  form: Record<string, string>,
  basic?: { id: string; secret: string },
): Promise<FixtureTokenResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic)
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString('base64')}`;
  const response = await fetch(`${server.issuer}/token`, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`[fixture-tokens] token request failed: HTTP ${response.status} ${String(body.error)}`);
  return body as unknown as FixtureTokenResponse;
}

/**
 * Signs the fixture user in with the public client (`fixture-public`) and returns the token
 * response: an opaque access token, and an ID token (audience = the client id) when `scope`
 * has `openid`.
 */
export async function signInWithCode(server: AuthServer, scope = 'openid profile email api'): Promise<FixtureTokenResponse> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const redirectUri = 'http://127.0.0.1:9/callback';
  const url = new URL(`${server.issuer}/auth`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: server.clients.public.clientId,
    redirect_uri: redirectUri,
    scope,
    state: randomBytes(8).toString('hex'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  // The redirect is only looked at, never requested: nothing listens on the discard port.
  const final = new URL(await completeLoginHttp(url.href, { deliver: false }));
  const code = final.searchParams.get('code');
  if (code === null) throw new Error(`[fixture-tokens] no code in ${final.origin}${final.pathname}`);
  return postToken(server, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
    client_id: server.clients.public.clientId,
  });
}

/** A client credentials access token of the basic client (opaque; never has an ID token). */
export function clientCredentialsToken(server: AuthServer, scope = 'api'): Promise<FixtureTokenResponse> {
  return postToken(
    server,
    { grant_type: 'client_credentials', scope },
    { id: server.clients.basic.clientId, secret: server.clients.basic.clientSecret },
  );
}

/** Refreshes with the public client. */
export function refreshWith(server: AuthServer, refreshToken: string): Promise<FixtureTokenResponse> {
  return postToken(server, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: server.clients.public.clientId });
}
