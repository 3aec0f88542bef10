import { describe, expect, it } from 'vitest';
import { insecureUrlProblems, isLoopbackHost, metadataProblems, type CheckedAccount } from '../../../main/core/accounts/provider-check.js';

const account: CheckedAccount = { issuer: 'https://id.example.com', grant: 'authorization_code', auth: 'basic' };

describe('plain http off this machine', () => {
  it('is refused with the https URL as the fix', () => {
    expect(insecureUrlProblems({ ...account, issuer: 'http://id.example.com/realms/x' })).toEqual([
      {
        code: 'CONFIG_INVALID',
        field: 'provider.issuer',
        message: expect.stringContaining('http://id.example.com uses plain http off this machine') as string,
        suggestions: ['https://id.example.com/realms/x'],
      },
    ]);
    expect(insecureUrlProblems({ grant: 'client_credentials', auth: 'post', tokenEndpoint: 'http://10.0.0.5/token' })[0]).toMatchObject({
      field: 'provider.tokenEndpoint',
    });
  });

  it('is fine on loopback, and https anywhere', () => {
    for (const issuer of [
      'http://127.0.0.1:8080',
      'http://localhost:3000/x',
      'http://[::1]:9000',
      'http://127.1.2.3',
      'https://id.example.com',
    ]) {
      expect(insecureUrlProblems({ ...account, issuer }), issuer).toEqual([]);
    }
    expect(isLoopbackHost('LOCALHOST')).toBe(true);
    expect(isLoopbackHost('auth.localhost')).toBe(true);
    expect(isLoopbackHost('127.0.0.1.example.com')).toBe(false);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
  });
});

describe('what the provider publishes', () => {
  it('finds nothing wrong when everything matches or is not published', () => {
    expect(metadataProblems(account, { issuer: 'https://id.example.com', authorizationEndpoint: 'https://id.example.com/auth' })).toEqual(
      [],
    );
    expect(
      metadataProblems(
        { ...account, grant: 'device_code' },
        {
          grantTypesSupported: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
          deviceAuthorizationEndpoint: 'https://id.example.com/device',
          tokenEndpointAuthMethodsSupported: ['client_secret_basic'],
        },
      ),
    ).toEqual([]);
  });

  it('names the issuer the provider uses', () => {
    expect(metadataProblems(account, { issuer: 'https://id.example.com/', authorizationEndpoint: 'https://x/a' })).toEqual([
      {
        code: 'CONFIG_INVALID',
        field: 'provider.issuer',
        message:
          'The provider calls itself https://id.example.com/, not https://id.example.com; the issuer must match it exactly (including a trailing slash).',
        suggestions: ['https://id.example.com/'],
      },
    ]);
  });

  it('refuses a grant the provider does not offer, listing those it does', () => {
    expect(
      metadataProblems(
        { ...account, grant: 'device_code' },
        {
          authorizationEndpoint: 'https://x/a',
          deviceAuthorizationEndpoint: 'https://x/d',
          grantTypesSupported: ['authorization_code', 'refresh_token', 'client_credentials'],
        },
      ),
    ).toEqual([
      {
        code: 'UNSUPPORTED_GRANT',
        field: 'grant',
        message: 'The provider does not offer the device_code grant (it offers authorization_code, client_credentials).',
        suggestions: ['authorization_code', 'client_credentials'],
      },
    ]);
  });

  it('needs the endpoints the grant uses', () => {
    expect(metadataProblems(account, {})[0]).toMatchObject({ field: 'provider.authorizationEndpoint' });
    expect(metadataProblems({ ...account, authorizationEndpoint: 'https://x/a' }, {})).toEqual([]);
    expect(metadataProblems({ ...account, grant: 'device_code' }, {})[0]).toMatchObject({
      code: 'UNSUPPORTED_GRANT',
      field: 'provider.deviceAuthorizationEndpoint',
    });
    expect(metadataProblems({ ...account, grant: 'client_credentials' }, {})).toEqual([]);
  });

  it('refuses a client auth method the token endpoint does not accept, with the ones it does', () => {
    expect(
      metadataProblems(
        { ...account, grant: 'client_credentials' },
        { tokenEndpointAuthMethodsSupported: ['client_secret_post', 'private_key_jwt'] },
      ),
    ).toEqual([
      {
        code: 'CONFIG_INVALID',
        field: 'client.auth',
        message: 'The provider does not accept client_secret_basic at its token endpoint (it accepts client_secret_post, private_key_jwt).',
        suggestions: ['post', 'private_key_jwt'],
      },
    ]);
    expect(
      metadataProblems(
        { ...account, auth: 'none' },
        { authorizationEndpoint: 'https://x/a', tokenEndpointAuthMethodsSupported: ['client_secret_basic'] },
      ),
    ).toEqual([]);
  });
});
