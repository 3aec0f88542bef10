import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../main/core/oauth/http.js';
import { validateIdToken } from '../../../main/core/oauth/id-token.js';
import type { ProviderMetadata } from '../../../main/core/oauth/types.js';
import { json, rejectionOf, startTestServer, type TestServer } from './helpers/http-util.js';

const ISSUER = 'https://idp.example';
const CLIENT_ID = 'client-1';
const NOW = 1_700_000_000_000;

let jwks: TestServer;
let key: CryptoKey;
let otherKey: CryptoKey;
let metadata: ProviderMetadata;
const http = createHttpClient({ env: {} });

beforeAll(async () => {
  ({ privateKey: otherKey } = await generateKeyPair('ES256'));
  const pair = await generateKeyPair('ES256', { extractable: true });
  key = pair.privateKey;
  const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  jwks = await startTestServer((_req, res) => json(res, 200, { keys: [publicJwk] }));
  metadata = { issuer: ISSUER, tokenEndpoint: `${ISSUER}/token`, jwksUri: `${jwks.url}/jwks` };
});
afterAll(async () => {
  await jwks.close();
});

function idToken(claims: Record<string, unknown>, signingKey: CryptoKey = key): Promise<string> {
  const iat = Math.floor(NOW / 1000);
  return new SignJWT({ nonce: 'n-1', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(String(claims['iss'] ?? ISSUER))
    .setAudience(String(claims['aud'] ?? CLIENT_ID))
    .setSubject('alice')
    .setIssuedAt(iat)
    .setExpirationTime(iat + 300)
    .sign(signingKey);
}

const expected = { clientId: CLIENT_ID, nonce: 'n-1', now: NOW };

describe('validateIdToken (OpenID Connect Core §3.1.3.7)', () => {
  it('verifies the signature with the JWKS fetched through the HTTP client and checks the nonce', async () => {
    const claims = await validateIdToken(await idToken({}), metadata, http, expected);
    expect(claims).toMatchObject({ sub: 'alice', nonce: 'n-1' });
    expect(jwks.requests.at(-1)?.headers['user-agent']).toMatch(/^token-broker\//);
  });
  it('rejects a wrong or missing nonce with NONCE_MISMATCH', async () => {
    expect((await rejectionOf(validateIdToken(await idToken({ nonce: 'other' }), metadata, http, expected))).code).toBe('NONCE_MISMATCH');
    expect((await rejectionOf(validateIdToken(await idToken({ nonce: undefined }), metadata, http, expected))).code).toBe('NONCE_MISMATCH');
  });
  it('rejects a foreign signature, audience or issuer, and an expired token', async () => {
    expect((await rejectionOf(validateIdToken(await idToken({}, otherKey), metadata, http, expected))).code).toBe('INVALID_RESPONSE');
    expect((await rejectionOf(validateIdToken(await idToken({ aud: 'someone-else' }), metadata, http, expected))).code).toBe(
      'INVALID_RESPONSE',
    );
    expect((await rejectionOf(validateIdToken(await idToken({ iss: 'https://evil.example' }), metadata, http, expected))).code).toBe(
      'INVALID_RESPONSE',
    );
    expect((await rejectionOf(validateIdToken(await idToken({}), metadata, http, { ...expected, now: NOW + 3_600_000 }))).code).toBe(
      'INVALID_RESPONSE',
    );
  });
  it('checks the claims (not the signature) when the provider publishes no JWKS', async () => {
    const noKeys = { issuer: ISSUER, tokenEndpoint: `${ISSUER}/token` };
    await expect(validateIdToken(await idToken({}), noKeys, http, expected)).resolves.toMatchObject({ sub: 'alice' });
    expect((await rejectionOf(validateIdToken(await idToken({ nonce: 'x' }), noKeys, http, expected))).code).toBe('NONCE_MISMATCH');
    expect((await rejectionOf(validateIdToken(await idToken({ aud: 'x' }), noKeys, http, expected))).code).toBe('INVALID_RESPONSE');
    expect((await rejectionOf(validateIdToken('not-a-jwt', noKeys, http, expected))).code).toBe('INVALID_RESPONSE');
  });
});
