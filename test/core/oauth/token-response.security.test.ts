/**
 * A hostile or broken provider (issue 10 items 7 and 8): every value of a token response is held
 * to its grammar and to the vault's limits before anything is stored or printed, and absurd
 * lifetimes are clamped rather than fatal.
 */
import { describe, expect, it } from 'vitest';
import { isBrokerError } from '../../../main/core/errors.js';
import type { HttpResponse } from '../../../main/core/oauth/http.js';
import {
  MAX_LIFETIME_SECONDS,
  MAX_SCOPE_LENGTH,
  MAX_TOKEN_LENGTH,
  MAX_TOKEN_TYPE_LENGTH,
} from '../../../main/core/oauth/provider-values.js';
import { checkAccountSecrets } from '../../../main/core/vault/payload.js';
import { processTokenResponse } from '../../../main/core/oauth/token-response.js';
import { validateImplicitResponse } from '../../../main/core/oauth/callback.js';

const NOW = 1_700_000_000_000;
const CTX = { purpose: 'token endpoint', url: 'https://idp.example/token', now: NOW };
const GOOD = { access_token: 'at-123', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-456', scope: 'api read' };

function respond(body: Record<string, unknown>): HttpResponse {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), url: CTX.url };
}

function refusal(body: Record<string, unknown>): Error {
  try {
    processTokenResponse(respond(body), CTX);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`accepted ${JSON.stringify(body).slice(0, 200)}`);
}

describe('provider values outside their grammar are refused as INVALID_RESPONSE', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['a token_type with a header injection', { ...GOOD, token_type: 'Bearer\r\nX-Injected: 1' }, 'token_type'],
    ['an access token with a line break', { ...GOOD, access_token: 'abc\ndef' }, 'access_token'],
    ['an access token with an escape sequence', { ...GOOD, access_token: 'abc\u001b]52;c;evil\u0007' }, 'access_token'],
    ['an access token with a space', { ...GOOD, access_token: 'abc def' }, 'access_token'],
    ['a 70 KiB access token (larger than the vault stores)', { ...GOOD, access_token: 'a'.repeat(70 * 1024) }, 'access_token'],
    ['a refresh token with a line break', { ...GOOD, refresh_token: 'rt\r\nx' }, 'refresh_token'],
    ['a scope with a line break', { ...GOOD, scope: 'api\nread' }, 'scope'],
    ['an ID token that is not a JWT', { ...GOOD, id_token: 'not a jwt\n' }, 'id_token'],
    ['a negative lifetime', { ...GOOD, expires_in: -5 }, 'expires_in'],
  ];

  it.each(cases)('%s', (_name, body, field) => {
    const error = refusal(body);
    expect(isBrokerError(error, 'INVALID_RESPONSE'), String(error)).toBe(true);
    expect(error.message).toContain(field);
    // The message names the field, never the value.
    for (const value of Object.values(body)) if (typeof value === 'string' && value.length > 3) expect(error.message).not.toContain(value);
  });

  it('the implicit grant’s fragment goes through the same checks', () => {
    const params = new URLSearchParams({ ...GOOD, expires_in: '3600', token_type: 'Bearer\r\nX-Injected: 1', state: 's' });
    expect(() => validateImplicitResponse(params, { state: 's' })).toThrow(/token_type/);
  });
});

describe('lifetimes', () => {
  it('expires_in: 1e306 is clamped to one year, not fatal', () => {
    const tokens = processTokenResponse(respond({ ...GOOD, expires_in: 1e306 }), CTX);
    expect(tokens.expiresAt).toBe(NOW + MAX_LIFETIME_SECONDS * 1000);
    expect(tokens.refreshToken).toBe('rt-456');
  });

  it('the largest storable access token is accepted', () => {
    expect(processTokenResponse(respond({ ...GOOD, access_token: 'a'.repeat(MAX_TOKEN_LENGTH) }), CTX).accessToken).toHaveLength(
      MAX_TOKEN_LENGTH,
    );
  });

  it('the parser’s limits are the vault’s: what one accepts the other stores, one more character neither', () => {
    const at = 'a'.repeat(MAX_TOKEN_LENGTH);
    const longest = { accessToken: at, tokenType: 'B'.repeat(MAX_TOKEN_TYPE_LENGTH), scope: 's'.repeat(MAX_SCOPE_LENGTH), obtainedAt: NOW };
    expect(checkAccountSecrets({ tokens: { ...longest, refreshToken: at, idToken: at } }).problems).toEqual([]);
    for (const over of [
      { accessToken: `${at}a` },
      { refreshToken: `${at}a` },
      { idToken: `${at}a` },
      { tokenType: 'B'.repeat(MAX_TOKEN_TYPE_LENGTH + 1) },
      { scope: 's'.repeat(MAX_SCOPE_LENGTH + 1) },
    ]) {
      expect(checkAccountSecrets({ tokens: { ...longest, ...over } }).problems, Object.keys(over)[0]).toHaveLength(1);
    }
  });
});
