import { describe, expect, it } from 'vitest';
import {
  decodeJwtPayload,
  idTokenLifetime,
  idTokenNotRenewedError,
  noIdTokenError,
  noOpenIdError,
  refreshedIdTokenProblem,
  requestsOpenId,
  toIdTokenHandout,
} from '../../../main/core/broker/id-token-policy.js';
import type { TokenSet } from '../../../main/core/oauth/types.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: Record<string, unknown>): string => `${b64({ alg: 'RS256', kid: 'k' })}.${b64(claims)}.c2lnbmF0dXJl`;

const claims = { iss: 'https://id.example', sub: 'alice', aud: 'kube', iat: 1_800_000_000, exp: 1_800_003_600 };
const set = (idToken?: string): TokenSet => ({
  accessToken: 'at',
  tokenType: 'Bearer',
  obtainedAt: 1_799_999_999_000,
  ...(idToken ? { idToken } : {}),
});

describe('decoding the ID token', () => {
  it('reads the payload of a compact JWS without verifying it', () => {
    expect(decodeJwtPayload(jwt(claims))).toEqual(claims);
  });

  it('rejects what is not a compact JWT with an object payload', () => {
    for (const bad of ['', 'opaque-token', 'a.b', 'a.b.c.d', `${b64({})}.${b64([1])}.x`, `${b64({})}.not-json.x`, `.${b64(claims)}.x`]) {
      expect(decodeJwtPayload(bad), bad).toBeUndefined();
    }
  });

  it('takes the lifetime from iat and exp (epoch ms), memoized per token set', () => {
    const tokens = set(jwt(claims));
    const lifetime = idTokenLifetime(tokens);
    expect(lifetime).toEqual({ obtainedAt: 1_800_000_000_000, expiresAt: 1_800_003_600_000 });
    expect(idTokenLifetime(tokens)).toBe(lifetime);
  });

  it('has no lifetime without an ID token or a numeric exp; falls back to obtainedAt without a usable iat', () => {
    expect(idTokenLifetime(set())).toBeUndefined();
    expect(idTokenLifetime(set(jwt({ ...claims, exp: '1800003600' })))).toBeUndefined();
    expect(idTokenLifetime(set(jwt({ ...claims, exp: -1 })))).toBeUndefined();
    expect(idTokenLifetime(set('opaque'))).toBeUndefined();
    expect(idTokenLifetime(set(jwt({ sub: 'x', exp: 1_800_003_600 })))).toEqual({
      obtainedAt: 1_799_999_999_000,
      expiresAt: 1_800_003_600_000,
    });
    expect(idTokenLifetime(set(jwt({ sub: 'x', iat: 1_900_000_000, exp: 1_800_003_600 })))).toMatchObject({
      obtainedAt: 1_799_999_999_000,
    });
  });
});

describe('refreshed ID tokens (OpenID Connect Core §12.2)', () => {
  const before = jwt(claims);
  it('accepts the same issuer and subject with the client in the audience', () => {
    expect(refreshedIdTokenProblem(before, jwt({ ...claims, iat: 1_800_001_000, exp: 1_800_004_600 }), 'kube')).toBeUndefined();
    expect(refreshedIdTokenProblem(before, jwt({ ...claims, aud: ['other', 'kube'] }), 'kube')).toBeUndefined();
    expect(refreshedIdTokenProblem(undefined, jwt(claims), 'kube')).toBeUndefined();
  });

  it('names what is wrong otherwise', () => {
    expect(refreshedIdTokenProblem(before, 'opaque', 'kube')).toBe('it is not a JWT');
    expect(refreshedIdTokenProblem(before, jwt({ ...claims, aud: 'someone-else' }), 'kube')).toMatch(/audience/);
    expect(refreshedIdTokenProblem(before, jwt({ ...claims, exp: undefined }), 'kube')).toMatch(/exp/);
    expect(refreshedIdTokenProblem(before, jwt({ ...claims, sub: 'mallory' }), 'kube')).toMatch(/another user/);
    expect(refreshedIdTokenProblem(before, jwt({ ...claims, iss: 'https://evil.example' }), 'kube')).toMatch(/another issuer/);
  });
});

describe('ID token hand-out and errors', () => {
  it('counts whole seconds left, never negative', () => {
    expect(toIdTokenHandout('t', 10_500, 0)).toEqual({ idToken: 't', expiresAt: 10_500, expiresIn: 10 });
    expect(toIdTokenHandout('t', 1_000, 5_000).expiresIn).toBe(0);
  });

  it('knows whether the account asks for openid', () => {
    expect(requestsOpenId(['openid', 'email'])).toBe(true);
    expect(requestsOpenId(['api', 'openid-connect'])).toBe(false);
    expect(requestsOpenId([])).toBe(false);
  });

  it('explains each missing ID token with a code and what to do, never a token', () => {
    expect(noOpenIdError('work', 'authorization_code')).toMatchObject({ code: 'CONFIG_INVALID', account: 'work' });
    expect(noOpenIdError('work', 'authorization_code').message).toMatch(/add openid to its scopes/);
    expect(noOpenIdError('svc', 'client_credentials').message).toMatch(/client_credentials grant, which yields no ID token/);
    expect(noOpenIdError('old', 'implicit').code).toBe('CONFIG_INVALID');
    expect(noIdTokenError('work')).toMatchObject({ code: 'NEEDS_LOGIN' });
    expect(noIdTokenError('work').message).toContain('token-broker login work');
    const notRenewed = idTokenNotRenewedError('work', true);
    expect(notRenewed.code).toBe('NEEDS_LOGIN');
    expect(notRenewed.message).toMatch(/returned no new ID token on refresh \(it issues ID tokens only at sign-in\)/);
    expect(notRenewed.message).toContain('has expired');
    expect(idTokenNotRenewedError('work', false).message).toContain('expires sooner than the caller needs');
  });
});
