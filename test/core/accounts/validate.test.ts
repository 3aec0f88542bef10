import { describe, expect, it } from 'vitest';
import { findJsonErrorPosition } from '../../../main/core/accounts/json-position.js';
import { isLoopbackHttpUri, validateAccountInput, validateConfig } from '../../../main/core/accounts/validate.js';
import type { BrokerError } from '../../../main/core/errors.js';
import { formatPath } from '../../../main/core/issues.js';

describe('validateAccountInput', () => {
  it('fills in the defaults', () => {
    expect(
      validateAccountInput({
        name: 'ci',
        provider: { tokenEndpoint: 'https://id.example.com/token' },
        client: { id: 'svc' },
        grant: 'client_credentials',
      }),
    ).toEqual({
      name: 'ci',
      provider: { tokenEndpoint: 'https://id.example.com/token' },
      client: { id: 'svc', auth: 'basic' },
      grant: 'client_credentials',
      scopes: [],
      allowLegacy: false,
      approval: 'auto',
      dpop: 'auto',
    });
  });

  it('throws INVALID_REQUEST (or the code asked for) naming the fields, without echoing values', () => {
    const attempt = (input: unknown, code?: 'CONFIG_INVALID') => {
      try {
        validateAccountInput(input, code);
      } catch (error) {
        return error as BrokerError;
      }
      throw new Error('expected an error');
    };
    const error = attempt({
      name: 'a',
      provider: { issuer: 'javascript:alert(1)' },
      client: { id: 'c', secret: 'top-secret-value' },
      grant: 'authorization_code',
    });
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain('provider.issuer: must be an http(s) URL');
    expect(error.message).toMatch(/client: .*secret/);
    expect(error.message).not.toContain('top-secret-value');
    expect(
      attempt(
        { name: 'a', provider: { tokenEndpoint: 'https://x.example/t' }, client: { id: 'c' }, grant: 'authorization_code' },
        'CONFIG_INVALID',
      ),
    ).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('provider.authorizationEndpoint: the authorization_code grant needs an authorization endpoint'),
    });
    expect(
      attempt({ name: 'a', provider: { tokenEndpoint: 'https://x.example/t' }, client: { id: 'c' }, grant: 'device_code' }).message,
    ).toContain('provider.deviceAuthorizationEndpoint');
  });

  it('takes extra request parameters, but never one the broker sets itself, naming the key', () => {
    const base = {
      name: 'g',
      provider: { issuer: 'https://accounts.google.com', extraParams: { access_type: 'offline', prompt: 'consent' } },
      client: { id: 'c' },
      grant: 'authorization_code',
    };
    expect(validateAccountInput(base).provider.extraParams).toEqual({ access_type: 'offline', prompt: 'consent' });
    const reject = (extraParams: Record<string, string>, code?: 'CONFIG_INVALID'): BrokerError => {
      try {
        validateAccountInput({ ...base, provider: { issuer: 'https://accounts.google.com', extraParams } }, code);
      } catch (error) {
        return error as BrokerError;
      }
      throw new Error('expected an error');
    };
    const reserved = [
      'response_type',
      'client_id',
      'redirect_uri',
      'state',
      'nonce',
      'code_challenge',
      'code_challenge_method',
      'scope',
      'grant_type',
      'code',
      'code_verifier',
      'refresh_token',
      'client_secret',
      'client_assertion',
      'client_assertion_type',
      'username',
      'password',
      'device_code',
    ];
    for (const key of reserved) {
      const error = reject({ [key]: 'x' }, 'CONFIG_INVALID');
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toContain(`provider.extraParams.${key}: "${key}" is set by the broker itself`);
    }
    expect(reject({ Client_ID: 'x' }).message).toContain('"Client_ID" is set by the broker itself');
    expect(reject({ 'bad key': 'x' }).message).toContain('provider.extraParams["bad key"]: parameter names are 1–64 letters');
    // config.json: every bad key is named, with the account it belongs to.
    const config = () =>
      validateConfig({
        version: 1,
        accounts: [
          {
            name: 'a',
            provider: { issuer: 'https://x.example', extraParams: { 'bad key': 'v', State: 'x', ok: 'y' } },
            client: { id: 'c' },
            grant: 'authorization_code',
          },
        ],
      });
    expect(config).toThrow(/CONFIG_INVALID|Invalid config/);
    try {
      config();
    } catch (error) {
      expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
      expect((error as BrokerError).message).toContain('accounts[0].provider.extraParams["bad key"]');
      expect((error as BrokerError).message).toContain('accounts[0].provider.extraParams.State: "State" is set by the broker itself');
    }
    expect(reject({ audience: 'x'.repeat(1025) }).message).toContain('provider.extraParams.audience');
    expect(reject(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`p${i}`, 'v']))).message).toContain(
      'at most 20 extra parameters',
    );
    // Values are never echoed (they may be anything a person pasted).
    expect(reject({ scope: 'value-that-must-not-show' }).message).not.toContain('value-that-must-not-show');
  });

  it('accepts loopback redirect URIs only', () => {
    expect(isLoopbackHttpUri('http://127.0.0.1/callback')).toBe(true);
    expect(isLoopbackHttpUri('http://127.0.0.1:8765/cb')).toBe(true);
    // The listener binds 127.0.0.1 only, so an IPv6 loopback redirect could never be received.
    expect(isLoopbackHttpUri('http://[::1]:8765/cb')).toBe(false);
    expect(isLoopbackHttpUri('http://localhost/cb')).toBe(true);
    expect(isLoopbackHttpUri('https://127.0.0.1/cb')).toBe(false);
    expect(isLoopbackHttpUri('http://example.com/cb')).toBe(false);
    expect(isLoopbackHttpUri('http://127.0.0.1.nip.io/cb')).toBe(false);
  });

  it('formats paths like JavaScript', () => {
    expect(formatPath(['accounts', 1, 'provider', 'issuer'])).toBe('accounts[1].provider.issuer');
    expect(formatPath(['$schema'])).toBe('$schema');
    expect(formatPath(['a', 'b-c'])).toBe('a["b-c"]');
  });
});

describe('findJsonErrorPosition', () => {
  it.each([
    ['{"a": 1}', undefined],
    ['[1, 2.5e3, -0, "x\\u00e9", true, false, null, {}]', undefined],
    ['{"a": 1,}', { line: 1, column: 9 }],
    ['{\n  "a": 1\n  "b": 2\n}', { line: 3, column: 3 }],
    ['{"a": tru}', { line: 1, column: 10 }],
    ['{"a": 01}', { line: 1, column: 8 }],
    ['{"a": "x', { line: 1, column: 9 }],
    ['{} {}', { line: 1, column: 4 }],
    ["{'a': 1}", { line: 1, column: 2 }],
    ['', { line: 1, column: 1 }],
  ])('%j', (text, expected) => {
    const found = findJsonErrorPosition(text);
    if (expected === undefined) {
      expect(found).toBeUndefined();
      expect(() => JSON.parse(text)).not.toThrow();
    } else {
      expect(found).toMatchObject(expected);
      expect(() => JSON.parse(text)).toThrow();
    }
  });
});
