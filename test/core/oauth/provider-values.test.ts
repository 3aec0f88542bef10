/** The RFC 6749 Appendix A grammars for provider values, and the limits they share with the vault. */
import { describe, expect, it } from 'vitest';
import {
  canonicalScope,
  isAccessToken,
  isIdToken,
  isRefreshToken,
  isScope,
  isScopeToken,
  isTokenType,
  lifetimeSeconds,
  MAX_LIFETIME_SECONDS,
  MAX_SCOPE_LENGTH,
  MAX_TOKEN_LENGTH,
  MAX_TOKEN_TYPE_LENGTH,
} from '../../../main/core/oauth/provider-values.js';
import { checkAccountSecrets } from '../../../main/core/vault/payload.js';

const CONTROLS = ['\r\n', '\n', '\r', '\t', '\u0000', '\u001b[2J', '\u007f', '\u009b', '\u2028', '\u202e'];

describe('access tokens (RFC 6749 A.12, without a space)', () => {
  it('accepts JWTs, opaque and provider-specific shapes', () => {
    for (const token of [
      'eyJhbGciOi.eyJzdWIi.sig-_',
      'gho_16C7e42F292c6912E7710c838347Ae178B4a',
      'ya29.a0AfH6SM~x+/=',
      '00Dxx0000001gPL!AR8AQ',
    ]) {
      expect(isAccessToken(token), token).toBe(true);
    }
  });

  it('refuses control characters, spaces, non-ASCII, empty and non-strings', () => {
    for (const bad of [...CONTROLS.map((c) => `abc${c}def`), 'a b', 'tökén', '', undefined, 42, null]) {
      expect(isAccessToken(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('is bounded by what the vault stores', () => {
    expect(isAccessToken('a'.repeat(MAX_TOKEN_LENGTH))).toBe(true);
    expect(isAccessToken('a'.repeat(MAX_TOKEN_LENGTH + 1))).toBe(false);
  });
});

describe('refresh tokens (RFC 6749 A.17) and ID tokens (compact JWS/JWE)', () => {
  it('refresh tokens: VSCHAR, bounded', () => {
    expect(isRefreshToken('abc def~!')).toBe(true);
    expect(isRefreshToken('abc\ndef')).toBe(false);
    expect(isRefreshToken('a'.repeat(MAX_TOKEN_LENGTH + 1))).toBe(false);
  });

  it('ID tokens: three or five base64url parts', () => {
    expect(isIdToken('eyJh.eyJz.c2ln')).toBe(true);
    expect(isIdToken('eyJh.eyJz.')).toBe(true);
    expect(isIdToken('eyJh.a.b.c.d')).toBe(true);
    for (const bad of ['eyJh.eyJz', 'eyJh.eyJz.c2ln.x', 'it', 'eyJh.eyJz.c2ln\n', 'eyJh.ey Jz.c2ln'])
      expect(isIdToken(bad), bad).toBe(false);
  });
});

describe('token_type (RFC 6749 A.13)', () => {
  it('accepts type names and absolute URIs', () => {
    for (const type of ['Bearer', 'bearer', 'DPoP', 'N_A', 'mac', 'urn:ietf:params:oauth:token-type:jwt'])
      expect(isTokenType(type), type).toBe(true);
  });

  it('refuses header injection and anything outside the grammar', () => {
    for (const bad of ['Bearer\r\nX-Injected: 1', 'Bearer x', 'Bear/er', '', 'B'.repeat(MAX_TOKEN_TYPE_LENGTH + 1), ...CONTROLS]) {
      expect(isTokenType(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('scope (RFC 6749 A.4)', () => {
  it('accepts space-separated scope tokens, padding tolerated', () => {
    expect(isScope('openid profile api:read https://graph.microsoft.com/.default repo,gist')).toBe(true);
    expect(isScope('  a   b ')).toBe(true);
    expect(canonicalScope('  a   b ')).toBe('a b');
    expect(isScopeToken('api:read')).toBe(true);
  });

  it('refuses quotes, backslashes, other separators and controls', () => {
    for (const bad of ['a"b', 'a\\b', 'a\tb', 'a\nb', '', '   ', 'x'.repeat(MAX_SCOPE_LENGTH + 1)])
      expect(isScope(bad), JSON.stringify(bad)).toBe(false);
    expect(isScopeToken('a b')).toBe(false);
  });
});

describe('expires_in (RFC 6749 A.14)', () => {
  it('whole seconds, absurd lifetimes clamped to one year', () => {
    expect(lifetimeSeconds(3600)).toBe(3600);
    expect(lifetimeSeconds('3600')).toBe(3600);
    expect(lifetimeSeconds(59.9)).toBe(59);
    expect(lifetimeSeconds(0)).toBe(0);
    expect(lifetimeSeconds(1e306)).toBe(MAX_LIFETIME_SECONDS);
    expect(lifetimeSeconds('9'.repeat(30))).toBe(MAX_LIFETIME_SECONDS);
    expect(MAX_LIFETIME_SECONDS).toBe(365 * 24 * 3600);
  });

  it('refuses negatives and non-numbers', () => {
    for (const bad of [-1, '-1', '1e3', '3600s', '', null, true, {}]) expect(lifetimeSeconds(bad), JSON.stringify(bad)).toBeUndefined();
  });
});

describe('the limits are the vault’s', () => {
  const base = { accessToken: 'a', tokenType: 'Bearer', obtainedAt: 0 };
  /** The vault's own check of a token set (main/core/vault/payload.ts). */
  const stored = (tokens: Record<string, unknown>): boolean => checkAccountSecrets({ tokens }).problems.length === 0;

  it('a value of the largest accepted size is stored; one more character is not', () => {
    expect(stored({ ...base, accessToken: 'a'.repeat(MAX_TOKEN_LENGTH) })).toBe(true);
    expect(stored({ ...base, accessToken: 'a'.repeat(MAX_TOKEN_LENGTH + 1) })).toBe(false);
    expect(stored({ ...base, refreshToken: 'r'.repeat(MAX_TOKEN_LENGTH) })).toBe(true);
    expect(stored({ ...base, idToken: 'i'.repeat(MAX_TOKEN_LENGTH + 1) })).toBe(false);
    expect(stored({ ...base, tokenType: 'B'.repeat(MAX_TOKEN_TYPE_LENGTH) })).toBe(true);
    expect(stored({ ...base, tokenType: 'B'.repeat(MAX_TOKEN_TYPE_LENGTH + 1) })).toBe(false);
    expect(stored({ ...base, scope: 's'.repeat(MAX_SCOPE_LENGTH) })).toBe(true);
    expect(stored({ ...base, scope: 's'.repeat(MAX_SCOPE_LENGTH + 1) })).toBe(false);
  });

  it('the longest clamped lifetime is a finite expiry the vault stores', () => {
    const expiresAt = Date.now() + MAX_LIFETIME_SECONDS * 1000;
    expect(stored({ ...base, expiresAt })).toBe(true);
  });
});
