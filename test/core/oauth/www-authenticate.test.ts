import { describe, expect, it } from 'vitest';
import { challengeError, parseWwwAuthenticate } from '../../../main/core/oauth/www-authenticate.js';

describe('parseWwwAuthenticate (RFC 9110 §11.6.1)', () => {
  it('reads several challenges with quoted and token parameters', () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="api", error="invalid_token", error_description="The access token expired", DPoP algs="ES256 PS256"',
      ),
    ).toEqual([
      { scheme: 'bearer', params: { realm: 'api', error: 'invalid_token', error_description: 'The access token expired' } },
      { scheme: 'dpop', params: { algs: 'ES256 PS256' } },
    ]);
    expect(parseWwwAuthenticate(['Basic realm=x', 'DPoP error=use_dpop_nonce'])).toEqual([
      { scheme: 'basic', params: { realm: 'x' } },
      { scheme: 'dpop', params: { error: 'use_dpop_nonce' } },
    ]);
  });

  it('unescapes quoted pairs and takes a bare scheme', () => {
    expect(parseWwwAuthenticate('Bearer error_description="say \\"hi\\"",  realm = "a,b"')).toEqual([
      { scheme: 'bearer', params: { error_description: 'say "hi"', realm: 'a,b' } },
    ]);
    expect(parseWwwAuthenticate('Negotiate')).toEqual([{ scheme: 'negotiate', params: {} }]);
  });

  it('never throws on malformed input', () => {
    for (const header of ['', ',,,', 'Bearer error="unterminated', 'Bearer =x', '"quoted"', 'Basic dXNlcjpwYXNz==']) {
      expect(() => parseWwwAuthenticate(header)).not.toThrow();
    }
    expect(parseWwwAuthenticate(undefined)).toEqual([]);
  });

  it('finds the error of a scheme', () => {
    const challenges = parseWwwAuthenticate('Bearer realm="x", DPoP error="invalid_token"');
    expect(challengeError(challenges)).toBe('invalid_token');
    expect(challengeError(challenges, 'bearer')).toBeUndefined();
    expect(challengeError(challenges, 'dpop')).toBe('invalid_token');
  });
});
