import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../../main/core/oauth/http.js';
import { processTokenResponse } from '../../../main/core/oauth/token-response.js';
import { processRevocationResponse } from '../../../main/core/oauth/grants/revocation.js';
import { processDeviceAuthorizationResponse } from '../../../main/core/oauth/grants/device-code.js';

const NOW = 1_700_000_000_000;
const CTX = { purpose: 'token endpoint', url: 'https://idp.example/token?x=secret', now: NOW };

function response(status: number, body: unknown, contentType = 'application/json'): HttpResponse {
  return { status, headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body), url: CTX.url };
}

function thrown(fn: () => unknown): Error & Record<string, unknown> {
  try {
    fn();
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected a throw');
}

describe('processTokenResponse (RFC 6749 §5.1)', () => {
  it('builds a token set with absolute expiry', () => {
    const tokens = processTokenResponse(
      response(200, {
        access_token: 'at',
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'a b',
        refresh_token: 'rt',
        id_token: 'e30.e30.c2ln',
      }),
      CTX,
    );
    expect(tokens).toEqual({
      accessToken: 'at',
      tokenType: 'Bearer',
      expiresAt: NOW + 3_600_000,
      scope: 'a b',
      refreshToken: 'rt',
      idToken: 'e30.e30.c2ln',
      obtainedAt: NOW,
    });
  });

  it('leaves expiresAt undefined when expires_in is absent, and tolerates a digit string', () => {
    expect(processTokenResponse(response(200, { access_token: 'at', token_type: 'bearer' }), CTX).expiresAt).toBeUndefined();
    expect(processTokenResponse(response(200, { access_token: 'at', token_type: 'bearer', expires_in: '60' }), CTX).expiresAt).toBe(
      NOW + 60_000,
    );
    expect(processTokenResponse(response(200, { access_token: 'at', token_type: 'bearer', expires_in: 0 }), CTX).expiresAt).toBe(NOW);
  });

  it('accepts application/json with a charset', () => {
    expect(
      processTokenResponse(response(200, { access_token: 'at', token_type: 'Bearer' }, 'application/json; charset=utf-8'), CTX).accessToken,
    ).toBe('at');
  });

  it.each([
    [{ token_type: 'Bearer' }, 'access_token'],
    [{ access_token: 42, token_type: 'Bearer' }, 'access_token'],
    [{ access_token: '', token_type: 'Bearer' }, 'access_token'],
    [{ access_token: 'at' }, 'token_type'],
    [{ access_token: 'at', token_type: 'Bearer', expires_in: -1 }, 'expires_in'],
    [{ access_token: 'at', token_type: 'Bearer', expires_in: '1h' }, 'expires_in'],
    [{ access_token: 'at', token_type: 'Bearer', expires_in: true }, 'expires_in'],
    [{ access_token: 'at', token_type: 'Bearer', scope: ['a'] }, 'scope'],
    [{ access_token: 'at', token_type: 'Bearer', refresh_token: {} }, 'refresh_token'],
    [{ access_token: 'at', token_type: 'Bearer', id_token: 1 }, 'id_token'],
  ])('refuses %j (field %s) with INVALID_RESPONSE, naming the field not the value', (body, field) => {
    const error = thrown(() => processTokenResponse(response(200, body), CTX));
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.message).toContain(`"${field}"`);
    expect(error.message).not.toContain('"at"');
  });

  it('turns an OAuth error body into OAUTH_ERROR with error, description and status (RFC 6749 §5.2)', () => {
    const error = thrown(() =>
      processTokenResponse(response(400, { error: 'invalid_grant', error_description: 'grant request is invalid' }), CTX),
    );
    expect(error).toMatchObject({
      code: 'OAUTH_ERROR',
      oauthError: 'invalid_grant',
      oauthErrorDescription: 'grant request is invalid',
      status: 400,
    });
    expect(error.message).toBe(
      'The token endpoint at https://idp.example/token refused the request: invalid_grant (grant request is invalid).',
    );
  });

  it('treats an error member in a 200 response as an OAuth error (GitHub style)', () => {
    expect(thrown(() => processTokenResponse(response(200, { error: 'bad_verification_code' }), CTX)).code).toBe('OAUTH_ERROR');
  });

  it('truncates descriptions and keeps them to printable ASCII', () => {
    const error = thrown(() =>
      processTokenResponse(response(401, { error: 'invalid_client', error_description: `bad\u0000\n\u202e${'x'.repeat(1000)}` }), CTX),
    );
    const description = String(error.oauthErrorDescription);
    expect(description).toMatch(/^[\x20-\x7e]+$/);
    expect(description.length).toBeLessThanOrEqual(303);
  });

  it('refuses an HTML page with INVALID_RESPONSE without quoting it', () => {
    const error = thrown(() => processTokenResponse(response(200, '<!DOCTYPE html><html><body>Login</body></html>', 'text/html'), CTX));
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.message).toContain('an HTML page');
    expect(error.message).not.toContain('Login');
  });

  it('refuses garbage and JSON that is not an object', () => {
    expect(
      thrown(() => processTokenResponse(response(200, 'access_token=at&token_type=bearer', 'application/x-www-form-urlencoded'), CTX)).code,
    ).toBe('INVALID_RESPONSE');
    expect(thrown(() => processTokenResponse(response(200, '{not json'), CTX)).code).toBe('INVALID_RESPONSE');
    expect(thrown(() => processTokenResponse(response(200, '["at"]'), CTX)).code).toBe('INVALID_RESPONSE');
    expect(thrown(() => processTokenResponse(response(200, ''), CTX)).code).toBe('INVALID_RESPONSE');
  });

  it('turns a 5xx without an OAuth body into PROVIDER_ERROR with the status', () => {
    const error = thrown(() => processTokenResponse(response(502, '<html>Bad gateway</html>', 'text/html'), CTX));
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', status: 502 });
  });

  it('redacts values the provider echoes back', () => {
    const error = thrown(() =>
      processTokenResponse(response(400, { error: 'invalid_grant', error_description: 'refresh token rt-SECRET-123 is revoked' }), {
        ...CTX,
        redact: ['rt-SECRET-123'],
      }),
    );
    expect(error.message).not.toContain('rt-SECRET-123');
    expect(String(error.oauthErrorDescription)).not.toContain('rt-SECRET-123');
  });
});

describe('processRevocationResponse (RFC 7009 §2.2)', () => {
  it('accepts 200 with any body and reports OAuth errors', () => {
    expect(() => processRevocationResponse(response(200, ''), { url: CTX.url })).not.toThrow();
    expect(thrown(() => processRevocationResponse(response(400, { error: 'unsupported_token_type' }), { url: CTX.url })).code).toBe(
      'OAUTH_ERROR',
    );
    expect(thrown(() => processRevocationResponse(response(503, 'down', 'text/plain'), { url: CTX.url })).code).toBe('PROVIDER_ERROR');
  });
});

describe('processDeviceAuthorizationResponse (RFC 8628 §3.2)', () => {
  const ok = { device_code: 'dc', user_code: 'ABCD-EFGH', verification_uri: 'https://idp.example/device', expires_in: 600 };
  it('validates and defaults the interval to 5 s', () => {
    expect(processDeviceAuthorizationResponse(response(200, ok), CTX)).toEqual({
      deviceCode: 'dc',
      userCode: 'ABCD-EFGH',
      verificationUri: 'https://idp.example/device',
      expiresAt: NOW + 600_000,
      interval: 5,
    });
  });
  it('refuses a response without verification_uri or expires_in', () => {
    expect(thrown(() => processDeviceAuthorizationResponse(response(200, { ...ok, verification_uri: undefined }), CTX)).code).toBe(
      'INVALID_RESPONSE',
    );
    expect(thrown(() => processDeviceAuthorizationResponse(response(200, { ...ok, expires_in: undefined }), CTX)).code).toBe(
      'INVALID_RESPONSE',
    );
    expect(
      thrown(() => processDeviceAuthorizationResponse(response(200, { ...ok, verification_uri: 'javascript:alert(1)' }), CTX)).code,
    ).toBe('INVALID_RESPONSE');
  });
});
