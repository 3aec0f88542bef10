import { describe, expect, it } from 'vitest';
import { accountSchema } from '../../../main/core/accounts/model.js';
import { GRANTS } from '../../../main/shared/grants.js';
import { PRESETS, presetProvider, type Preset } from '../../../main/core/accounts/presets.js';
import { BrokerError } from '../../../main/core/errors.js';
import type { PresetView } from '../../../main/ipc/contract.js';

function invalid(presetId: string, fields: Record<string, string>): string {
  try {
    presetProvider(presetId, fields);
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).code).toBe('INVALID_REQUEST');
    return (error as BrokerError).message;
  }
  throw new Error('expected INVALID_REQUEST');
}

describe('PRESETS', () => {
  it('covers the providers of the issue, each well-formed and structurally a PresetView', () => {
    const views: readonly PresetView[] = PRESETS; // compile-time check of the IPC shape
    expect(views.map((p) => p.id)).toEqual(['github', 'google', 'entra', 'gitlab', 'okta', 'auth0', 'keycloak', 'oidc', 'oauth2']);
    for (const preset of PRESETS) {
      expect(preset.grants).toContain(preset.defaultGrant);
      for (const grant of preset.grants) expect(GRANTS).toContain(grant);
      expect(preset.hints.length).toBeGreaterThan(0);
      expect(JSON.parse(JSON.stringify(preset))).toEqual(preset); // plain data: crosses IPC as is
    }
  });

  it('builds a provider from every preset that validates as an account with the preset defaults', () => {
    const sample: Record<string, Record<string, string>> = {
      github: {},
      google: {},
      entra: { tenant: 'contoso.onmicrosoft.com' },
      gitlab: {},
      okta: { domain: 'dev-123456.okta.com' },
      auth0: { domain: 'acme.eu.auth0.com', audience: 'https://api.acme.example' },
      keycloak: { baseUrl: 'https://sso.example.com', realm: 'dev' },
      oidc: { issuer: 'https://id.example.com' },
      oauth2: { tokenEndpoint: 'https://as.example.com/token', authorizationEndpoint: 'https://as.example.com/authorize' },
    };
    for (const preset of PRESETS as readonly Preset[]) {
      const provider = presetProvider(preset.id, sample[preset.id] ?? {});
      const account = accountSchema.safeParse({
        name: `acct-${preset.id}`,
        preset: preset.id,
        provider,
        client: { id: 'client', auth: preset.defaultClientAuth },
        grant: preset.defaultGrant,
        scopes: preset.defaultScopes,
      });
      expect(account.success, `${preset.id}: ${JSON.stringify(account.error?.issues)}`).toBe(true);
    }
  });
});

describe('presetProvider', () => {
  it('GitHub: explicit endpoints (no OIDC discovery), Enterprise Server via baseUrl', () => {
    expect(presetProvider('github', {})).toEqual({
      authorizationEndpoint: 'https://github.com/login/oauth/authorize',
      tokenEndpoint: 'https://github.com/login/oauth/access_token',
      deviceAuthorizationEndpoint: 'https://github.com/login/device/code',
      userinfoEndpoint: 'https://api.github.com/user',
    });
    expect(presetProvider('github', { baseUrl: 'https://github.example.com/' }).tokenEndpoint).toBe(
      'https://github.example.com/login/oauth/access_token',
    );
    expect(presetProvider('github', { baseUrl: 'https://github.example.com/' }).userinfoEndpoint).toBe(
      'https://github.example.com/api/v3/user',
    );
  });

  it('Google: the accounts.google.com issuer, asking for offline access so a refresh token comes back', () => {
    expect(presetProvider('google', {})).toEqual({
      issuer: 'https://accounts.google.com',
      extraParams: { access_type: 'offline', prompt: 'consent' },
    });
    // Each call answers its own copy: nothing a caller does to one provider leaks into the preset.
    const first = presetProvider('google', {});
    if (first.extraParams !== undefined) first.extraParams.access_type = 'online';
    expect(presetProvider('google', {}).extraParams?.access_type).toBe('offline');
  });

  it('Entra ID: tenant in the v2.0 endpoints; issuer only for a tenant ID', () => {
    expect(presetProvider('entra', { tenant: 'organizations' })).toEqual({
      authorizationEndpoint: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize',
      tokenEndpoint: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token',
      deviceAuthorizationEndpoint: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode',
    });
    const tenantId = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    expect(presetProvider('entra', { tenant: tenantId }).issuer).toBe(`https://login.microsoftonline.com/${tenantId}/v2.0`);
    expect(invalid('entra', {})).toBe('tenant: Tenant is required for Microsoft Entra ID');
    expect(invalid('entra', { tenant: 'not a tenant/../x' })).toMatch(/^tenant: must be a directory \(tenant\) ID/);
  });

  it('GitLab: gitlab.com by default, self-managed by baseUrl', () => {
    expect(presetProvider('gitlab', {})).toEqual({ issuer: 'https://gitlab.com' });
    expect(presetProvider('gitlab', { baseUrl: 'https://gitlab.example.com/' })).toEqual({ issuer: 'https://gitlab.example.com' });
    expect(invalid('gitlab', { baseUrl: 'http://gitlab.example.com' })).toMatch(/^baseUrl: must be an https URL/);
  });

  it('Okta: the default custom authorization server unless another issuer on the domain is given', () => {
    expect(presetProvider('okta', { domain: 'dev-1.okta.com' })).toEqual({ issuer: 'https://dev-1.okta.com/oauth2/default' });
    expect(presetProvider('okta', { domain: 'dev-1.okta.com', issuer: 'https://dev-1.okta.com' })).toEqual({
      issuer: 'https://dev-1.okta.com',
    });
    expect(presetProvider('okta', { domain: 'https://dev-1.okta.com/', issuer: 'https://dev-1.okta.com/oauth2/aus123' })).toEqual({
      issuer: 'https://dev-1.okta.com/oauth2/aus123',
    });
    expect(invalid('okta', { domain: 'dev-1.okta.com', issuer: 'https://evil.example.com/oauth2/default' })).toBe(
      'issuer: must be on the Okta domain dev-1.okta.com',
    );
    expect(invalid('okta', { domain: 'not a domain' })).toMatch(/^domain: must be a domain name/);
  });

  it('Auth0: the audience field becomes the audience parameter; left empty, none is sent', () => {
    expect(presetProvider('auth0', { domain: 'acme.us.auth0.com', audience: ' https://api.acme.example ' })).toEqual({
      issuer: 'https://acme.us.auth0.com/',
      extraParams: { audience: 'https://api.acme.example' },
    });
    expect(presetProvider('auth0', { domain: 'acme.us.auth0.com', audience: '' })).toEqual({ issuer: 'https://acme.us.auth0.com/' });
    expect(invalid('auth0', { domain: 'acme.us.auth0.com', audience: 'a\u0000b' })).toMatch(/^audience: /);
    expect(invalid('auth0', { domain: 'acme.us.auth0.com', audience: 'x'.repeat(1025) })).toMatch(/^audience: at most 1024/);
    // Only presets that have the field take it.
    expect(invalid('okta', { domain: 'dev-1.okta.com', audience: 'api' })).toBe('audience: the Okta preset has no such field');
  });

  it('Auth0: issuer with its trailing slash', () => {
    expect(presetProvider('auth0', { domain: 'acme.us.auth0.com' })).toEqual({ issuer: 'https://acme.us.auth0.com/' });
  });

  it('Keycloak: the realm URL', () => {
    expect(presetProvider('keycloak', { baseUrl: 'https://sso.example.com/auth/', realm: 'dev' })).toEqual({
      issuer: 'https://sso.example.com/auth/realms/dev',
    });
    expect(invalid('keycloak', { baseUrl: 'https://sso.example.com' })).toBe('realm: Realm is required for Keycloak');
    expect(invalid('keycloak', { baseUrl: 'https://sso.example.com', realm: 'a/b' })).toMatch(/^realm:/);
  });

  it('generic OIDC keeps the issuer as typed (trailing slash matters for the issuer check)', () => {
    expect(presetProvider('oidc', { issuer: 'https://id.example.com/' })).toEqual({ issuer: 'https://id.example.com/' });
    expect(presetProvider('oidc', { issuer: 'http://127.0.0.1:8080' })).toEqual({ issuer: 'http://127.0.0.1:8080' });
    expect(invalid('oidc', { issuer: 'https://user:pw@id.example.com' })).toBe('issuer: must not contain credentials');
    expect(invalid('oidc', { issuer: 'https://id.example.com/?x=1' })).toBe('issuer: must not contain a query or fragment');
  });

  it('generic OAuth 2.0 takes explicit endpoints and needs the token endpoint', () => {
    expect(
      presetProvider('oauth2', {
        tokenEndpoint: 'https://as.example.com/token',
        revocationEndpoint: 'https://as.example.com/revoke',
        issuer: '',
      }),
    ).toEqual({
      tokenEndpoint: 'https://as.example.com/token',
      revocationEndpoint: 'https://as.example.com/revoke',
    });
    expect(invalid('oauth2', { authorizationEndpoint: 'https://as.example.com/authorize' })).toBe(
      'tokenEndpoint: the token endpoint URL is required',
    );
  });

  it('names unknown presets and fields', () => {
    expect(invalid('nope', {})).toMatch(/^preset: unknown provider preset "nope"/);
    expect(invalid('google', { tenant: 'x' })).toBe('tenant: the Google preset has no such field');
  });
});
