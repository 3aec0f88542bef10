import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../../main/core/accounts/presets.js';
import type { PresetView } from '../../../main/ipc/contract.js';
import {
  emptyFormValues,
  formatExtraParams,
  formValuesFromAccount,
  parseExtraParams,
  validateAccountForm,
} from '../../../renderer/lib/account-form.js';
import { draftToAccountInput } from '../../../main/ipc/account-mapping.js';
import { presetProvider } from '../../../main/core/accounts/presets.js';
import { fieldPlaceholder, isOptionalField, presetKind } from '../../../renderer/lib/presets.js';

const preset = (id: string): PresetView => {
  const found = PRESETS.find((p) => p.id === id);
  if (found === undefined) throw new Error(`no preset ${id}`);
  return found;
};
const context = { mode: 'add' as const, existingNames: ['taken'] };

describe('account form validation', () => {
  it('explains each missing or wrong field', () => {
    const entra = preset('entra');
    const { errors, draft } = validateAccountForm({ ...emptyFormValues(entra), name: 'bad name!' }, entra, context);
    expect(draft).toBeUndefined();
    expect(errors.name).toMatch(/letters, digits/);
    expect(errors['preset.tenant']).toBe('Tenant is required.');
    expect(errors.clientId).toMatch(/client ID/);
  });

  it('refuses a duplicate name when adding', () => {
    const google = preset('google');
    const { errors } = validateAccountForm(
      { ...emptyFormValues(google), name: 'taken', clientId: 'c', clientSecret: 's' },
      google,
      context,
    );
    expect(errors.name).toMatch(/already exists/);
  });

  it('sends the preset fields for main to build the provider', () => {
    const entra = preset('entra');
    const values = { ...emptyFormValues(entra), name: 'azure', clientId: 'app-id', presetFields: { tenant: 'contoso.onmicrosoft.com' } };
    const { draft } = validateAccountForm(values, entra, context);
    expect(draft).toMatchObject({
      name: 'azure',
      preset: 'entra',
      presetFields: { tenant: 'contoso.onmicrosoft.com' },
      clientAuth: 'none',
      grant: 'authorization_code',
    });
    expect(draft?.scopes).toEqual(['openid', 'profile', 'offline_access', 'User.Read']);
    expect(draft).not.toHaveProperty('clientSecret');
  });

  it('leaves the provider of field-less presets to main, which builds it (one place for preset endpoints)', () => {
    const github = preset('github');
    const { draft } = validateAccountForm(
      { ...emptyFormValues(github), name: 'gh', clientId: 'Iv1', clientSecret: 'shh' },
      github,
      context,
    );
    expect(draft).toMatchObject({ preset: 'github', clientSecret: 'shh' });
    for (const key of [
      'issuer',
      'authorizationEndpoint',
      'tokenEndpoint',
      'deviceAuthorizationEndpoint',
      'revocationEndpoint',
      'presetFields',
    ]) {
      expect(draft).not.toHaveProperty(key);
    }
    // What main makes of that draft: the same provider the renderer used to build itself.
    expect(draftToAccountInput(draft!, presetProvider).input.provider).toEqual({
      authorizationEndpoint: 'https://github.com/login/oauth/authorize',
      tokenEndpoint: 'https://github.com/login/oauth/access_token',
      deviceAuthorizationEndpoint: 'https://github.com/login/device/code',
      userinfoEndpoint: 'https://api.github.com/user',
    });
    const google = preset('google');
    const googleDraft = validateAccountForm(
      { ...emptyFormValues(google), name: 'g', clientId: 'c', clientSecret: 's' },
      google,
      context,
    ).draft!;
    expect(draftToAccountInput(googleDraft, presetProvider).input.provider).toEqual({
      issuer: 'https://accounts.google.com',
      extraParams: { access_type: 'offline', prompt: 'consent' },
    });
  });

  it('reads required and defaultValue from the preset fields', () => {
    const github = preset('github').fields[0]!;
    expect(isOptionalField(github)).toBe(true);
    expect(fieldPlaceholder({ key: 'baseUrl', label: 'URL', defaultValue: 'https://gitlab.com' })).toBe('https://gitlab.com');
    expect(isOptionalField({ key: 'baseUrl', label: 'URL', defaultValue: 'https://gitlab.com' })).toBe(true);
    expect(isOptionalField({ key: 'realm', label: 'Realm' })).toBe(false);
    expect(isOptionalField({ key: 'realm', label: 'Realm', required: true })).toBe(false);
    const entra = preset('entra');
    expect(validateAccountForm({ ...emptyFormValues(entra), name: 'e', clientId: 'c' }, entra, context).errors['preset.tenant']).toBe(
      'Tenant is required.',
    );
  });

  it('needs the explicit endpoints a generic OAuth 2.0 grant uses', () => {
    const oauth2 = preset('oauth2');
    const base = { ...emptyFormValues(oauth2), name: 'custom', clientId: 'c', clientSecret: 's', grant: 'device_code' as const };
    expect(validateAccountForm(base, oauth2, context).errors).toMatchObject({
      tokenEndpoint: expect.stringMatching(/required/),
      deviceAuthorizationEndpoint: expect.stringMatching(/required/),
    });
    const { draft } = validateAccountForm(
      { ...base, tokenEndpoint: 'https://auth.example.com/token', deviceAuthorizationEndpoint: 'https://auth.example.com/device' },
      oauth2,
      context,
    );
    expect(draft).toMatchObject({
      tokenEndpoint: 'https://auth.example.com/token',
      deviceAuthorizationEndpoint: 'https://auth.example.com/device',
    });
  });

  it('starts a new account with the preset’s extra parameters, which the person may change or remove', () => {
    const google = preset('google');
    expect(emptyFormValues(google).extraParams).toBe('access_type=offline\nprompt=consent');
    expect(emptyFormValues(preset('okta')).extraParams).toBe('');
    const values = {
      ...emptyFormValues(google),
      name: 'g',
      clientId: 'c',
      clientSecret: 's',
      extraParams: 'access_type=offline\n\n  hd = example.com ',
    };
    expect(validateAccountForm(values, google, context).draft?.extraParams).toEqual({ access_type: 'offline', hd: 'example.com' });
    expect(validateAccountForm({ ...values, extraParams: '' }, google, context).draft?.extraParams).toEqual({});
  });

  it('checks extra parameters inline the way main does, naming the line', () => {
    expect(parseExtraParams('a=1\nb=x=y')).toEqual({ params: { a: '1', b: 'x=y' } });
    expect(parseExtraParams('audience')).toEqual({ error: expect.stringMatching(/^Line 1: write it as name=value/) });
    expect(parseExtraParams('ok=1\nscope=admin')).toEqual({ error: expect.stringMatching(/^Line 2: “scope” is set by the broker itself/) });
    expect(parseExtraParams('Client_Id=x')).toEqual({ error: expect.stringContaining('set by the broker itself') });
    expect(parseExtraParams('bad key=1')).toEqual({ error: expect.stringContaining('not a parameter name') });
    expect(parseExtraParams('a=1\na=2')).toEqual({ error: 'Line 2: “a” is given twice.' });
    expect(parseExtraParams(`a=${'x'.repeat(1025)}`)).toEqual({ error: expect.stringContaining('longer than 1024') });
    expect(parseExtraParams(Array.from({ length: 21 }, (_, i) => `p${i}=v`).join('\n'))).toEqual({ error: 'At most 20 extra parameters.' });
    const google = preset('google');
    const { errors, draft } = validateAccountForm(
      { ...emptyFormValues(google), name: 'g', clientId: 'c', clientSecret: 's', extraParams: 'state=x' },
      google,
      context,
    );
    expect(draft).toBeUndefined();
    expect(errors.extraParams).toMatch(/“state” is set by the broker itself/);
    expect(formatExtraParams({ a: '1', audience: 'x' }, new Set(['audience']))).toBe('a=1');
  });

  it('edits without losing what the account view carries: endpoints, key ID, git, registries, Kubernetes, extra parameters', () => {
    const oauth2 = preset('oauth2');
    const account = {
      name: 'custom',
      preset: 'oauth2',
      grant: 'device_code' as const,
      status: 'ok' as const,
      scopes: ['api'],
      authorizationEndpoint: 'https://as.example.com/authorize',
      tokenEndpoint: 'https://as.example.com/token',
      deviceAuthorizationEndpoint: 'https://as.example.com/device',
      revocationEndpoint: 'https://as.example.com/revoke',
      extraParams: { resource: 'https://api.example.com' },
      clientId: 'c',
      clientAuth: 'private_key_jwt' as const,
      keyId: 'k1',
      gitHosts: ['git.example.com', 'git2.example.com'],
      gitUsername: 'bot',
      registryHosts: ['ghcr.io', '127.0.0.1:5000'],
      registryUsername: 'robot',
      kubernetesTokenType: 'id_token' as const,
      approval: 'auto' as const,
      allowLegacy: false,
      hasRefreshToken: true,
      dpop: 'auto' as const,
      senderConstrained: false,
      refreshPolicy: 'auto' as const,
      refreshMode: 'proactive' as const,
    };
    const values = formValuesFromAccount(account, oauth2);
    const { draft } = validateAccountForm(values, oauth2, { mode: 'edit', existingNames: ['custom'] });
    expect(draft).toEqual({
      name: 'custom',
      preset: 'oauth2',
      authorizationEndpoint: 'https://as.example.com/authorize',
      tokenEndpoint: 'https://as.example.com/token',
      deviceAuthorizationEndpoint: 'https://as.example.com/device',
      revocationEndpoint: 'https://as.example.com/revoke',
      extraParams: { resource: 'https://api.example.com' },
      clientId: 'c',
      clientAuth: 'private_key_jwt',
      keyId: 'k1',
      grant: 'device_code',
      scopes: ['api'],
      allowLegacy: false,
      approval: 'auto',
      dpop: 'auto',
      exchangeAudiences: [],
      gitHosts: ['git.example.com', 'git2.example.com'],
      gitUsername: 'bot',
      registryHosts: ['ghcr.io', '127.0.0.1:5000'],
      registryUsername: 'robot',
      kubernetesTokenType: 'id_token',
    });
  });

  it('checks registry hosts, and leaves the registry username and Kubernetes choice out when not set', () => {
    const google = preset('google');
    const base = { ...emptyFormValues(google), name: 'g', clientId: 'c', clientSecret: 's' };
    const bad = validateAccountForm({ ...base, registryHosts: 'ghcr.io user@host' }, google, { mode: 'add', existingNames: [] });
    expect(bad.errors.registryHosts).toMatch(/“user@host” is not a registry host/);
    const { draft } = validateAccountForm({ ...base, registryHosts: 'europe-docker.pkg.dev', registryUsername: '  ' }, google, {
      mode: 'add',
      existingNames: [],
    });
    expect(draft?.registryHosts).toEqual(['europe-docker.pkg.dev']);
    expect(draft).not.toHaveProperty('registryUsername');
    expect(draft).not.toHaveProperty('kubernetesTokenType');
  });

  it('shows Auth0’s audience in its field, not among the extra parameters, and main keeps it', () => {
    const auth0 = preset('auth0');
    const account = {
      name: 'a0',
      preset: 'auth0',
      grant: 'authorization_code' as const,
      status: 'ok' as const,
      scopes: ['openid'],
      issuer: 'https://acme.us.auth0.com/',
      extraParams: { audience: 'https://api.acme.example', organization: 'org_1' },
      clientId: 'c',
      clientAuth: 'none' as const,
      approval: 'auto' as const,
      allowLegacy: false,
      hasRefreshToken: true,
      dpop: 'auto' as const,
      senderConstrained: false,
      refreshPolicy: 'auto' as const,
      refreshMode: 'proactive' as const,
    };
    const values = formValuesFromAccount(account, auth0);
    expect(values.presetFields).toEqual({ domain: 'acme.us.auth0.com', audience: 'https://api.acme.example' });
    expect(values.extraParams).toBe('organization=org_1');
    const { draft } = validateAccountForm(values, auth0, { mode: 'edit', existingNames: ['a0'] });
    expect(draftToAccountInput(draft!, presetProvider).input.provider).toEqual({
      issuer: 'https://acme.us.auth0.com/',
      extraParams: { organization: 'org_1', audience: 'https://api.acme.example' },
    });
  });

  it('accepts legacy grants only with the explicit opt-in', () => {
    const oidc = preset('oidc');
    const values = {
      ...emptyFormValues(oidc),
      name: 'old',
      clientId: 'c',
      clientSecret: 's',
      presetFields: { issuer: 'https://id.example.com' },
      grant: 'password' as const,
    };
    expect(validateAccountForm(values, oidc, context).errors.grant).toMatch(/insecure/);
    expect(validateAccountForm({ ...values, allowLegacy: true }, oidc, context).draft).toMatchObject({
      grant: 'password',
      allowLegacy: true,
      issuer: 'https://id.example.com',
    });
  });

  it('wants loopback redirect URIs and bare git hosts', () => {
    const google = preset('google');
    const values = {
      ...emptyFormValues(google),
      name: 'g',
      clientId: 'c',
      clientSecret: 's',
      redirectUri: 'https://evil.example.com/cb',
      gitHosts: 'https://github.com',
    };
    const { errors } = validateAccountForm(values, google, context);
    expect(errors.redirectUri).toMatch(/loopback/);
    expect(errors.gitHosts).toMatch(/without https/);
  });

  it('keeps the stored secret on edit and recovers preset fields from the account', () => {
    const keycloak = preset('keycloak');
    const values = formValuesFromAccount(
      {
        name: 'kc',
        preset: 'keycloak',
        grant: 'authorization_code',
        status: 'ok',
        scopes: ['openid'],
        issuer: 'https://sso.example.com/auth/realms/dev',
        clientId: 'cli',
        clientAuth: 'basic',
        approval: 'ask',
        allowLegacy: false,
        hasRefreshToken: true,
        dpop: 'auto' as const,
        senderConstrained: false,
        refreshPolicy: 'auto',
        refreshMode: 'proactive',
      },
      keycloak,
    );
    expect(values.presetFields).toEqual({ baseUrl: 'https://sso.example.com/auth', realm: 'dev' });
    const { draft } = validateAccountForm(values, keycloak, { mode: 'edit', existingNames: ['kc'] });
    expect(draft).toMatchObject({ name: 'kc', approval: 'ask', presetFields: { baseUrl: 'https://sso.example.com/auth', realm: 'dev' } });
    expect(draft).not.toHaveProperty('clientSecret');
  });
});

describe('presets', () => {
  it('classifies the broker presets', () => {
    expect(presetKind(preset('oidc'))).toBe('issuer');
    expect(presetKind(preset('oauth2'))).toBe('endpoints');
    expect(presetKind(preset('okta'))).toBe('preset');
  });
});
