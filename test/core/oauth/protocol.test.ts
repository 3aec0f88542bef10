import { createHash, generateKeyPairSync } from 'node:crypto';
import { decodeProtectedHeader, decodeJwt, importSPKI, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { buildAuthorizationUrl } from '../../../main/core/oauth/authorization-url.js';
import { validateImplicitResponse } from '../../../main/core/oauth/callback.js';
import { applyClientAuth, clientSecretBasicHeader, createClientAssertion, toClientAuth } from '../../../main/core/oauth/client-auth.js';
import {
  discoveryUrls,
  processDiscoveryResponse,
  ProviderMetadataCache,
  resolveProviderMetadata,
} from '../../../main/core/oauth/discovery.js';
import type { HttpClient, HttpResponse } from '../../../main/core/oauth/http.js';
import { decodeJwtClaims } from '../../../main/core/oauth/id-token.js';
import { computeCodeChallenge, generateCodeVerifier, generateState, includesOpenId } from '../../../main/core/oauth/pkce.js';
import { buildTokenRequest } from '../../../main/core/oauth/token-request.js';
import { BrokerError } from '../../../main/core/errors.js';

describe('PKCE (RFC 7636)', () => {
  it('makes 43-character base64url verifiers from 32 random bytes', () => {
    const verifier = generateCodeVerifier();
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateCodeVerifier()).not.toBe(verifier);
  });
  it('computes S256 as in RFC 7636 appendix B', () => {
    expect(computeCodeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });
  it('fails closed on a malformed verifier', () => {
    expect(() => computeCodeChallenge('short')).toThrow(BrokerError);
  });
  it('makes states of at least 128 bits', () => {
    expect(Buffer.from(generateState(), 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(includesOpenId('profile openid')).toBe(true);
    expect(includesOpenId('openidx')).toBe(false);
  });
});

describe('authorization URL (RFC 6749 §4.1.1)', () => {
  const metadata = { tokenEndpoint: 'https://idp.example/token', authorizationEndpoint: 'https://idp.example/authorize?tenant=t1' };
  it('keeps endpoint query parameters and adds PKCE S256, state, nonce', () => {
    const url = new URL(
      buildAuthorizationUrl(metadata, {
        responseType: 'code',
        clientId: 'c',
        redirectUri: 'http://127.0.0.1:5/cb',
        state: 's',
        scope: 'openid x',
        codeChallenge: 'ch',
        nonce: 'n',
      }),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      tenant: 't1',
      response_type: 'code',
      client_id: 'c',
      redirect_uri: 'http://127.0.0.1:5/cb',
      state: 's',
      scope: 'openid x',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
      nonce: 'n',
    });
  });
  it('adds extra parameters (Google access_type, Auth0 audience) for code and implicit requests; protocol parameters win', () => {
    const extraParams = { access_type: 'offline', prompt: 'consent', audience: 'https://api.example.com/v1?x=1&y' };
    const code = new URL(
      buildAuthorizationUrl(metadata, {
        responseType: 'code',
        clientId: 'c',
        redirectUri: 'http://127.0.0.1:5/cb',
        state: 's',
        codeChallenge: 'ch',
        extraParams,
      }),
    );
    expect(code.searchParams.get('access_type')).toBe('offline');
    expect(code.searchParams.get('prompt')).toBe('consent');
    expect(code.searchParams.get('audience')).toBe('https://api.example.com/v1?x=1&y');
    expect(code.searchParams.get('tenant')).toBe('t1');
    const implicit = new URL(
      buildAuthorizationUrl(metadata, {
        responseType: 'token',
        clientId: 'c',
        redirectUri: 'http://127.0.0.1:5/cb',
        state: 's',
        extraParams,
      }),
    );
    expect(implicit.searchParams.get('audience')).toBe('https://api.example.com/v1?x=1&y');
    // The model refuses these names; the builder still never lets one replace the flow's own.
    const hostile = new URL(
      buildAuthorizationUrl(metadata, {
        responseType: 'code',
        clientId: 'c',
        redirectUri: 'http://127.0.0.1:5/cb',
        state: 's',
        codeChallenge: 'ch',
        extraParams: { state: 'forged', redirect_uri: 'https://evil.example/', code_challenge_method: 'plain', tenant: 't2' },
      }),
    );
    expect(hostile.searchParams.getAll('state')).toEqual(['s']);
    expect(hostile.searchParams.getAll('redirect_uri')).toEqual(['http://127.0.0.1:5/cb']);
    expect(hostile.searchParams.getAll('code_challenge_method')).toEqual(['S256']);
    expect(hostile.searchParams.getAll('tenant')).toEqual(['t2']);
  });
  it('refuses a code request without PKCE, and a provider without an authorization endpoint', () => {
    expect(() => buildAuthorizationUrl(metadata, { responseType: 'code', clientId: 'c', redirectUri: 'x', state: 's' })).toThrow(/PKCE/);
    expect(() =>
      buildAuthorizationUrl({ tokenEndpoint: 't' }, { responseType: 'token', clientId: 'c', redirectUri: 'x', state: 's' }),
    ).toThrow(BrokerError);
  });
});

describe('client authentication', () => {
  it('form-encodes id and secret before base64 (RFC 6749 §2.3.1)', () => {
    const header = clientSecretBasicHeader('my client:1', 'p@ss:w%rd+/ ');
    expect(Buffer.from(header.replace('Basic ', ''), 'base64').toString()).toBe('my+client%3A1:p%40ss%3Aw%25rd%2B%2F+');
  });
  it('maps client config to ClientAuth and names a missing secret without a value', () => {
    expect(toClientAuth({ id: 'c', auth: 'basic' }, { clientSecret: 's' })).toEqual({
      method: 'client_secret_basic',
      clientId: 'c',
      clientSecret: 's',
    });
    expect(toClientAuth({ id: 'c', auth: 'post' }, { clientSecret: 's' }).method).toBe('client_secret_post');
    expect(toClientAuth({ id: 'c', auth: 'none' }, {})).toEqual({ method: 'none', clientId: 'c' });
    expect(toClientAuth({ id: 'c', auth: 'private_key_jwt', keyId: 'k' }, { privateKeyPem: 'pem' })).toEqual({
      method: 'private_key_jwt',
      clientId: 'c',
      privateKeyPem: 'pem',
      keyId: 'k',
    });
    expect(() => toClientAuth({ id: 'c', auth: 'basic' }, {})).toThrow(/no client secret/);
    expect(() => toClientAuth({ id: 'c', auth: 'private_key_jwt' }, {})).toThrow(/no private key/);
  });
  it('puts post credentials in the body and none as client_id only', async () => {
    expect(await applyClientAuth({ method: 'client_secret_post', clientId: 'c', clientSecret: 's' }, 'aud', 0)).toEqual({
      headers: {},
      params: { client_id: 'c', client_secret: 's' },
    });
    expect(await applyClientAuth({ method: 'none', clientId: 'c' }, 'aud', 0)).toEqual({ headers: {}, params: { client_id: 'c' } });
  });

  it.each([
    ['rsa', 'RS256', { modulusLength: 2048 }],
    ['ec', 'ES256', { namedCurve: 'P-256' }],
    ['ed25519', 'EdDSA', {}],
  ] as const)('signs an RFC 7523 assertion with a %s key as %s', async (type, alg, options) => {
    const { privateKey, publicKey } = generateKeyPairSync(type as 'rsa', options as { modulusLength: number });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const now = 1_700_000_000_000;
    const jwt = await createClientAssertion({ clientId: 'cid', privateKeyPem: pem, keyId: 'kid1' }, 'https://idp.example/token', now);
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg, kid: 'kid1', typ: 'JWT' });
    const spki = await importSPKI(publicKey.export({ type: 'spki', format: 'pem' }).toString(), alg);
    const { payload } = await jwtVerify(jwt, spki, { currentDate: new Date(now) });
    expect(payload).toMatchObject({ iss: 'cid', sub: 'cid', aud: 'https://idp.example/token', iat: now / 1000 });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(60);
    expect(typeof payload.jti).toBe('string');
    const second = await createClientAssertion({ clientId: 'cid', privateKeyPem: pem }, 'a', now);
    expect(decodeJwt(second).jti).not.toBe(payload.jti);
  });
  it('refuses an unreadable key without quoting it', async () => {
    const error = await createClientAssertion(
      { clientId: 'cid', privateKeyPem: '-----BEGIN PRIVATE KEY-----\nSECRETSTUFF\n-----END PRIVATE KEY-----' },
      'a',
      0,
    ).catch((e: unknown) => e as BrokerError);
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).code).toBe('CONFIG_INVALID');
    expect((error as BrokerError).message).not.toContain('SECRETSTUFF');
  });
  it('builds token requests as form POSTs with Accept: application/json', async () => {
    const request = await buildTokenRequest(
      { tokenEndpoint: 'https://idp.example/token' },
      { method: 'client_secret_basic', clientId: 'c', clientSecret: 's' },
      { grant_type: 'client_credentials' },
      { now: 0 },
    );
    expect(request).toMatchObject({
      method: 'POST',
      url: 'https://idp.example/token',
      form: { grant_type: 'client_credentials' },
      headers: { accept: 'application/json' },
    });
    expect(request.headers?.['authorization']).toMatch(/^Basic /);
  });
});

describe('discovery', () => {
  it('builds OpenID then RFC 8414 URLs with path insertion', () => {
    expect(discoveryUrls('https://idp.example')).toEqual([
      'https://idp.example/.well-known/openid-configuration',
      'https://idp.example/.well-known/oauth-authorization-server',
    ]);
    expect(discoveryUrls('https://idp.example/tenants/t1')).toEqual([
      'https://idp.example/tenants/t1/.well-known/openid-configuration',
      'https://idp.example/.well-known/oauth-authorization-server/tenants/t1',
    ]);
  });
  const doc = {
    issuer: 'https://idp.example',
    token_endpoint: 'https://idp.example/token',
    authorization_endpoint: 'https://idp.example/auth',
    authorization_response_iss_parameter_supported: true,
    jwks_uri: 'https://idp.example/jwks',
  };
  const ctx = { purpose: 'discovery endpoint', url: 'https://idp.example/.well-known/openid-configuration' };
  const ok = (body: unknown, status = 200): HttpResponse => ({
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    url: ctx.url,
  });
  it('maps the document', () => {
    expect(processDiscoveryResponse(ok(doc), 'https://idp.example', ctx)).toEqual({
      issuer: 'https://idp.example',
      tokenEndpoint: 'https://idp.example/token',
      authorizationEndpoint: 'https://idp.example/auth',
      authorizationResponseIssParameterSupported: true,
      jwksUri: 'https://idp.example/jwks',
    });
  });
  it('requires the exact issuer', () => {
    expect(() => processDiscoveryResponse(ok(doc), 'https://idp.example/', ctx)).toThrow(
      expect.objectContaining({ code: 'ISSUER_MISMATCH' }),
    );
    expect(() => processDiscoveryResponse(ok({ ...doc, issuer: 'https://evil.example' }), 'https://idp.example', ctx)).toThrow(
      expect.objectContaining({ code: 'ISSUER_MISMATCH' }),
    );
  });
  it('fails discovery on a missing token endpoint, a bad URL or a 404', () => {
    expect(() => processDiscoveryResponse(ok({ issuer: doc.issuer }), doc.issuer, ctx)).toThrow(
      expect.objectContaining({ code: 'DISCOVERY_FAILED' }),
    );
    expect(() => processDiscoveryResponse(ok({ ...doc, revocation_endpoint: 'ftp://x' }), doc.issuer, ctx)).toThrow(
      expect.objectContaining({ code: 'DISCOVERY_FAILED' }),
    );
    expect(() => processDiscoveryResponse(ok({}, 404), doc.issuer, ctx)).toThrow(expect.objectContaining({ code: 'DISCOVERY_FAILED' }));
  });

  it('resolves explicit endpoints without discovery, and caches discovered metadata per issuer with a TTL', async () => {
    let calls = 0;
    const http: HttpClient = {
      request: async (request) => {
        calls += 1;
        return ok(request.url.includes('openid-configuration') ? doc : {}, request.url.includes('openid-configuration') ? 200 : 404);
      },
    };
    expect(await resolveProviderMetadata({ tokenEndpoint: 'https://x/token' }, http)).toEqual({ tokenEndpoint: 'https://x/token' });
    expect(calls).toBe(0);
    let now = 0;
    const cache = new ProviderMetadataCache({ ttlMs: 1000, clock: { now: () => now } });
    const first = await resolveProviderMetadata(
      { issuer: doc.issuer, revocationEndpoint: 'https://idp.example/custom-revoke' },
      http,
      cache,
    );
    expect(first.revocationEndpoint).toBe('https://idp.example/custom-revoke');
    await resolveProviderMetadata({ issuer: doc.issuer }, http, cache);
    expect(calls).toBe(1);
    now = 2000;
    await resolveProviderMetadata({ issuer: doc.issuer }, http, cache);
    expect(calls).toBe(2);
    await expect(resolveProviderMetadata({}, http)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('implicit response and JWT decoding', () => {
  it('builds a token set from the fragment parameters after the state check', () => {
    const params = new URLSearchParams({ access_token: 'at', token_type: 'Bearer', expires_in: '120', state: 's' });
    expect(validateImplicitResponse(params, { state: 's' }, { now: () => 1000 })).toMatchObject({ accessToken: 'at', expiresAt: 121_000 });
    expect(() => validateImplicitResponse(params, { state: 'other' })).toThrow(expect.objectContaining({ code: 'STATE_MISMATCH' }));
    expect(() => validateImplicitResponse(new URLSearchParams({ state: 's' }), { state: 's' })).toThrow(
      expect.objectContaining({ code: 'CALLBACK_INVALID' }),
    );
  });
  it('decodes claims without verifying, and returns undefined for non-JWTs', () => {
    const jwt = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"alice","exp":5}').toString('base64url')}.`;
    expect(decodeJwtClaims(jwt)).toEqual({ sub: 'alice', exp: 5 });
    expect(decodeJwtClaims('opaque-token')).toBeUndefined();
    expect(createHash('sha256')).toBeTruthy();
  });
});
